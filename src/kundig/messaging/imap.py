"""Reading mailboxes over IMAP: a poll every minute, and IDLE where the server has it.

The reader selects the folder read-only and fetches with ``BODY.PEEK``, so
Kundig changes nothing on the server: no flags set, nothing moved or deleted.
Progress per mailbox is the folder's UIDVALIDITY and the highest UID filed.
The mails of one fetch are filed together, and their filing and the advance
past their UIDs commit in one transaction, so a reader that dies in the
middle goes on after the last fetch it filed, and a mail is never filed
twice; the Message-ID makes it so even when the server renumbers the folder
or two readers meet. A mail that cannot be filed is filed with what can be
read (the original attached), or skipped with a logged reason: it never stops
the others.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from . import inbound
from .choices import Security
from .models import Mailbox

logger = logging.getLogger(__name__)

IMAP_TIMEOUT = 60
# Mail fetched in one round trip, and filed in one transaction: at most this
# many, and about this many bytes.
FETCH_COUNT = 50
FETCH_BYTES = 20 * 1024 * 1024
# A mailbox read for the first time: the mail of at most the last two weeks
# (or since the mailbox was set up, if later) is filed; older mail stays.
FIRST_READ = timedelta(days=14)
# IDLE is renewed well within the 29 minutes servers allow (RFC 2177).
IDLE_RENEW = 10 * 60

IMAP_ERRORS = (imaplib.IMAP4.error, OSError, EOFError)
DEADLOCK = "40P01"  # PostgreSQL's deadlock_detected


@dataclass
class PollResult:
    """What one read of a mailbox came to."""

    filed: int = 0
    duplicates: int = 0
    unreadable: int = 0
    skipped: int = 0
    error: str = ""


def reading_mailboxes():
    return (
        Mailbox.objects.filter(is_active=True)
        .exclude(imap_host="")
        .exclude(imap_username="")
    )


def imap_connect(mailbox: Mailbox) -> IMAPClient:
    """Open and log in to the mailbox's IMAP server."""
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_security == Security.SSL,
        ssl_context=context,
        timeout=IMAP_TIMEOUT,
    )
    try:
        if mailbox.imap_security == Security.STARTTLS:
            client.starttls(context)
        client.login(mailbox.imap_username, mailbox.imap_password)
    except BaseException:
        _logout(client)
        raise
    return client


def _logout(client) -> None:
    try:
        client.logout()
    except Exception:  # the connection is being dropped anyway
        with contextlib.suppress(Exception):
            client.shutdown()


def describe(exc: BaseException) -> str:
    """A reason for people and logs; never the password (servers don't echo it)."""
    if isinstance(exc, LoginError):
        return _("The IMAP server refused the user name or password.")
    if isinstance(exc, TimeoutError):
        return _("The IMAP server did not answer in time.")
    if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError):
        return _("Could not connect to the IMAP server: %(error)s") % {
            "error": exc.strerror or exc.__class__.__name__
        }
    return str(exc)[:300] or exc.__class__.__name__


def imap_test(mailbox: Mailbox) -> str | None:
    """Log in and open the folder; return the problem or None."""
    try:
        client = imap_connect(mailbox)
        try:
            client.select_folder(mailbox.imap_folder, readonly=True)
        finally:
            _logout(client)
    except IMAP_ERRORS as exc:
        return describe(exc)
    return None


# --- Polling -------------------------------------------------------------------------


def mailboxes_poll() -> int:
    """Read every active mailbox that reads mail; return how many mails were filed."""
    filed = 0
    for mailbox in reading_mailboxes():
        try:
            filed += mailbox_poll(mailbox).filed
        except DatabaseError:
            raise  # the database is away: the next run reads again
        except Exception:
            logger.exception("Reading mailbox %s failed", mailbox.pk)
    return filed


def mailbox_poll(
    mailbox: Mailbox, *, client: IMAPClient | None = None, limit: int = 500
) -> PollResult:
    """File the mail that arrived in ``mailbox`` since the last read.

    Opens its own connection unless given one. A connection problem is
    recorded on the mailbox and returned, not raised.
    """
    mailbox.refresh_from_db(fields=["imap_uidvalidity", "imap_last_uid", "created_at"])
    own = client is None
    try:
        if own:
            client = imap_connect(mailbox)
        result = _read(mailbox, client, limit)
    except IMAP_ERRORS as exc:
        problem = describe(exc)
        logger.warning("Reading mailbox %s: %s", mailbox.pk, problem)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            imap_error=problem[:500], imap_checked_at=timezone.now()
        )
        return PollResult(error=problem)
    finally:
        if own and client is not None:
            _logout(client)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_error="", imap_checked_at=timezone.now()
    )
    return result


