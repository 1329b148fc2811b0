"""Read one incoming mail: headers, bodies, attachments, its kind, delivery reports.

Pure functions over the raw bytes, no database. Everything is read with
``email.policy.default`` (plus a header cache, :data:`POLICY`). What cannot
be read (a header the parser chokes on, an unknown charset, broken base64) is
left out or decoded with replacement characters, and noted; it never stops
the mail. A mail without a usable Message-ID gets one made from its bytes, so
a second delivery of the same bytes is still recognised.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from email.utils import getaddresses, parsedate_to_datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core.sanitize import html_to_text, sanitize_html
from kundig.core.text import one_line, strip_control_characters

from .choices import InboundKind

ID_LENGTH = 250
# Longer bodies are cut: a CRM keeps what people wrote, not 50 MB of HTML.
TEXT_LIMIT = 500_000
_ID = re.compile(r"<[^<>\s]+>")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_QUOTE_INTRO = re.compile(
    r"^\s*(On|Am)\b.{0,200}\b(wrote|schrieb)\b.{0,80}:\s*$", re.IGNORECASE
)
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
DAEMONS = frozenset({"mailer-daemon", "postmaster"})
REPORT_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
RETURNED_TYPES = frozenset(
    {
        "message/rfc822",
        "text/rfc822-headers",
        "message/global",
        "message/global-headers",
    }
)


# Longer header values are parsed each time, so the cache stays small.
CACHED_HEADER_LENGTH = 2000


class _ReusingHeaderRegistry(HeaderRegistry):
    """The standard header classes, each distinct header value parsed once.

    ``policy.default`` parses a header anew on every read, and the stdlib
    reads ``Content-Type`` dozens of times per mail (``get_body`` and
    ``walk`` ask every part again): without this, parsing headers was two
    thirds of the time spent reading a mail. Header objects are immutable
    strings, so sharing one between reads (and mails) is safe.
    """

    def __call__(self, name, value):
        if len(value) > CACHED_HEADER_LENGTH:  # a sender's long header stays out
            return super().__call__(name, value)
        return self._cached(name, value)

    @functools.lru_cache(maxsize=1024)  # noqa: B019 (one registry, for good)
    def _cached(self, name, value):
        return super().__call__(name, value)


POLICY = policy.default.clone(header_factory=_ReusingHeaderRegistry())


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class FailedRecipient:
    """One recipient of a delivery status report that was not delivered."""

    email: str
    original: str
    action: str
    status: str
    diagnostic: str

    @property
    def hard(self) -> bool:
        return self.status.startswith("5")


@dataclass
class Report:
    """An RFC 3464 delivery status report: who failed, and which mail it was."""

    recipients: list[FailedRecipient]
    original_message_id: str = ""


@dataclass
class ParsedMail:
    message_id: str
    size: int
    from_email: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    kind: str = InboundKind.MAIL
    flag_reason: str = ""
    report: Report | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, the direct parent first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [i for i in reversed(self.references) if i not in ids]
        return ids


def parse(
    raw: bytes, *, own_addresses=frozenset(), headers_only: bool = False
) -> ParsedMail:
    """Read ``raw``; ``headers_only`` for a mail too large to read whole."""
    msg = BytesParser(policy=POLICY).parsebytes(raw, headersonly=headers_only)
    problems: list[str] = []
    from_name, from_email = _sender(msg)
    mail = ParsedMail(
        message_id=_message_id(msg, raw),
        size=len(raw),
        from_email=from_email,
        from_name=from_name,
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        subject=header(msg, "Subject")[:300],
        in_reply_to=next(iter(ids(header(msg, "In-Reply-To"))), ""),
        references=ids(header(msg, "References")),
        date=_date(msg),
        problems=problems,
    )
    if not headers_only:
        mail.report = _report(msg, problems)
        text_part, html_part = _bodies(msg)
        mail.html = _html(html_part, problems)
        mail.text = _text(text_part, problems) or html_to_text(mail.html)
        if len(mail.text) > TEXT_LIMIT:
            mail.text = mail.text[:TEXT_LIMIT]
            problems.append(
                _("The text was cut after %(n)d characters.") % {"n": TEXT_LIMIT}
            )
        if mail.report is None:
            mail.attachments = _attachments(msg, (text_part, html_part), problems)
    mail.kind, mail.flag_reason = _classify(msg, mail, own_addresses)
    if msg.defects and not problems:
        problems.append(_("The mail is not well-formed; Kundig read what it could."))
    return mail


# --- Headers ------------------------------------------------------------------------


def header(msg: EmailMessage, name: str) -> str:
    """The header ``name`` decoded to one line; '' when missing or unreadable."""
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot make sense of
        value = _raw_header(msg, name)
    return one_line(strip_control_characters(str(value or "")))


def _raw_header(msg: EmailMessage, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            try:
                return str(make_header(decode_header(value)))
            except Exception:  # keep the undecoded text
                return str(value)
    return ""


def ids(value: str) -> list[str]:
    """The Message-IDs in a header value, in order, each once."""
    found: list[str] = []
    for token in _ID.findall(value or ""):
        if len(token) <= ID_LENGTH and token not in found:
            found.append(token)
    return found


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    value = header(msg, "Message-ID")
    found = ids(value)
    if found:
        return found[0]
    digest = hashlib.sha256(value.encode() if value else raw).hexdigest()[:40]
    return f"<{digest}@kundig.invalid>"


def valid_address(value: str) -> str:
    """``value`` lower-cased if it is a usable address, else ''."""
    value = (value or "").strip().lower()
    if len(value) > 254:  # what EmailField stores; validate_email allows 320
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _sender(msg: EmailMessage) -> tuple[str, str]:
    for name, address in getaddresses([header(msg, "From")]):
        if address := valid_address(address):
            return one_line(name)[:200], address
    return "", ""


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    found = []
    for _name, address in getaddresses([header(msg, name)]):
        address = valid_address(address)
        if address and address not in found:
            found.append(address)
    return found


def _date(msg: EmailMessage) -> datetime | None:
    value = header(msg, "Date")
    if not value:
        return None
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    # A sender's clock far ahead would put the mail above everything else.
    if date > timezone.now() + timedelta(hours=1):
        return None
    return date


# --- Bodies and attachments ----------------------------------------------------------


def _bodies(msg: EmailMessage):
    def body(kind: str):
        try:
            return msg.get_body(preferencelist=(kind,))
        except Exception:  # a broken structure: no such body
            return None

    return body("plain"), body("html")


def _decoded(part, problems: list[str]) -> str:
    try:
        return part.get_content()
    except Exception:  # unknown charset, broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        problems.append(
            _("A text part had an unknown encoding; some characters may be wrong.")
        )
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, "replace")
        except LookupError:
            return payload.decode("utf-8", "replace")


def _text(part, problems: list[str]) -> str:
    if part is None:
        return ""
    return strip_control_characters(_decoded(part, problems)).strip()


def _html(part, problems: list[str]) -> str:
    if part is None:
        return ""
    html = _decoded(part, problems)
    if len(html) > TEXT_LIMIT:
        html = html[:TEXT_LIMIT]
    return sanitize_html(strip_control_characters(html))


def _leaves(part):
    """The parts that are not containers; a forwarded mail counts as one part."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.iter_parts():
            yield from _leaves(sub)
    else:
        yield part


