"""Social sources and their posts.

Posts arrive three ways: a scheduled read of an RSS or Atom feed (feedparser),
of a Mastodon account's mentions (its REST API, with the account's token),
and an intake endpoint other tools post JSON to. Each post is stored once per
source and id and announced as ``social.post_received``; what to do with it
(a ticket, a task) is the service desk's keyword rules' to say. Text is kept
as plain text: HTML is reduced to its words, and whatever remains is shown
escaped like any text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import json
import secrets
from dataclasses import dataclass

import feedparser
import nh3
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kundig.core import crypto
from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.events import emit
from kundig.core.permissions import require
from kundig.core.text import one_line, strip_control_characters
from kundig.integrations.outgoing import net

from .choices import SourceKind
from .models import Post, Source

TEXT_LENGTH = 10_000
FETCH_LIMIT = 2_000_000  # bytes of one feed or API answer
MASTODON_PAGE = 40
MASTODON_PAGES = 10
SOURCE_FIELDS = ("kind", "name", "slug", "url", "is_active")


@dataclass
class PostData:
    external_id: str
    text: str
    posted_at: dt.datetime
    network: str = ""
    author_name: str = ""
    author_handle: str = ""
    url: str = ""


def plain_text(markup: str) -> str:
    """The words of an HTML fragment, as text (tags dropped, entities decoded)."""
    markup = (markup or "").replace("<br", "\n<br").replace("</p>", "</p>\n")
    words = html.unescape(nh3.clean(markup, tags=set()))
    lines = (" ".join(line.split()) for line in words.splitlines())
    return "\n".join(line for line in lines if line).strip()


# --- Sources --------------------------------------------------------------------------


@transaction.atomic
def source_save(
    *,
    actor,
    source: Source | None = None,
    token: str | None = None,
    key: str | None = None,
    **data,
) -> tuple[Source, str]:
    """Create or change a source; return it and, for a new intake source, its key.

    The key is shown once; only its hash is kept (``key`` gives one instead of
    a new random one: the demo's is known). ``token`` (Mastodon) is stored
    encrypted; None keeps the one there is.
    """
    require(actor, Permission.MANAGE)
    creating = source is None
    source = source or Source()
    before = {} if creating else {f: getattr(source, f) for f in SOURCE_FIELDS}
    for name, value in data.items():
        if name not in SOURCE_FIELDS:
            raise TypeError(f"unknown social source field {name}")
        setattr(source, name, one_line(value) if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    if source.kind in (SourceKind.FEED, SourceKind.MASTODON):
        if not source.url:
            errors["url"] = [_("Give the address to read from.")]
        else:
            try:
                net.parse(source.url)
            except ValidationError as exc:
                errors["url"] = exc.messages
    if token is not None:
        token = token.strip()
        source.token_encrypted = crypto.encrypt(token) if token else ""
    if source.kind == SourceKind.MASTODON and not source.token_encrypted:
        errors["token"] = [_("Give the account's access token (read:notifications).")]
    try:
        source.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    new_key = ""
    if source.kind == SourceKind.INTAKE and (key or not source.key_hash):
        new_key = key or secrets.token_urlsafe(32)
        source.key_hash = crypto.digest(new_key)
    source.save()
    after = {f: getattr(source, f) for f in SOURCE_FIELDS}
    if creating:
        audit_created(source, actor=actor)
    else:
        audit_changes(source, actor=actor, before=before, after=after)
    return source, new_key


# --- Posts ----------------------------------------------------------------------------


def post_record(*, source: Source, data: PostData) -> tuple[Post, bool]:
    """Store ``data`` once per source and id; announce a new one. (post, created)"""
    external_id = one_line(data.external_id)[:300]
    existing = Post.objects.filter(source=source, external_id=external_id).first()
    if existing is not None:
        return existing, False
    text = strip_control_characters(data.text or "").strip()[:TEXT_LENGTH]
    post = Post(
        source=source,
        external_id=external_id,
        network=one_line(data.network or source.kind)[:30],
        author_name=one_line(data.author_name)[:200],
        author_handle=one_line(data.author_handle)[:200],
        url=data.url[:1000] if data.url.startswith(("https://", "http://")) else "",
        text=text,
        posted_at=data.posted_at,
    )
    try:
        with transaction.atomic():
            post.save(force_insert=True)
            emit(
                "social.post_received",
                post,
                source_id=source.pk,
                network=post.network,
                author=post.author_handle or post.author_name,
            )
    except IntegrityError:  # stored at the same moment by another delivery
        return Post.objects.get(source=source, external_id=external_id), False
    return post, True


def _aware(value) -> dt.datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def intake_parse(raw: bytes) -> PostData:
    """The intake endpoint's JSON as a post; ValidationError naming each bad field.

    Shape: ``{"id": "…", "text": "…", "network": "instagram", "url": "https://…",
    "posted_at": "2026-12-07T10:00:00Z", "author": {"name": "…", "handle": "…"}}``;
    ``id`` and ``text`` are required.
    """
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError({"body": [_("The body is not JSON.")]}) from None
    if not isinstance(payload, dict):
        raise ValidationError({"body": [_("Send one JSON object.")]})
    errors: dict[str, list[str]] = {}

    def text_of(name: str, value, *, required=False, length=300) -> str:
        if value is None or value == "":
            if required:
                errors[name] = [_("This field is required.")]
            return ""
        if not isinstance(value, str | int):
            errors[name] = [_("Give a text.")]
            return ""
        value = str(value)
        if len(value) > length:
            errors[name] = [_("At most %(n)d characters.") % {"n": length}]
        return value

    author = payload.get("author") or {}
    if not isinstance(author, dict):
        errors["author"] = [_("Give an object with the fields name and handle.")]
        author = {}
    data = PostData(
        external_id=text_of("id", payload.get("id"), required=True),
        text=text_of("text", payload.get("text"), required=True, length=TEXT_LENGTH),
        network=text_of("network", payload.get("network"), length=30),
        author_name=text_of("author.name", author.get("name"), length=200),
        author_handle=text_of("author.handle", author.get("handle"), length=200),
        url=text_of("url", payload.get("url"), length=1000),
        posted_at=timezone.now(),
    )
    if data.url and not data.url.startswith(("https://", "http://")):
        errors["url"] = [_("Give an http:// or https:// address.")]
    posted = payload.get("posted_at")
    if posted not in (None, ""):
        parsed = parse_datetime(posted) if isinstance(posted, str) else None
        if parsed is None:
            errors["posted_at"] = [_("Give a date and time such as 2026-12-07T10:00Z.")]
        else:
            data.posted_at = _aware(parsed)
    if errors:
        raise ValidationError(errors)
    return data


def intake_source(slug: str, key: str) -> Source | None:
    """The active intake source ``slug`` if ``key`` is its key."""
    source = Source.objects.filter(
        slug=slug, kind=SourceKind.INTAKE, is_active=True
    ).first()
    if source is None or not key:
        return None
    if not secrets.compare_digest(source.key_hash, crypto.digest(key)):
        return None
    return source


# --- Reading feeds and Mastodon -------------------------------------------------------


def _feed_posts(content: bytes) -> list[PostData]:
    feed = feedparser.parse(content)
    if not feed.entries and (feed.bozo or not feed.version):
        raise ValueError(_("The answer is not an RSS or Atom feed."))
    posts = []
    for entry in feed.entries:
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        posted = (
            dt.datetime.fromtimestamp(calendar.timegm(when), dt.UTC)
            if when
            else timezone.now()
        )
        title = plain_text(entry.get("title", ""))
        summary = plain_text(entry.get("summary", ""))
        text = title if not summary or summary == title else f"{title}\n{summary}"
        external_id = entry.get("id") or entry.get("link") or title
        if not external_id or not text:
            continue
        posts.append(
            PostData(
                external_id=external_id,
                text=text,
                posted_at=posted,
                network="feed",
                author_name=entry.get("author", ""),
                url=entry.get("link", ""),
            )
        )
    return posts


def _mastodon_posts(items) -> tuple[list[PostData], str]:
    """Mentions from ``/api/v1/notifications``; and the newest id seen."""
    if not isinstance(items, list):
        raise ValueError(_("The server's answer is not a list of notifications."))
    posts, newest = [], 0
    for item in items:
        if not isinstance(item, dict) or item.get("type") != "mention":
            continue
        status, account = item.get("status") or {}, item.get("account") or {}
        item_id = str(item.get("id", ""))
        if item_id.isascii() and item_id.isdigit():
            newest = max(newest, int(item["id"]))
        text = plain_text(status.get("content", ""))
        if not status.get("id") or not text:
            continue
        posted = parse_datetime(str(status.get("created_at") or "")) or timezone.now()
        posts.append(
            PostData(
                external_id=str(status["id"]),
                text=text,
                posted_at=_aware(posted),
                network="mastodon",
                author_name=account.get("display_name") or "",
                author_handle="@" + account["acct"] if account.get("acct") else "",
                url=status.get("url") or "",
            )
        )
    return posts, str(newest) if newest else ""


def _fetch(url: str, headers: dict) -> bytes:
    answer = net.get(url, headers, max_bytes=FETCH_LIMIT)
    if answer.status != 200:
        raise OSError(_("The server answered %(status)d.") % {"status": answer.status})
    return answer.content


def _mastodon_read(source: Source) -> tuple[list[PostData], str]:
    """The mentions after the cursor, page by page (``min_id``: the ones just
    after it), so a busy spell of more than a page loses none; at most
    ``MASTODON_PAGES`` pages a poll, the rest next time."""
    headers = {
        "User-Agent": "Kundig",
        "Accept": "application/json",
        "Authorization": f"Bearer {crypto.decrypt(source.token_encrypted)}",
    }
    base = source.url.rstrip("/") + (
        f"/api/v1/notifications?types[]=mention&limit={MASTODON_PAGE}"
    )
    posts, cursor = [], source.cursor
    for _page in range(MASTODON_PAGES):
        url = base + (f"&min_id={cursor}" if cursor else "")
        try:
            items = json.loads(_fetch(url, headers))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError(_("The server's answer is not JSON.")) from None
        found, newest = _mastodon_posts(items)
        posts += found
        if not cursor or not newest or int(newest) <= int(cursor):
            # A first read takes the latest page only; an empty page ends.
            cursor = newest or cursor
            break
        cursor = newest
    return posts, cursor


def source_poll(source: Source) -> int:
    """Read ``source`` once; store what is new; return how many posts were new.

    A failure is kept on the source (in its ``last_error``), never raised: the
    next poll tries again.
    """
    try:
        if source.kind == SourceKind.MASTODON:
            posts, newest = _mastodon_read(source)
        else:
            content = _fetch(source.url, {"User-Agent": "Kundig", "Accept": "*/*"})
            posts, newest = _feed_posts(content), ""
    except (OSError, ValueError, net.Refused, crypto.DecryptionError) as exc:
        _note(source, last_polled_at=timezone.now(), last_error=str(exc)[:300])
        return 0
    new = 0
    with transaction.atomic():
        for data in posts:
            _post, created = post_record(source=source, data=data)
            new += created
        fields = {"last_polled_at": timezone.now(), "last_error": ""}
        if newest and (not source.cursor or int(newest) > int(source.cursor or 0)):
            fields["cursor"] = newest
        _note(source, **fields)
    return new


def _note(source: Source, **fields) -> None:
    """Write how the read went, on the row and the object."""
    Source.objects.filter(pk=source.pk).update(**fields)
    for name, value in fields.items():
        setattr(source, name, value)


def sources_poll() -> int:
    """Read every active feed and Mastodon account; return the new posts."""
    sources = Source.objects.filter(
        is_active=True, kind__in=[SourceKind.FEED, SourceKind.MASTODON]
    )
    return sum(source_poll(source) for source in sources)


def author_contact_id(post: Post) -> int | None:
    """The contact an earlier post of the same author was given, if any: by
    handle, or (feeds name authors but give no handle) by name and source."""
    if post.author_handle:
        same = {"network": post.network, "author_handle": post.author_handle}
    elif post.author_name:
        same = {"source_id": post.source_id, "author_name": post.author_name}
    else:
        return None
    return (
        Post.objects.filter(contact__isnull=False, **same)
        .order_by("-received_at")
        .values_list("contact_id", flat=True)
        .first()
    )


def post_link_contact(post: Post, contact_id: int) -> None:
    """Remember that ``post`` was written by the contact ``contact_id``."""
    Post.objects.filter(pk=post.pk).update(contact_id=contact_id)
    post.contact_id = contact_id
