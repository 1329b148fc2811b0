"""The outbox's own MIME writer says what Django's EmailMultiAlternatives says.

Both are parsed back with the standard library's modern parser, as a mail
program would read them, and compared field by field: decoded headers,
structure, charsets, transfer encodings and the decoded text of each part.
"""

from __future__ import annotations

import email
from email import policy
from email.utils import formataddr

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kundig.messaging import wire

SENDER = ("Weber Wohnen Service", "service@weber-wohnen.example")


def ours(*, subject, name, to, text, html, extra=None):
    headers = [
        ("Subject", subject),
        ("From", wire.mailbox(*SENDER)),
        ("To", wire.mailbox(name, to)),
        ("Message-ID", "<1.2.3@weber-wohnen.example>"),
        *(extra or {}).items(),
    ]
    return wire.message_bytes(headers=headers, text=text, html=html)


def djangos(*, subject, name, to, text, html, extra=None):
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr(SENDER),
        # as the outbox did before this module: formataddr, and Django's own
        # address parser where formataddr cannot (an IDN domain)
        to=[
            (
                formataddr((name, to))
                if to.isascii()
                else sanitize_address((name, to), "utf-8")
            )
            if name
            else to
        ],
        headers={"Message-ID": "<1.2.3@weber-wohnen.example>", **(extra or {})},
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message.message().as_bytes(linesep="\r\n")


def read(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def parts(mail):
    leaves = list(mail.iter_parts()) if mail.is_multipart() else [mail]
    return [
        (
            leaf.get_content_type(),
            leaf.get_content_charset(),
            leaf["Content-Transfer-Encoding"],
            leaf.get_content().replace("\r\n", "\n"),
        )
        for leaf in leaves
    ]


def assert_same(*, same_encoding=True, **fields):
    raw = ours(**fields)
    assert all(len(line) <= wire.LINE_LIMIT for line in raw.split(b"\r\n"))
    mine, theirs = read(raw), read(djangos(**fields))
    for name in ("Subject", "From", "To", "Message-ID", "MIME-Version",
                 *(fields.get("extra") or {})):  # fmt: skip
        # Django folds a long encoded subject before its first word, which
        # reads back with a leading space, and drops a trailing one.
        assert str(mine[name]).strip() == str(theirs[name]).strip(), name
    assert mine.get_content_type() == theirs.get_content_type()
    if same_encoding:
        assert parts(mine) == parts(theirs)
    else:
        # Django measures lines by str.splitlines(), which also breaks at
        # \v, \f, U+2028 …; SMTP lines end only at CRLF, as measured here.
        # So where Django may write an over-long line, this writes
        # quoted-printable: the same text either way.
        drop = [(t, c, content) for t, c, _cte, content in parts(mine)]
        assert drop == [(t, c, content) for t, c, _cte, content in parts(theirs)]
    assert mine["Date"] and theirs["Date"]
    assert not mine.defects and all(not p.defects for p in mine.walk())
    return mine


CASES = {
    "plain ASCII": {
        "subject": "Your order 5001",
        "name": "Erika Mustermann",
        "to": "erika@example.de",
        "text": "Dear Ms Mustermann,\n\nthank you.\n",
        "html": "<p>Dear Ms Mustermann,</p><p>thank you.</p>",
    },
    "umlauts everywhere": {
        "subject": "Ihre Bestellung ist unterwegs – Grüße aus Köln",
        "name": "Jürgen Müller-Lüdenscheidt",
        "to": "juergen@example.de",
        "text": "Sehr geehrter Herr Müller,\n\nIhr Paket ist unterwegs. Übermorgen!\n",
        "html": "<p>Sehr geehrter Herr Müller,</p><p>Straße · 59,90 €</p>",
    },
    "a long subject with umlauts and a name with a comma": {
        "subject": "Wir vermissen Sie – " + "schöne neue Möbel für Ihr Zuhause " * 4,
        "name": 'Müller, Jürgen (Einkauf) "JM"',
        "to": "einkauf@example.de",
        "text": "Hallo\n",
        "html": "",
    },
    "a long ASCII header and subject": {
        "subject": "An ASCII subject that is longer than seventy-eight characters "
        "so that it has to be folded",
        "name": "",
        "to": "a@example.com",
        "text": "Hello",
        "html": "<p>Hello</p>",
        "extra": {
            "List-Unsubscribe": "<https://crm.example.com/privacy/unsubscribe/"
            "3361.newsletter:0SpwUhmzBbMq7vcdiAyh9YNsosuC1mtokDU_cM4MlTc/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "In-Reply-To": "<a@b.example>",
            "References": " ".join(f"<id{n}@mail.example.com>" for n in range(8)),
        },
    },
    "an HTML line longer than SMTP allows": {
        "subject": "Newsletter",
        "name": "Anna",
        "to": "anna@example.de",
        "text": "Kurz.\n",
        "html": "<p>" + "Möbel, Lampen & Teppiche = schön. " * 60 + "</p>",
    },
    "a text line longer than SMTP allows, ASCII": {
        "subject": "x",
        "name": "",
        "to": "b@example.de",
        "text": "word " * 400,
        "html": "",
    },
    "CRLF and CR in the body, trailing spaces, a dot line": {
        "subject": "Zeilen",
        "name": "Dr. Anna Weber",
        "to": "anna@example.de",
        "text": "eins  \r\nzwei\r.\ndrei\n\n",
        "html": "<p>eins</p>\r\n<p>zwei</p>",
    },
    "an internationalised domain and emoji": {
        "subject": "Danke 🎉",
        "name": "Zoë 🎉",
        "to": "kunde@müller-möbel.de",
        "text": "Danke 🎉\n",
        "html": "<p>Danke 🎉</p>",
    },
}


@pytest.mark.parametrize("fields", CASES.values(), ids=CASES.keys())
def test_it_writes_what_django_writes(fields):
    assert_same(**fields)


def test_a_long_header_keeps_its_first_word_beside_its_name():
    mail = read(ours(**CASES["a long ASCII header and subject"]))

    # folded after the colon, the value would read back starting with a space
    assert str(mail["List-Unsubscribe"]).startswith("<https://crm.example.com/")
    assert str(mail["References"]).startswith("<id0@mail.example.com> <id1@")
    assert str(mail["Subject"]).startswith("An ASCII subject")


def test_no_line_is_longer_than_smtp_allows():
    for fields in CASES.values():
        for line in ours(**fields).split(b"\r\n"):
            assert len(line) <= wire.LINE_LIMIT


def test_every_line_ends_in_crlf():
    raw = ours(**CASES["CRLF and CR in the body, trailing spaces, a dot line"])
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")


def test_the_envelope_takes_the_domain_in_idna():
    idna = "müller-möbel.de".encode("idna").decode()
    assert idna.startswith("xn--")
    assert wire.envelope_address("kunde@müller-möbel.de") == f"kunde@{idna}"
    assert wire.envelope_address("a@example.com") == "a@example.com"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Subject", "Hallo\r\nBcc: opfer@example.com"),
        ("Subject", "Hallo\nBcc: opfer@example.com"),
        ("X-Note", "eins\rzwei"),
    ],
)
def test_a_line_break_in_a_header_value_is_refused(name, value):
    with pytest.raises(ValueError, match="may not break lines"):
        wire.header(name, value)


