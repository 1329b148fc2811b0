"""``kundig mailcatcher``: a local SMTP server that keeps every mail, sends none."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kundig.ops.mailcatcher import DEFAULT_HOST, DEFAULT_PORT, catching


def default_maildir() -> Path:
    return settings.KUNDIG_MAIL_CATCHER_DIR or settings.DATA_DIR / "mail"


class Command(BaseCommand):
    help = (
        "Accept mail over SMTP (no login, no TLS) and store each one in a Maildir "
        "instead of delivering it, until stopped. The demo runs it; with "
        "KUNDIG_MAIL_CATCHER_DIR set to the same directory, administrators read "
        "the mail under 'Caught mail'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=DEFAULT_HOST, help="default: %(default)s")
        parser.add_argument(
            "--port", type=int, default=DEFAULT_PORT, help="default: %(default)s"
        )
        parser.add_argument(
            "--maildir",
            type=Path,
            help="where mail is stored (default: KUNDIG_MAIL_CATCHER_DIR, "
            "else mail/ in KUNDIG_DATA_DIR)",
        )

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        directory = (options["maildir"] or default_maildir()).resolve()
        # aiosmtpd logs every SMTP command at INFO; one line per mail is ours.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda signum, frame: stop.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            with catching(directory, host=host, port=port):
                self.stdout.write(
                    f"Mail catcher: SMTP on {host}:{port}, storing in {directory}. "
                    "Nothing is delivered. Stop with Ctrl+C or SIGTERM.",
                )
                self.stdout.flush()
                while not stop.wait(0.5):
                    pass
        except OSError as exc:
            raise CommandError(
                f"The mail catcher cannot listen on {host}:{port} or store in "
                f"{directory}: {exc}. Pick another port: kundig mailcatcher --port N."
            ) from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Mail catcher stopped.")
