"""Real mail servers for messaging: aiosmtpd for the outbox, dovecot for IMAP."""

from __future__ import annotations

import email
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
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


# --- Dovecot: a real IMAP server in a temporary directory ---------------------------

IMAP_USER = "kundig"
IMAP_PASSWORD = "Imap-Geheim-7"  # a throwaway test server's


class Dovecot:
    """A running dovecot with one user; mail goes in by IMAP APPEND."""

    def __init__(self, root: str, port: int):
        self.root = root
        self.port = port
        self.user = IMAP_USER
        self.password = IMAP_PASSWORD

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, *mails, folder: str = "INBOX") -> list[int]:
        """Put ``mails`` (bytes or EmailMessage) into ``folder``; return their UIDs."""
        client = self.client()
        try:
            uids = []
            for mail in mails:
                raw = mail if isinstance(mail, bytes) else mail.as_bytes()
                answer = client.append(folder, raw)
                # "[APPENDUID <validity> <uid>] Append completed."
                uids.append(int(answer.split(b"]")[0].split()[-1]))
            return uids
        finally:
            client.logout()

    def log(self) -> str:
        try:
            with open(os.path.join(self.root, "dovecot.log")) as handle:
                return handle.read()
        except OSError:
            return ""


def _dovecot_users() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid) for this process.

    Dovecot refuses to run its login processes or mail access as root: run
    as root (CI), it uses the users Debian's package creates; run as anyone
    else, everything runs as that user.
    """
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    try:
        internal = pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
    except KeyError:
        pytest.skip("dovecot's system users (dovecot, dovenull) are missing")
    return "dovecot", "dovenull", internal.pw_uid, internal.pw_gid


DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = 0
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture
def dovecot():
    """A real dovecot IMAP server on 127.0.0.1, in its own temporary directory."""
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )
    if binary is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd)"
        print(f"\nSKIP: {reason}")
        pytest.skip(reason)
    internal, login, uid, gid = _dovecot_users()
    root = tempfile.mkdtemp(prefix="kundig-dovecot-")
    # The mail processes run as another user when started by root.
    os.chmod(root, 0o755)  # noqa: S103
    for folder in ("run", "state", "mail"):
        os.mkdir(os.path.join(root, folder))
    if os.geteuid() == 0:
        os.chown(os.path.join(root, "mail"), uid, gid)
    port = free_port()
    with open(os.path.join(root, "users"), "w") as handle:
        home = os.path.join(root, "mail", IMAP_USER)
        handle.write(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{home}\n")
    conf = os.path.join(root, "dovecot.conf")
    with open(conf, "w") as handle:
        handle.write(
            DOVECOT_CONF.format(
                root=root,
                port=port,
                uid=uid,
                internal=internal,
                internal_group=internal,
                login=login,
            )
        )
    process = subprocess.Popen(
        [binary, "-F", "-c", conf],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    server = Dovecot(root, port)
    try:
        _wait_until_listening(process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_listening(process, server: Dovecot) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dovecot stopped at once:\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"dovecot did not listen within 20 s:\n{server.log()}")


@pytest.fixture
def reading_mailbox(mailbox, admin, dovecot, settings, tmp_path):
    """The service mailbox, reading the dovecot user's INBOX; files go to tmp."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return services.mailbox_save(
        actor=admin,
        mailbox=mailbox,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="none",
        imap_username=dovecot.user,
        imap_password=dovecot.password,
    )
