from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler


@task()
def outbox_send() -> int:
    """Send the queued messages that are due."""
    from .outbox import outbox_send_due

    return outbox_send_due()


@task()
def mailboxes_read() -> int:
    """File the new mail of every mailbox that reads mail (IMAP)."""
    from .imap import mailboxes_poll

    return mailboxes_poll()


scheduler.every(
    timedelta(minutes=1), "messaging.outbox_send", "kundig.messaging.tasks.outbox_send"
)
scheduler.every(
    timedelta(minutes=1),
    "messaging.mailboxes_read",
    "kundig.messaging.tasks.mailboxes_read",
)