def _start(mailbox: Mailbox, client: IMAPClient, info: dict, validity: int) -> int:
    """The UID to read after in a folder read for the first time (or renumbered)."""
    since = max(mailbox.created_at, timezone.now() - FIRST_READ)
    # SINCE compares dates in the server's time zone: a day early is safe.
    recent = client.search(["SINCE", (since - timedelta(days=1)).date()])
    if recent:
        return min(recent) - 1
    uidnext = info.get(b"UIDNEXT")
    if uidnext:
        return int(uidnext) - 1
    return max(client.search(["ALL"]) or [0])


def _read(mailbox: Mailbox, client: IMAPClient, limit: int) -> PollResult:
    info = client.select_folder(mailbox.imap_folder, readonly=True)
    validity = int(info[b"UIDVALIDITY"])
    if mailbox.imap_uidvalidity != validity:
        if mailbox.imap_uidvalidity is not None:
            logger.warning(
                "Mailbox %s: UIDVALIDITY changed; reading the folder anew", mailbox.pk
            )
        start = _start(mailbox, client, info, validity)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            imap_uidvalidity=validity, imap_last_uid=start
        )
        mailbox.imap_uidvalidity, mailbox.imap_last_uid = validity, start
    last = mailbox.imap_last_uid
    # "n:*" always names the newest mail, even below n: hence the filter.
    uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
    result = PollResult()
    for batch in _batches(client, uids[:limit]):
        fetched = list(_fetch(client, batch))
        for outcome in _file_fetched(mailbox, validity, fetched):
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _file_fetched(mailbox: Mailbox, validity: int, fetched: list) -> list[str]:
    """File one fetch's mails in one transaction with the move past their UIDs.

    A mail the batch cannot take (one the parser fails on, or one another
    reader files at this moment) sends the whole fetch the slow way: one
    mail and one transaction at a time, where each such mail is dealt with.
    """
    mails = [
        inbound.Incoming(raw=raw, uid=uid, size=size, headers_only=headers_only)
        for uid, raw, size, headers_only in fetched
        if raw is not None
    ]
    try:
        with transaction.atomic():
            filed = inbound.inbound_file_many(mailbox=mailbox, mails=mails)
            _advance(mailbox, validity, max(uid for uid, *_rest in fetched))
    except DatabaseError as exc:
        if not _met_another_reader(exc):
            raise  # nothing wrong with the mail: the next read tries it again
        logger.info(
            "Mailbox %s: another reader filed some of the batch; filing one by one",
            mailbox.pk,
        )
    except Exception:
        logger.info(
            "Mailbox %s: a mail of the batch needs a closer look; filing one by one",
            mailbox.pk,
            exc_info=True,
        )
    else:
        gone = [uid for uid, raw, *_rest in fetched if raw is None]
        for uid in gone:
            logger.warning(
                "Mailbox %s, UID %s: gone before it was fetched", mailbox.pk, uid
            )
        return ["filed" if f.created else "duplicates" for f in filed] + [
            "skipped"
        ] * len(gone)
    return [
        _file_one(mailbox, validity, uid, raw, size, headers_only)
        for uid, raw, size, headers_only in fetched
    ]


def _batches(client: IMAPClient, uids: list[int]):
    """Groups of (uid, size), each fetchable in one round trip."""
    for start in range(0, len(uids), FETCH_COUNT):
        chunk = uids[start : start + FETCH_COUNT]
        sizes = client.fetch(chunk, ["RFC822.SIZE"])
        group, total = [], 0
        for uid in chunk:
            if uid not in sizes:
                continue  # expunged since the search
            size = int(sizes[uid].get(b"RFC822.SIZE", 0))
            if group and total + size > FETCH_BYTES:
                yield group
                group, total = [], 0
            group.append((uid, size))
            total += min(size, inbound.mail_limit())
        if group:
            yield group