def _attachments(msg, bodies, problems: list[str]) -> list[Attachment]:
    found = []
    for n, part in enumerate(_leaves(msg), start=1):
        if any(part is body for body in bodies if body is not None):
            continue
        try:
            filename = part.get_filename() or ""
        except Exception:  # a broken RFC 2231 name
            filename = ""
        disposition = (part.get_content_disposition() or "").lower()
        ctype = part.get_content_type().lower()
        if not filename and disposition != "attachment" and ctype.startswith("text/"):
            continue  # an inline text part (a list footer): part of the body
        try:
            data = _payload(part)
        except Exception:  # undecodable: say so, keep the others
            problems.append(_("An attachment could not be decoded."))
            continue
        found.append(
            Attachment(
                filename=safe_filename(filename, ctype, n),
                content_type=ctype[:100],
                data=data,
            )
        )
    return found


def _payload(part) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) else inner
        return inner.as_bytes(policy=policy.SMTP)
    return part.get_payload(decode=True) or b""


_EXTENSIONS = {"message/rfc822": ".eml", "text/plain": ".txt", "text/html": ".html",
               "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
               "application/pdf": ".pdf"}  # fmt: skip


def safe_filename(filename: str, content_type: str, n: int) -> str:
    """A file name without directories or control characters, never empty."""
    name = strip_control_characters(filename).replace("\\", "/")
    name = one_line(os.path.basename(name)).strip(". ")
    if not name:
        name = f"attachment-{n}{_EXTENSIONS.get(content_type, '')}"
    stem, ext = os.path.splitext(name)
    return stem[: 200 - len(ext[:20])] + ext[:20]


