"""The demo's mail catcher: a local SMTP server that keeps every mail in a Maildir.

Nothing is relayed: whatever a client hands over is stored, one file per
message, in a ``mailbox.Maildir`` (written to ``tmp/`` and renamed into
``new/``, so a reader never sees half a mail). Like a delivering mail server
it puts ``Return-Path`` and ``Delivered-To`` on top, so Bcc recipients show.
``kundig mailcatcher`` runs it; ``kundig demo`` starts it beside the web
server and points the demo mailbox at it. The pages in ``views`` read the
Maildir.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import mailbox
import socket
from collections.abc import Iterator
from pathlib import Path

from aiosmtpd.controller import Controller

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2525
SERVER_NAME = "kundig-mailcatcher"


def _header_value(value: str) -> bytes:
    # The envelope comes from the client: no line breaks into our headers.
    return " ".join(value.split()).encode("utf-8", "replace")


class MaildirHandler:
    """An aiosmtpd handler that stores each mail it is given in a Maildir."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.maildir = mailbox.Maildir(self.directory, factory=None, create=True)

    def store(self, *, content: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        """Store one mail as delivered; return its Maildir key."""
        trace = b"Return-Path: <" + _header_value(mail_from) + b">\n"
        for rcpt in rcpt_tos:
            trace += b"Delivered-To: " + _header_value(rcpt) + b"\n"
        body = content.replace(b"\r\n", b"\n")
        return self.maildir.add(trace + body)

    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):  # only if someone set decode_data
            content = content.encode("utf-8", "surrogateescape")
        try:
            key = self.store(
                content=content,
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
            )
        except OSError as exc:
            logger.error("Could not store a mail in %s: %s", self.directory, exc)
            return "451 Requested action aborted: cannot store the mail"
        logger.info(
            "Caught a mail from <%s> to %s (%s)",
            envelope.mail_from,
            ", ".join(f"<{r}>" for r in envelope.rcpt_tos),
            key,
        )
        return "250 OK: caught, not delivered"


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    """Return a port on ``host`` that nothing listens on right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def catching(
    directory: Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> Iterator[Controller]:
    """Run the catcher in a thread while the block runs.

    Raises ``OSError`` if it cannot listen on ``host:port``.
    """
    controller = Controller(
        MaildirHandler(directory),
        hostname=host,
        port=port,
        server_hostname=SERVER_NAME,
        enable_SMTPUTF8=True,
        ready_timeout=10,
    )
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
