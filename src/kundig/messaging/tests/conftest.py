"""A real SMTP server for the outbox: aiosmtpd on localhost, answers scripted."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest

from kundig.messaging import services
from kundig.messaging.models import Mailbox


class ScriptedInbox:
    """Accepts mail, or answers with the codes queued in ``replies`` first."""

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self.replies: list[str] = []
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            return self.replies.pop(0)
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=policy.default)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = ScriptedInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox(db, smtp, admin):
    return services.mailbox_save(
        actor=admin,
        name="Service",
        email="service@weber-wohnen.example",
        sender_name="Weber Wohnen Service",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_password="not-needed",
    )


@pytest.fixture
def closed_port_mailbox(db, admin):
    return Mailbox.objects.create(
        name="Down",
        email="down@weber-wohnen.example",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_security="none",
    )