# --- Kinds -------------------------------------------------------------------------


def _classify(msg, mail: ParsedMail, own_addresses) -> tuple[str, str]:
    if mail.report is not None:
        return InboundKind.BOUNCE, ""
    if mail.from_email and mail.from_email in own_addresses:
        return InboundKind.OWN, _("Sent from one of our own mailbox addresses.")
    auto = header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return InboundKind.AUTO_REPLY, f"Auto-Submitted: {auto}"[:300]
    for name in ("X-Autoreply", "X-Autorespond"):
        if header(msg, name):
            return InboundKind.AUTO_REPLY, f"{name}: {header(msg, name)}"[:300]
    precedence = header(msg, "Precedence").lower()
    if precedence == "auto_reply":
        return InboundKind.AUTO_REPLY, "Precedence: auto_reply"
    if precedence in BULK_PRECEDENCE:
        return InboundKind.BULK, f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe"):
        if header(msg, name):
            return InboundKind.BULK, f"{name}: {header(msg, name)}"[:300]
    local = mail.from_email.partition("@")[0]
    if local in DAEMONS or header(msg, "Return-Path").strip() == "<>":
        return InboundKind.AUTO_REPLY, _("Sent by a mail system, not a person.")
    return InboundKind.MAIL, ""


# --- Delivery status reports (RFC 3464) ---------------------------------------------


def _report(msg: EmailMessage, problems: list[str]) -> Report | None:
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type", "")).lower() != "delivery-status":
        return None
    report = Report(recipients=[])
    for part in msg.iter_parts():
        ctype = part.get_content_type()
        if ctype in REPORT_TYPES:
            for fields in _status_blocks(part):
                recipient = _failed_recipient(fields)
                if recipient is not None:
                    report.recipients.append(recipient)
        elif ctype in RETURNED_TYPES and not report.original_message_id:
            report.original_message_id = _returned_id(part)
    if not report.recipients:
        problems.append(_("The delivery report names no failed recipient."))
    return report


def _status_blocks(part) -> list[dict[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list):  # the parser split the groups of fields
        blocks = [{k.lower(): one_line(str(v)) for k, v in b.items()} for b in payload]
    else:  # message/global-delivery-status, or a report the parser left whole
        text = part.get_payload(decode=True) or b""
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        blocks = []
        for chunk in re.split(r"\r?\n\s*\r?\n", text):
            if chunk.strip():
                fields = Parser(policy=POLICY).parsestr(chunk, headersonly=True)
                blocks.append({k.lower(): one_line(str(v)) for k, v in fields.items()})
    return blocks


def _typed_address(value: str) -> str:
    # "rfc822; anna@example.de" (the type is optional in practice)
    return valid_address(value.rpartition(";")[2].strip().strip("<>"))


def _failed_recipient(fields: dict[str, str]) -> FailedRecipient | None:
    email = _typed_address(fields.get("final-recipient", ""))
    original = _typed_address(fields.get("original-recipient", ""))
    if not (email or original):
        return None
    action = fields.get("action", "").lower().strip()
    match = _STATUS.search(fields.get("status", ""))
    status = match.group(0) if match else ""
    if action not in ("failed", "delayed") and not status.startswith(("4", "5")):
        return None  # delivered, relayed, expanded
    if not status:
        status = "5.0.0" if action == "failed" else "4.0.0"
    diagnostic = fields.get("diagnostic-code", "").partition(";")
    return FailedRecipient(
        email=email or original,
        original=original or email,
        action=action,
        status=status,
        diagnostic=(diagnostic[2] or diagnostic[0]).strip()[:300],
    )


def _returned_id(part) -> str:
    try:
        if part.get_content_type() in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            return next(iter(ids(header(inner, "Message-ID"))), "")
        text = part.get_content()
        returned = Parser(policy=POLICY).parsestr(text, headersonly=True)
        return next(iter(ids(header(returned, "Message-ID"))), "")
    except Exception:  # no usable copy of the original
        return ""


def without_quote(text: str) -> str:
    """``text`` without the quoted mail at its end ("On … wrote:" and "> " lines)."""
    lines = text.splitlines()
    end = len(lines)
    while end and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")
    ):
        end -= 1
    if end < len(lines) and end and _QUOTE_INTRO.match(lines[end - 1]):
        end -= 1
    return "\n".join(lines[:end]).strip() or text.strip()
