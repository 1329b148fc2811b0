"""Conditions on a contact and the order a run is about: checked and evaluated.

A condition is ``{"field", "op", "value"}``; a list of them must all hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kundig.contacts.choices import LifecycleStage

# field -> (label, allowed operators, value kind)
FIELDS: dict[str, tuple] = {
    "stage": (gettext_lazy("Lifecycle stage"), ("in", "not_in"), "choices"),
    "tag": (gettext_lazy("Tag"), ("has", "has_not"), "text"),
    "country": (gettext_lazy("Country (main address)"), ("in", "not_in"), "list"),
    "language": (gettext_lazy("Language"), ("in", "not_in"), "list"),
    "orders_count": (gettext_lazy("Number of orders"), ("gte", "lte"), "number"),
    "revenue": (gettext_lazy("Revenue"), ("gte", "lte"), "number"),
    "days_since_last_order": (
        gettext_lazy("Days since the last order"),
        ("gte", "lte"),
        "number",
    ),
    "channel": (gettext_lazy("Sales channel of the order"), ("in", "not_in"), "list"),
    "order_total": (gettext_lazy("Order total"), ("gte", "lte"), "number"),
    "has_owner": (gettext_lazy("Has an owner"), ("is",), "bool"),
    "waited_event_arrived": (
        gettext_lazy("The awaited event arrived during the last wait"),
        ("is",),
        "bool",
    ),
}
OPERATORS = {
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "has": gettext_lazy("has"),
    "has_not": gettext_lazy("does not have"),
    "gte": gettext_lazy("at least"),
    "lte": gettext_lazy("at most"),
    "is": gettext_lazy("is"),
}


def clean(conditions, *, where: str) -> tuple[list[dict], list[str]]:
    """Return the conditions normalised and a list of problems naming ``where``."""
    if conditions in (None, ""):
        return [], []
    if not isinstance(conditions, list):
        return [], [_("%(where)s: conditions must be a list.") % {"where": where}]
    out, problems = [], []
    for number, condition in enumerate(conditions, start=1):
        label = _("%(where)s, condition %(n)d") % {"where": where, "n": number}
        if not isinstance(condition, dict):
            problems.append(_("%(label)s is not a condition.") % {"label": label})
            continue
        field, op, value = (
            condition.get("field"),
            condition.get("op"),
            condition.get("value"),
        )
        if field not in FIELDS:
            problems.append(
                _("%(label)s: unknown field “%(field)s”.")
                % {"label": label, "field": field}
            )
            continue
        _label, ops, kind = FIELDS[field]
        if op not in ops:
            problems.append(
                _("%(label)s: use one of %(ops)s.")
                % {"label": label, "ops": ", ".join(ops)}
            )
            continue
        try:
            value = _value(kind, value, field)
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        out.append({"field": field, "op": op, "value": value})
    return out, problems


def _value(kind: str, value, field: str = ""):
    if kind == "number":
        try:
            number = Decimal(str(value).replace(",", ".").strip())
        except (InvalidOperation, ValueError):
            raise ValueError(_("enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("enter a number."))
        return str(number)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "ja"):
            return True
        if str(value).lower() in ("0", "false", "no", "nein"):
            return False
        raise ValueError(_("use yes or no."))
    if kind == "text":
        text = " ".join(str(value or "").split())
        if not text:
            raise ValueError(_("enter a value."))
        return text
    items = value if isinstance(value, list) else str(value or "").split(",")
    items = [str(i).strip() for i in items if str(i).strip()]
    if not items:
        raise ValueError(_("enter at least one value."))
    if kind == "choices":
        unknown = [i for i in items if i not in LifecycleStage.values]
        if unknown:
            raise ValueError(
                _("unknown stage %(stage)s.") % {"stage": ", ".join(unknown)}
            )
    if field == "country":
        items = [i.upper() for i in items]
    elif field == "language":
        items = [i.lower() for i in items]
    return items


@dataclass
class Facts:
    stage: str
    tags: set[str]
    country: str
    language: str
    orders_count: int
    revenue: Decimal
    days_since_last_order: int | None
    channel: str
    order_total: Decimal | None
    has_owner: bool
    waited_event_arrived: bool


def facts(contact_id: int, *, order_id: int | None = None, woken_by: str = "") -> Facts:
    """What conditions look at, read in a few small queries."""
    found = facts_many([(contact_id, order_id)], woken_by=woken_by)
    if (contact_id, order_id) not in found:
        raise apps.get_model("contacts", "Contact").DoesNotExist(contact_id)
    return found[(contact_id, order_id)]


def facts_many(
    pairs: Iterable[tuple[int, int | None]], *, woken_by: str = ""
) -> dict[tuple[int, int | None], Facts]:
    """The facts of many (contact, order) pairs, in the same few queries for all.

    A contact that no longer exists has no facts.
    """
    pairs = set(pairs)
    Contact = apps.get_model("contacts", "Contact")
    contacts = {
        contact.pk: contact
        for contact in Contact.objects.filter(pk__in={c for c, _o in pairs})
        .prefetch_related("tags", "addresses")
        .select_related("figures")
    }
    order_ids = {o for _c, o in pairs if o}
    orders = {}
    if order_ids:
        Order = apps.get_model("commerce", "Order")
        orders = {
            order.pk: order
            for order in Order.objects.filter(pk__in=order_ids).only("channel", "total")
        }
    now = timezone.now()
    return {
        (contact_id, order_id): _facts(
            contacts[contact_id], orders.get(order_id), woken_by=woken_by, now=now
        )
        for contact_id, order_id in pairs
        if contact_id in contacts
    }


def _facts(contact, order, *, woken_by: str, now) -> Facts:
    try:
        figures = contact.figures
    except ObjectDoesNotExist:
        figures = None
    addresses = list(contact.addresses.all())
    last = figures.last_order_at if figures else None
    return Facts(
        stage=contact.lifecycle_stage,
        tags={t.name.lower() for t in contact.tags.all()},
        country=str(addresses[0].country).upper() if addresses else "",
        language=contact.language,
        orders_count=figures.orders_count if figures else 0,
        revenue=figures.revenue if figures else Decimal(0),
        days_since_last_order=(now - last).days if last else None,
        channel=(order.channel if order else "").upper(),
        order_total=order.total if order else None,
        has_owner=contact.owner_id is not None,
        waited_event_arrived=bool(woken_by),
    )


def holds(conditions: list[dict], facts: Facts) -> bool:
    return all(_holds(c, facts) for c in conditions)


def _holds(condition: dict, facts: Facts) -> bool:
    field, op, value = condition["field"], condition["op"], condition["value"]
    if field == "tag":
        has = value.lower() in facts.tags
        return has if op == "has" else not has
    actual = getattr(facts, field)
    if op in ("in", "not_in"):
        inside = str(actual).upper() in {str(v).upper() for v in value}
        return inside if op == "in" else not inside
    if op == "is":
        return bool(actual) == bool(value)
    if actual is None:
        # "No order yet" counts as long ago, never as recent.
        return field == "days_since_last_order" and op == "gte"
    limit = Decimal(value)
    return Decimal(actual) >= limit if op == "gte" else Decimal(actual) <= limit


def describe(condition: dict) -> str:
    label = FIELDS[condition["field"]][0]
    value = condition["value"]
    if isinstance(value, list):
        value = ", ".join(value)
    elif isinstance(value, bool):
        value = _("yes") if value else _("no")
    return f"{label} {OPERATORS[condition['op']]} {value}"
