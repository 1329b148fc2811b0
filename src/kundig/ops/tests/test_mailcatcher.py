"""The mail catcher takes mail over real SMTP and keeps it in a Maildir."""

from __future__ import annotations

import mailbox
import select
import signal
import smtplib
import socket
import subprocess
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from kundig.ops.mailcatcher import catching, free_port, port_is_free
from kundig.ops.tests.processes import kundig_argv, kundig_env, run_kundig


def _mail(subject="Hallo", to="kunde@example.de") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Bergfreunde <service@kundig.demo>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Grüße aus dem Lager.")
    return message


def _stored(directory) -> list:
    box = mailbox.Maildir(directory, factory=None, create=False)
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()]


def test_it_keeps_a_mail_sent_over_smtp_in_the_maildir(tmp_path):
    # given a catcher on a free port
    directory = tmp_path / "mail"
    port = free_port()
    with catching(directory, port=port):
        # when a mail comes in over SMTP, with a Bcc recipient
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            refused = smtp.send_message(
                _mail("Ihre Bestellung"), to_addrs=["kunde@example.de", "bcc@shop.de"]
            )
        assert refused == {}

    # then it is one file in the Maildir's new/, with the envelope on top
    [stored] = _stored(directory)
    assert stored["Subject"] == "Ihre Bestellung"
    assert stored["Return-Path"] == "<service@kundig.demo>"
    assert stored.get_all("Delivered-To") == ["kunde@example.de", "bcc@shop.de"]
    assert stored.get_content().strip() == "Grüße aus dem Lager."
    assert len(list((directory / "new").iterdir())) == 1
    assert list((directory / "tmp").iterdir()) == []


def test_it_keeps_every_mail_of_one_connection(tmp_path):
    port = free_port()
    with (
        catching(tmp_path / "mail", port=port),
        smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp,
    ):
        for n in range(3):
            smtp.send_message(_mail(f"Mail {n}"))

    assert sorted(m["Subject"] for m in _stored(tmp_path / "mail")) == [
        "Mail 0",
        "Mail 1",
        "Mail 2",
    ]


def test_a_taken_port_is_an_error_not_a_silent_second_server(tmp_path):
    port = free_port()
    with catching(tmp_path / "a", port=port):
        assert not port_is_free("127.0.0.1", port)
        second = catching(tmp_path / "b", port=port)
        with pytest.raises(OSError, match="in use"), second:
            pass


# --- kundig mailcatcher, the process --------------------------------------------------


def _read_until(process: subprocess.Popen, text: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or process.poll() is not None:
            raise AssertionError(f"no {text!r} in:\n{seen}")
        ready, _w, _x = select.select([process.stdout], [], [], left)
        if ready:
            seen += process.stdout.readline()
    return seen


def test_kundig_mailcatcher_runs_until_sigterm_and_stores_what_it_gets(tmp_path):
    # given the command on a free port
    port = free_port()
    maildir = tmp_path / "caught"
    catcher = subprocess.Popen(
        [*kundig_argv(), "mailcatcher", "--port", str(port), "--maildir", str(maildir)],
        env=kundig_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        started = _read_until(catcher, "Mail catcher: SMTP on", timeout=60)
        assert f"127.0.0.1:{port}" in started and str(maildir) in started
        # when a mail comes in
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(_mail("Über den Prozess"))
        # then it is stored, and SIGTERM stops the catcher cleanly
        catcher.send_signal(signal.SIGTERM)
        rest, _ = catcher.communicate(timeout=30)
    finally:
        catcher.kill()
    assert catcher.returncode == 0, rest
    assert "Mail catcher stopped." in rest
    assert [m["Subject"] for m in _stored(maildir)] == ["Über den Prozess"]


def test_kundig_mailcatcher_on_a_taken_port_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_kundig(
            "mailcatcher", "--port", str(port), data_dir=tmp_path, timeout=60
        )

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr
