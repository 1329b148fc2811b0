"""Social posts the keyword rules match become tickets or tasks.

The first active rule (by position) whose keywords — or, if it says so, the
shop's product names — appear in a post as whole words decides: a ticket in
its queue (channel *social media*, the post's sentiment on it, angry posts
with high priority), or a task for its assignee or the queue's team lead.
The post's author becomes a contact the first time (by network and handle;
their later posts go to the same contact), and the post goes on that
contact's timeline. A post is handled once, however often its event comes.
"""

from __future__ import annotations

import datetime as dt
import re

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity.choices import Direction, Kind
from kundig.activity.services import task_create, timeline_add
from kundig.commerce import selectors as commerce_selectors
from kundig.contacts import services as contacts
from kundig.contacts.choices import ChangeSource
from kundig.core.audit import audit_changes, audit_created, audit_deleted
from kundig.core.choices import Permission
from kundig.core.events import is_historical
from kundig.core.permissions import require
from kundig.core.text import one_line
from kundig.integrations.social import selectors as social_selectors
from kundig.integrations.social import services as social

from ..choices import Priority, RuleAction, Sentiment, TicketChannel
from ..models import KeywordRule, Ticket
from ..sentiment import sentiment
from .tickets import ticket_open

RULE_FIELDS = (
    "name", "keywords", "match_products", "action", "queue", "category",
    "assignee", "position", "is_active",
)  # fmt: skip
MAX_KEYWORDS = 200


def _pattern(words: list[str]) -> re.Pattern | None:
    """One expression finding any of ``words`` as a whole word, any case."""
    words = sorted({w.strip().lower() for w in words if w.strip()}, key=len)[::-1]
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<![\w#@])(?:{alternatives})(?!\w)", re.IGNORECASE)


def rule_matches(rule: KeywordRule, text: str, products: list[str]) -> str:
    """The word by which ``rule`` matches ``text``, or ''."""
    words = rule.keyword_list() + (products if rule.match_products else [])
    pattern = _pattern(words)
    if pattern is None:
        return ""
    found = pattern.search(text)
    return found.group(0) if found else ""


def _contact_for(post):
    """The post's author as a contact: known by an earlier post, else new."""
    known = social.author_contact_id(post)
    if known is not None:
        contact = apps.get_model("contacts", "Contact").objects.filter(pk=known).first()
        if contact is not None:
            return contact
    name = one_line(post.author_name) or one_line(post.author_handle) or _("Unknown")
    first, last = contacts.names_from_display(name)
    contact = contacts.contact_create(
        actor=None,
        # A handle ("@anna@example.social") is no name to split: keep it whole.
        fields={"first_name": first, "last_name": last or name[:100]},
        tags=["social"],
        source=ChangeSource.SYSTEM,
    )
    return contact


def _handle(post, rules: list[KeywordRule], products: list[str]):
    for rule in rules:
        word = rule_matches(rule, post.text, products)
        if word:
            break
    else:
        return None
    contact = _contact_for(post)
    social.post_link_contact(post, contact.pk)
    feeling = sentiment(post.text)
    who = post.author_handle or post.author_name or post.network
    timeline_add(
        actor=None,
        kind=Kind.SOCIAL,
        contact=contact,
        summary=f"{who}: {one_line(post.text)[:200]}",
        body=post.text,
        direction=Direction.INBOUND,
        occurred_at=post.posted_at,
        source_type="social.post",
        source_id=str(post.pk),
        source_url=post.url,
    )
    body = post.text + (f"\n\n{post.url}" if post.url else "")
    subject = f"{post.network.capitalize()} · {who}: {one_line(post.text)}"[:300]
    if rule.action == RuleAction.TASK:
        assignee = rule.assignee or rule.queue.team_lead
        if assignee is None or not assignee.is_active:
            return None  # nobody to give it to; the post is on the timeline
        return task_create(
            actor=None,
            title=subject[:200],
            description=body[:2000],
            due_at=timezone.now() + dt.timedelta(days=1),
            assignee=assignee,
            contact=contact,
        )
    return ticket_open(
        actor=None,
        contact=contact,
        subject=subject,
        channel=TicketChannel.SOCIAL,
        body=body,
        category=rule.category,
        priority=Priority.HIGH if feeling == Sentiment.NEGATIVE else Priority.NORMAL,
        queue=rule.queue,
        source=f"social:{post.pk}",
        sentiment=feeling,
    )


def tickets_from_social(events) -> list:
    """Handle new social posts: a ticket or task for those a rule matches."""
    rules = list(
        KeywordRule.objects.filter(is_active=True).select_related(
            "queue__team_lead", "assignee"
        )
    )
    if not rules:
        return []
    products = (
        commerce_selectors.product_names()
        if any(rule.match_products for rule in rules)
        else []
    )
    made = []
    for event in events:
        if is_historical(event):
            continue
        post = social_selectors.post_get(event.subject_id)
        if post is None or Ticket.objects.filter(source=f"social:{post.pk}").exists():
            continue
        with transaction.atomic():
            result = _handle(post, rules, products)
        if result is not None:
            made.append(result)
    return made


# --- Rules ----------------------------------------------------------------------------


def _snapshot(rule: KeywordRule) -> dict:
    return {
        **{field: getattr(rule, field) for field in RULE_FIELDS},
        "queue": str(rule.queue) if rule.queue_id else "",
        "assignee": str(rule.assignee or ""),
    }


@transaction.atomic
def keyword_rule_save(*, actor, rule: KeywordRule | None = None, **data) -> KeywordRule:
    """Create or change a keyword rule."""
    require(actor, Permission.MANAGE)
    creating = rule is None
    rule = rule or KeywordRule()
    before = {} if creating else _snapshot(rule)
    for name, value in data.items():
        if name not in RULE_FIELDS:
            raise TypeError(f"unknown keyword rule field {name}")
        if name == "keywords":
            value = "\n".join(one_line(line) for line in (value or "").splitlines())
            value = "\n".join(line for line in value.splitlines() if line)
        elif isinstance(value, str):
            value = one_line(value)
        setattr(rule, name, value)
    errors: dict[str, list[str]] = {}
    if not rule.keyword_list() and not rule.match_products:
        errors["keywords"] = [
            _("Give at least one keyword, or match the shop's product names.")
        ]
    elif len(rule.keyword_list()) > MAX_KEYWORDS:
        errors["keywords"] = [_("At most %(n)d keywords.") % {"n": MAX_KEYWORDS}]
    elif any(len(word) < 2 for word in rule.keyword_list()):
        errors["keywords"] = [_("Each keyword needs at least two characters.")]
    try:
        rule.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    rule.save()
    if creating:
        audit_created(rule, actor=actor)
    else:
        audit_changes(rule, actor=actor, before=before, after=_snapshot(rule))
    return rule


@transaction.atomic
def keyword_rule_delete(*, actor, rule: KeywordRule) -> None:
    require(actor, Permission.MANAGE)
    audit_deleted(rule, actor=actor)
    rule.delete()