def test_a_line_break_in_a_name_or_address_is_refused():
    with pytest.raises(ValueError, match="may not break lines"):
        wire.mailbox("Anna\r\nBcc: x@example.com", "anna@example.de")
    with pytest.raises(ValueError, match="may not break lines"):
        wire.envelope_address("anna@example.de\r\nRCPT TO:<x@example.com>")


def test_the_boundary_never_occurs_in_a_part(monkeypatch):
    tokens = iter(["a" * 32, "b" * 32])
    monkeypatch.setattr(wire.secrets, "token_hex", lambda _n: next(tokens))
    fields = {**CASES["plain ASCII"], "html": f"<p>=={'a' * 32}==</p>"}

    mail = assert_same(**fields)

    assert mail.get_boundary() == f"=={'b' * 32}=="


# Any text a template can produce, in any header or part.
characters = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
texts = st.one_of(
    st.text(characters, max_size=300),
    # long lines, for quoted-printable
    st.builds(lambda s, n: s * n, st.text(characters, min_size=1, max_size=40),
              st.integers(30, 80)),
)  # fmt: skip
one_line = st.text(characters, max_size=200).map(lambda s: " ".join(s.split()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=one_line, name=one_line, text=texts, html=texts)
def test_any_text_reads_back_as_django_writes_it(subject, name, text, html):
    assert_same(subject=subject, name=name, to="kunde@example.de", text=text,
                html=html, same_encoding=False)  # fmt: skip
