"""Reading the mail catcher's Maildir, and writing a customer's reply to a mail.

The Maildir is read file by file, never trusted: a file that cannot be read
or parsed (cut short, not a mail at all, removed while we looked) shows as
unreadable instead of breaking the page. Listing needs only the file names
and times; headers are parsed for the mails on the page shown.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import (
    formataddr,
    formatdate,
    getaddresses,
    make_msgid,
    parsedate_to_datetime,
)
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.messaging.replies import reply_subject

# Shown at most, per mail; the raw source is also offered as a download.
MAX_SHOWN_BYTES = 2 * 1024 * 1024
# Headers that say how a mail behaves; the page shows them beside the sender.
NOTABLE_HEADERS = (
    "Reply-To",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Auto-Submitted",
    "Precedence",
    "In-Reply-To",
    "Delivered-To",
)
_FOLDERS = ("new", "cur")


@dataclass(frozen=True)
class Entry:
    """One file in the Maildir: its key, where it is, when it arrived."""

    key: str
    path: Path
    received: dt.datetime
    size: int


@dataclass
class Summary:
    """What the list shows of one caught mail."""

    entry: Entry
    sender: str = ""
    to: str = ""
    subject: str = ""
    date: dt.datetime | None = None
    readable: bool = True

    @property
    def key(self) -> str:
        return self.entry.key


_LINK = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)
_ANGLED_HTTP = re.compile(r"<(https?://[^>]+)>")


@dataclass
class CaughtMail:
    """A caught mail, taken apart for its page."""

    entry: Entry
    raw: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    sender: str = ""
    to: str = ""
    cc: str = ""
    reply_to: str = ""
    subject: str = ""
    date: dt.datetime | None = None
    message_id: str = ""
    references: str = ""
    text: str | None = None
    html: str | None = None
    attachments: list[tuple[str, str]] = field(default_factory=list)
    problem: str = ""

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def notable(self) -> list[tuple[str, str]]:
        wanted = {name.lower() for name in NOTABLE_HEADERS}
        return [(n, v) for n, v in self.headers if n.lower() in wanted]

    @property
    def links(self) -> list[str]:
        """The web links in the HTML part, once each: the frame cannot follow
        them (it is sandboxed), the page offers them to open in a new tab."""
        found = _LINK.findall(self.html or "")
        return list(dict.fromkeys(html.unescape(url) for url in found))

    @property
    def one_click_unsubscribe(self) -> str:
        """The RFC 8058 address a mail program would POST to, if the mail has one."""
        headers = {n.lower(): v for n, v in self.headers}
        if headers.get("list-unsubscribe-post", "").strip() != (
            "List-Unsubscribe=One-Click"
        ):
            return ""
        match = _ANGLED_HTTP.search(headers.get("list-unsubscribe", ""))
        return match.group(1) if match else ""

    @property
    def source(self) -> str:
        return self.raw[:MAX_SHOWN_BYTES].decode("utf-8", "replace")

    @property
    def source_cut(self) -> bool:
        return len(self.raw) > MAX_SHOWN_BYTES


def caught_entries(directory: Path) -> list[Entry]:
    """Return the Maildir's mails, newest first (by arrival)."""
    entries = []
    for folder in _FOLDERS:
        try:
            scan = os.scandir(Path(directory) / folder)
        except OSError:  # no such folder yet: nothing caught
            continue
        with scan:
            for item in scan:
                if item.name.startswith("."):
                    continue
                try:
                    if not item.is_file():
                        continue
                    info = item.stat()
                except OSError:  # gone since the listing
                    continue
                entries.append(
                    Entry(
                        key=item.name.split(":", 1)[0],  # Maildir flags follow ":"
                        path=Path(item.path),
                        received=dt.datetime.fromtimestamp(info.st_mtime, tz=dt.UTC),
                        size=info.st_size,
                    )
                )
    entries.sort(key=lambda e: (e.received, e.key), reverse=True)
    return entries


