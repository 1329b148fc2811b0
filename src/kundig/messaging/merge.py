"""Merge data: what a template sees of a contact and the records a message is about.

Built as plain dicts of formatted strings (see :mod:`.rendering`), in the
recipient's language. :func:`load` reads many recipients in a few queries,
so a step sending to 100,000 contacts does not read them one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from kundig.commerce import selectors as commerce_selectors
from kundig.contacts import selectors as contact_selectors

from .choices import TEMPLATE_LANGUAGES
from .rendering import date, money, quantity
from .salutation import salutation

LANGUAGES = {code for code, _ in TEMPLATE_LANGUAGES}
RECORD_KINDS = tuple(commerce_selectors.FOR_MESSAGES)


def recommendations_for(contact, language: str) -> list[dict]:
    """Products to suggest to ``contact``: the hook later work fills.

    Returns a list of ``{"name", "price", "url"}``; empty until Kundig has a
    recommendation engine (marketing/).
    """
    return []


@dataclass
class Recipient:
    """One message to render: to whom, and which records it is about."""

    contact_id: int
    refs: dict[str, int] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    # Another of the contact's addresses than the primary one (a sign-up's).
    email: str = ""


@dataclass
class Merge:
    contact: object | None
    email: str
    name: str
    language: str
    context: dict


def primary_email(contact) -> str:
    emails = list(contact.emails.all())
    for link in emails:
        if link.is_primary:
            return link.email
    return emails[0].email if emails else ""


def contact_data(contact, language: str) -> dict:
    addresses = list(contact.addresses.all())
    address = addresses[0] if addresses else None
    owner = contact.owner
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "full_name": contact.full_name,
        "title": contact.title,
        "salutation": "" if contact.salutation == "none" else contact.salutation,
        "email": primary_email(contact),
        "language": contact.language,
        "informal": contact.form_of_address == "informal",
        "birthday": date(contact.birthday, language),
        "city": address.city if address else "",
        "country": str(address.country) if address else "",
        "stage": contact.lifecycle_stage,
        "owner_name": (owner.get_full_name() or owner.email) if owner else "",
        "owner_email": owner.email if owner else "",
    }


def _company(contact) -> dict:
    links = sorted(contact.company_links.all(), key=lambda link: not link.is_primary)
    if not links:
        return {"name": "", "email": ""}
    return {"name": links[0].company.name, "email": links[0].company.email}


def order_data(order, language: str) -> dict:
    cur = order.currency
    return {
        "number": order.number or order.external_id or str(order.pk),
        "placed_at": date(order.placed_at, language),
        "status": order.status,
        "subtotal": money(order.subtotal, cur, language),
        "discount_total": money(order.discount_total, cur, language),
        "shipping_total": money(order.shipping_total, cur, language),
        "tax_total": money(order.tax_total, cur, language),
        "total": money(order.total, cur, language),
        "currency": cur,
        "coupon_codes": ", ".join(order.coupon_codes or []),
        "lines": [
            {
                "name": line.name,
                "sku": line.sku,
                "quantity": quantity(line.quantity),
                "unit_price": money(line.unit_price, cur, language),
                "total": money(line.total, cur, language),
                "unavailable": line.unavailable,
            }
            for line in line_list(order)
        ],
    }


def line_list(order) -> list:
    return sorted(order.lines.all(), key=lambda line: (line.position, line.pk))


def _record_data(kind: str, record, language: str) -> dict:
    if kind == "order":
        return order_data(record, language)
    if kind == "shipment":
        return {
            "carrier": record.carrier,
            "tracking_number": record.tracking_number,
            "tracking_url": record.tracking_url,
            "sent_at": date(record.sent_at, language),
            "promised_for": date(record.promised_for, language),
            "delivered_at": date(record.delivered_at, language),
        }
    if kind == "revocation":
        return {
            "received_on": date(record.received_on, language),
            "refund_due_on": date(record.refund_due_on, language),
        }
    if kind == "ret":
        return {
            "rma_number": record.rma_number,
            "received_at": date(record.received_at, language),
        }
    return {
        "amount": money(record.amount, record.currency, language),
        "refunded_at": date(record.refunded_at, language),
    }


def language_of(contact) -> str:
    if contact.language in LANGUAGES:
        return contact.language
    return "en" if settings.LANGUAGE_CODE.startswith("en") else "de"


def load(recipients: list[Recipient], *, mailbox) -> list[Merge | None]:
    """The merge data for each recipient, in order; None where the contact is gone.

    Without a ``mailbox`` (a reply drafted before one is chosen) the sender is
    empty.
    """
    contacts = contact_selectors.contacts_for_messages(r.contact_id for r in recipients)
    wanted: dict[str, set[int]] = defaultdict(set)
    for recipient in recipients:
        for kind, pk in recipient.refs.items():
            if kind in RECORD_KINDS and pk:
                wanted[kind].add(pk)
    records = {
        kind: commerce_selectors.records_for_messages(kind, ids)
        for kind, ids in wanted.items()
    }
    # A shipment, return, revocation or refund brings its order along.
    for kind in ("shipment", "revocation", "ret", "refund"):
        for record in records.get(kind, {}).values():
            wanted["order"].add(record.order_id)
    missing_orders = wanted["order"] - set(records.get("order", {}))
    if missing_orders:
        records.setdefault("order", {}).update(
            commerce_selectors.records_for_messages("order", missing_orders)
        )
    sender = {"name": "", "email": ""}
    if mailbox is not None:
        sender = {"name": mailbox.sender_name or mailbox.name, "email": mailbox.email}
    out: list[Merge | None] = []
    for recipient in recipients:
        contact = contacts.get(recipient.contact_id)
        if contact is None:
            out.append(None)
            continue
        language = language_of(contact)
        context = {
            "salutation": salutation(
                salutation=contact.salutation,
                title=contact.title,
                first_name=contact.first_name,
                last_name=contact.last_name,
                informal=contact.form_of_address == "informal",
                language=language,
            ),
            "contact": contact_data(contact, language),
            "company": _company(contact),
            "sender": sender,
            "recommendations": recommendations_for(contact, language),
            "today": date(timezone.localdate(), language),
        }
        refs = dict(recipient.refs)
        for kind in ("shipment", "revocation", "ret", "refund"):
            record = records.get(kind, {}).get(refs.get(kind))
            if record is not None:
                refs.setdefault("order", record.order_id)
        for kind, pk in refs.items():
            record = records.get(kind, {}).get(pk)
            if record is not None:
                context[kind] = _record_data(kind, record, language)
        context.update(recipient.extra)
        out.append(
            Merge(
                contact=contact,
                email=recipient.email or primary_email(contact),
                name=contact.full_name,
                language=language,
                context=context,
            )
        )
    return out