def _fetch(client: IMAPClient, batch: list[tuple[int, int]]):
    limit = inbound.mail_limit()
    whole = [uid for uid, size in batch if size <= limit]
    large = [uid for uid, size in batch if size > limit]
    bodies = client.fetch(whole, ["BODY.PEEK[]"]) if whole else {}
    headers = client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
    for uid, size in batch:
        if uid in bodies:
            yield uid, bodies[uid].get(b"BODY[]") or b"", size, False
        elif uid in headers:
            yield uid, headers[uid].get(b"BODY[HEADER]") or b"", size, True
        else:
            yield uid, None, size, False


def _met_another_reader(exc: DatabaseError) -> bool:
    """A Message-ID filed at this moment elsewhere, or a deadlock with a
    transaction taking the same address locks (the shop's buyer matching)."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) == DEADLOCK


def _advance(mailbox: Mailbox, validity: int, uid: int) -> None:
    # Only forward, and only in the numbering the reader saw.
    Mailbox.objects.filter(
        pk=mailbox.pk, imap_uidvalidity=validity, imap_last_uid__lt=uid
    ).update(imap_last_uid=uid)


def _file_one(
    mailbox: Mailbox, validity: int, uid: int, raw: bytes | None, size: int,
    headers_only: bool,
) -> str:  # fmt: skip
    """File one fetched mail and move past its UID; return the outcome's name."""
    if raw is None:
        logger.warning(
            "Mailbox %s, UID %s: gone before it was fetched", mailbox.pk, uid
        )
        _advance(mailbox, validity, uid)
        return "skipped"
    try:
        with transaction.atomic():
            filed = inbound.inbound_file(
                mailbox=mailbox, raw=raw, uid=uid, size=size, headers_only=headers_only
            )
            _advance(mailbox, validity, uid)
        return "filed" if filed.created else "duplicates"
    except DatabaseError:
        raise  # nothing wrong with the mail: the next read tries it again
    except Exception as exc:
        logger.exception("Mailbox %s, UID %s: could not be filed", mailbox.pk, uid)
        reason = f"{exc.__class__.__name__}: {exc}"
    try:
        with transaction.atomic():
            inbound.inbound_file_unreadable(
                mailbox=mailbox, raw=raw, uid=uid, reason=reason
            )
            _advance(mailbox, validity, uid)
        return "unreadable"
    except DatabaseError:
        raise
    except Exception:
        logger.exception("Mailbox %s, UID %s: skipped", mailbox.pk, uid)
    _advance(mailbox, validity, uid)
    return "skipped"


# --- IDLE ----------------------------------------------------------------------------


def mailbox_idle(
    mailbox: Mailbox, *, stop: threading.Event, renew: float = IDLE_RENEW,
    retry: float = 5.0,
) -> None:  # fmt: skip
    """Read ``mailbox`` as soon as the server reports new mail, until ``stop`` is set.

    Waits with IDLE on one connection; on a wake-up (or when IDLE is renewed)
    it files what is new with :func:`mailbox_poll`. Reconnects after a
    problem, waiting longer each time. Returns at once if the server has no
    IDLE: the minute poll reads that mailbox.
    """
    wait = retry
    while not stop.is_set():
        close_old_connections()
        try:
            client = imap_connect(mailbox)
        except IMAP_ERRORS as exc:
            logger.warning("IDLE on mailbox %s: %s", mailbox.pk, describe(exc))
            stop.wait(wait)
            wait = min(wait * 2, 300)
            continue
        try:
            if b"IDLE" not in client.capabilities():
                logger.info("Mailbox %s: no IDLE; the minute poll reads it", mailbox.pk)
                return
            wait = retry
            _idle(mailbox, client, stop, renew)
        except IMAP_ERRORS as exc:
            logger.warning("IDLE on mailbox %s: %s", mailbox.pk, describe(exc))
            stop.wait(wait)
            wait = min(wait * 2, 300)
        finally:
            _logout(client)
            close_old_connections()


def _idle(mailbox: Mailbox, client: IMAPClient, stop: threading.Event, renew) -> None:
    while not stop.is_set():
        result = mailbox_poll(mailbox, client=client)
        if result.error:
            raise OSError(result.error)
        close_old_connections()
        client.idle()
        started = time.monotonic()
        news = False
        try:
            while not stop.is_set() and time.monotonic() - started < renew:
                responses = client.idle_check(timeout=1)
                if any(
                    isinstance(r, tuple)
                    and len(r) > 1
                    and r[1] in (b"EXISTS", b"RECENT")
                    for r in responses
                ):
                    news = True
                    break
        finally:
            client.idle_done()
        if news:
            logger.debug("Mailbox %s: new mail", mailbox.pk)