def caught_entry(directory: Path, key: str) -> Entry | None:
    return next((e for e in caught_entries(directory) if e.key == key), None)


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a broken header is left out, not fatal
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _date(message) -> dt.datetime | None:
    raw = _header(message, "Date")
    if not raw:
        return None
    try:
        value = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" means UTC with the sender's zone unknown (RFC 5322); it parses naive.
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def caught_summaries(entries: list[Entry]) -> list[Summary]:
    """Read the headers of ``entries``; an unreadable file gives a bare summary."""
    summaries = []
    parser = BytesParser(policy=policy.default)
    for entry in entries:
        try:
            with entry.path.open("rb") as handle:
                message = parser.parse(handle, headersonly=True)
        except Exception:  # any broken file stays one row
            summaries.append(Summary(entry=entry, readable=False))
            continue
        summary = Summary(
            entry=entry,
            sender=_header(message, "From"),
            to=_header(message, "To"),
            subject=_header(message, "Subject"),
            date=_date(message),
        )
        summary.readable = bool(summary.sender or summary.to or summary.subject)
        summaries.append(summary)
    return summaries


def _content(part) -> str | None:
    if part is None:
        return None
    try:
        return part.get_content()
    except Exception:  # an unknown charset, broken base64, …
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def caught_mail(directory: Path, key: str) -> CaughtMail | None:
    """Return the caught mail with ``key``, or None if there is none."""
    entry = caught_entry(directory, key)
    if entry is None:
        return None
    try:
        raw = entry.path.read_bytes()
    except OSError:
        return None
    mail = CaughtMail(entry=entry, raw=raw)
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:
        mail.problem = _("This file is not a mail Kundig can read.")
        return mail
    for name, value in message.raw_items():
        try:  # decoded (RFC 2047) where it can be
            shown = str(policy.default.header_fetch_parse(name, value))
        except Exception:
            shown = str(value)
        mail.headers.append((name, " ".join(shown.split())))
    if not mail.headers:
        mail.problem = _("This file has no mail headers; it may be cut short.")
    mail.sender = _header(message, "From")
    mail.to = _header(message, "To")
    mail.cc = _header(message, "Cc")
    mail.reply_to = _header(message, "Reply-To")
    mail.subject = _header(message, "Subject")
    mail.date = _date(message)
    mail.message_id = _header(message, "Message-ID")
    mail.references = _header(message, "References")
    try:
        mail.text = _content(message.get_body(preferencelist=("plain",)))
        mail.html = _content(message.get_body(preferencelist=("html",)))
        for part in message.iter_attachments():
            name = part.get_filename() or _("(no name)")
            mail.attachments.append((name, part.get_content_type()))
    except Exception:
        mail.problem = mail.problem or _("Kundig could not read this mail's parts.")
    return mail


# --- A reply as the customer would send it -------------------------------------------


def _first_address(header: str) -> tuple[str, str]:
    pairs = [(n, a) for n, a in getaddresses([header]) if a]
    return pairs[0] if pairs else ("", "")


def _quoted(mail: CaughtMail) -> str:
    sender = mail.sender or _("the sender")
    if mail.date:
        when = timezone.localtime(mail.date).strftime("%d.%m.%Y %H:%M")
        intro = _("On %(date)s, %(sender)s wrote:") % {"date": when, "sender": sender}
    else:
        intro = _("%(sender)s wrote:") % {"sender": sender}
    lines = (mail.text or "").strip().splitlines()
    return intro + "\n" + "\n".join(f"> {line}".rstrip() for line in lines)


def reply_build(mail: CaughtMail, *, text: str) -> bytes:
    """Return the raw reply a customer's mail program would send to ``mail``.

    It goes from the mail's recipient to its Reply-To (else its sender), with
    "Re:" before the subject, In-Reply-To and References naming the mail, and
    ``text`` above the quoted original.
    """
    customer = _first_address(mail.to)
    shop = _first_address(mail.reply_to or mail.sender)
    if not customer[1] or not shop[1]:
        raise ValueError(_("The mail has no sender or recipient to reply between."))
    subject = reply_subject(mail.subject)
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = formataddr(customer)
    reply["To"] = formataddr(shop)
    reply["Subject"] = subject
    reply["Date"] = formatdate(localtime=True)
    reply["Message-ID"] = make_msgid(domain=customer[1].rpartition("@")[2])
    if mail.message_id:
        reply["In-Reply-To"] = mail.message_id
        reply["References"] = f"{mail.references} {mail.message_id}".strip()
    body = text.strip().replace("\r\n", "\n")
    if mail.text:
        body += "\n\n" + _quoted(mail)
    reply.set_content(body + "\n")
    return reply.as_bytes()
