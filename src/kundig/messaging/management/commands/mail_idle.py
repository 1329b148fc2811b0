"""``kundig mail_idle``: file incoming mail the moment it arrives (IMAP IDLE).

Optional: the scheduler's minute poll reads every mailbox anyway. This
command keeps one IDLE connection per mailbox and files new mail within
seconds; it stops on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand
from django.db import connection

from kundig.messaging import imap


class Command(BaseCommand):
    help = "Wait for new mail with IMAP IDLE and file it as it arrives."

    def add_arguments(self, parser):
        parser.add_argument(
            "--mailbox",
            type=int,
            action="append",
            help="Only this mailbox (its id); may be given more than once.",
        )

    def handle(self, *args, mailbox=None, **options):
        mailboxes = imap.reading_mailboxes()
        if mailbox:
            mailboxes = mailboxes.filter(pk__in=mailbox)
        mailboxes = list(mailboxes)
        connection.close()  # each thread opens its own
        if not mailboxes:
            self.stdout.write("No active mailbox reads mail (IMAP).")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
        threads = [
            threading.Thread(
                target=_run, args=(m, stop), name=f"mail-idle-{m.pk}", daemon=True
            )
            for m in mailboxes
        ]
        for thread in threads:
            thread.start()
        self.stdout.write(
            "Waiting for mail in: " + ", ".join(m.email for m in mailboxes)
        )
        while any(t.is_alive() for t in threads) and not stop.is_set():
            stop.wait(1)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def _run(mailbox, stop: threading.Event) -> None:
    try:
        imap.mailbox_idle(mailbox, stop=stop)
    finally:
        connection.close()
