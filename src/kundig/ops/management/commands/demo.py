"""``kundig demo``: a working Kundig with demo data, in one command."""

from __future__ import annotations

import errno
import os
import socket
import sys
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kundig.ops import mailcatcher
from kundig.ops.staticfiles import collectstatic_if_changed
from kundig.ops.supervisor import Child, Supervisor

LOGIN_PATH = "/accounts/login/"


def browser_host(host: str) -> str:
    """Return the host to put in a URL for a server bound to ``host``."""
    if host in {"0.0.0.0", ""}:  # noqa: S104 - mapping it, not binding to it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class Command(BaseCommand):
    help = (
        "Set up a demo: migrate the database, load the demo data (once), collect "
        "static files, then run web, worker, scheduler and a mail catcher together "
        "until Ctrl+C. Running it again reuses the database. The demo sends no "
        "mail out: the catcher keeps it, administrators read it under "
        "'Caught mail'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=8000, help="default: %(default)s"
        )
        parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
        parser.add_argument(
            "--web-workers", type=int, default=2, help="gunicorn workers (default: 2)"
        )
        parser.add_argument(
            "--mail-port",
            type=int,
            help=f"SMTP port of the mail catcher on {mailcatcher.DEFAULT_HOST} "
            f"(default: {mailcatcher.DEFAULT_PORT}, or a free one if it is taken)",
        )

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        if settings.HTTPS:
            raise CommandError(
                "kundig demo creates a login with a published password, so it does "
                "not run with KUNDIG_HTTPS=1. Use a separate KUNDIG_DATA_DIR or "
                "KUNDIG_DATABASE_URL for the demo."
            )
        _check_port_free(host, port)
        mail_port = _mail_port(options["mail_port"])
        maildir = settings.KUNDIG_MAIL_CATCHER_DIR or settings.DATA_DIR / "mail"

        self.stdout.write(f"Database: {_database_label()}")
        self.stdout.write("Migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        info = self._load_demo_data()
        self._set_up_mail(mail_port)
        self.stdout.write("Collecting static files …")
        if not collectstatic_if_changed():
            self.stdout.write("Static files are up to date.")

        url = f"http://{browser_host(host)}:{port}"
        env = dict(os.environ)
        env.setdefault("KUNDIG_BASE_URL", url)
        # The demo writes to no one outside: Kundig's own mails (notifications,
        # password resets) go to the catcher too, and the web shows what it has.
        env["KUNDIG_MAIL_CATCHER_DIR"] = str(maildir)
        env["KUNDIG_SMTP_HOST"] = mailcatcher.DEFAULT_HOST
        env["KUNDIG_SMTP_PORT"] = str(mail_port)
        for name in ("KUNDIG_SMTP_USER", "KUNDIG_SMTP_PASSWORD"):
            env.pop(name, None)
        env["KUNDIG_SMTP_STARTTLS"] = env["KUNDIG_SMTP_SSL"] = "0"
        kundig = [sys.executable, "-m", "kundig"]
        supervisor = Supervisor(
            [
                Child(
                    "web",
                    [
                        *kundig,
                        "web",
                        "--host",
                        host,
                        "--port",
                        str(port),
                        "--workers",
                        str(options["web_workers"]),
                        "--skip-collectstatic",
                    ],
                ),
                Child("worker", [*kundig, "worker"]),
                Child("scheduler", [*kundig, "scheduler"]),
                Child(
                    "mail",
                    [
                        *kundig,
                        "mailcatcher",
                        "--host",
                        mailcatcher.DEFAULT_HOST,
                        "--port",
                        str(mail_port),
                        "--maildir",
                        str(maildir),
                    ],
                ),
            ],
            env=env,
        )
        self.stdout.flush()

        def announce() -> None:
            rule = "─" * 64
            supervisor.say(
                f"\n{rule}\n"
                f"  Kundig is running:  {url}\n"
                f"  Log in with:        {info.login_email}\n"
                f"  Password:           {info.login_password}\n"
                f"  Caught mail:        {url}/mail-catcher/\n"
                f"                      (SMTP {mailcatcher.DEFAULT_HOST}:{mail_port};"
                f" nothing is sent out)\n"
                f"  Stop with Ctrl+C.\n"
                f"{rule}\n"
            )

        code = supervisor.run(
            until_ready=lambda: (
                _answers(url) and _listens(mailcatcher.DEFAULT_HOST, mail_port)
            ),
            on_ready=announce,
        )
        if code:
            raise CommandError(
                "A Kundig process stopped unexpectedly; see its output above.",
                returncode=code,
            )
        self.stdout.write("Kundig stopped.")

    def _load_demo_data(self):
        try:
            from kundig.ops.demo_data import load_demo_data
        except ImportError as exc:
            raise CommandError(f"The demo data cannot be loaded: {exc}") from None
        self.stdout.write("Loading the demo data …")
        info = load_demo_data(stdout=self.stdout)  # reports its own progress
        if not info.created:
            self.stdout.write("The demo data was loaded before; reusing it.")
        return info

    def _set_up_mail(self, port: int) -> None:
        from kundig.ops.demo_mail import demo_mail_setup

        mail = demo_mail_setup(host=mailcatcher.DEFAULT_HOST, port=port)
        if mail.created:
            self.stdout.write(
                f"Mailbox {mail.mailbox} sends to the mail catcher; "
                f"{len(mail.activated)} ready-made playbooks switched on; "
                f"{mail.tickets} customer requests for the service desk."
            )


def _mail_port(asked: int | None) -> int:
    """Return the catcher's port: the one asked for, else 2525 or a free one."""
    host = mailcatcher.DEFAULT_HOST
    if asked is None:
        if mailcatcher.port_is_free(host, mailcatcher.DEFAULT_PORT):
            return mailcatcher.DEFAULT_PORT
        return mailcatcher.free_port(host)
    try:
        free = mailcatcher.port_is_free(host, asked)
    except OSError as exc:
        raise CommandError(f"Cannot listen on {host}:{asked}: {exc}") from None
    if not free:
        raise CommandError(
            f"Port {asked} on {host} is in use. Stop the program using it, or pick "
            f"another port for the mail catcher: kundig demo --mail-port 2526."
        )
    return asked


def _database_label() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite, {db['NAME']}"
    return f"PostgreSQL, {db.get('NAME')} on {db.get('HOST') or 'localhost'}"


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is in use. Stop the program using it, or "
                    f"pick another port: kundig demo --port 8123 "
                    f"(make demo PORT=8123)."
                ) from None
            raise CommandError(f"Cannot listen on {host}:{port}: {exc}") from None


def _listens(host: str, port: int) -> bool:
    """Return whether something accepts connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _answers(url: str) -> bool:
    """Return whether the web server answers HTTP (any status) at ``url``."""
    try:
        urllib.request.urlopen(url + LOGIN_PATH, timeout=2)  # noqa: S310 - http://host
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
    return True
