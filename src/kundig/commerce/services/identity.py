"""Who bought it: an order's buyer matched to a contact, or a new contact.

The rules, in order: the shop's customer ID (seen before on this shop), the
normalised email address, then (if ``KUNDIG_MATCH_NAME_POSTCODE``) first and
last name with the postcode of an address, when exactly one contact has them.
A guest checkout and a store purchase of the same person thus end up on one
contact. Every decision is written to :class:`IdentityMatch`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity import services as activity_services
from kundig.contacts import selectors as contact_selectors
from kundig.contacts import services as contact_services
from kundig.contacts.choices import ChangeSource
from kundig.core import audit
from kundig.core.choices import Permission
from kundig.core.events import emit
from kundig.core.permissions import require
from kundig.core.visibility import can_see

from ..choices import MatchRule, SalesChannel
from ..models import IdentityMatch, Order, ShopIdentity
from . import common
from .inputs import BuyerData

# Held (shared) by every transaction matching one buyer, and exclusively by a
# bulk import matching thousands at once (services/many.py).
MATCHING_LOCK = "commerce:buyer-matching"

_CONTACT_SOURCE = {
    SalesChannel.WEB_SHOP: "web_shop",
    SalesChannel.MARKETPLACE: "marketplace",
    SalesChannel.STORE: "store",
    SalesChannel.PHONE: "phone",
}


def buyer_match(*, source: str, buyer: BuyerData, channel: str):
    """Return ``(contact, rule, detail)`` for ``buyer``, creating a contact if new."""
    _serialise(source, buyer)
    if buyer.customer_ref:
        identity = (
            ShopIdentity.objects.filter(source=source, customer_ref=buyer.customer_ref)
            .select_related("contact")
            .first()
        )
        if identity is not None:
            return identity.contact, MatchRule.CUSTOMER_ID, buyer.customer_ref
    if buyer.email:
        contact = contact_selectors.contact_by_email(buyer.email)
        if contact is not None:
            return contact, MatchRule.EMAIL, buyer.email
    if settings.KUNDIG_MATCH_NAME_POSTCODE:
        contact = contact_selectors.contact_by_name_and_postcode(
            first_name=buyer.first_name,
            last_name=buyer.last_name,
            postcode=buyer.postcode,
        )
        if contact is not None:
            detail = f"{buyer.first_name} {buyer.last_name}, {buyer.postcode}"
            return contact, MatchRule.NAME_POSTCODE, detail
    return _contact_from_buyer(buyer, channel), MatchRule.CREATED, ""


def _serialise(source: str, buyer: BuyerData) -> None:
    """On PostgreSQL, let one transaction at a time match the same buyer.

    Two first orders of a new buyer arriving together would otherwise both
    find nobody and create two contacts. The lock is held to the end of the
    transaction, when the first one's contact is visible to the second.
    """
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    keys = sorted(
        {
            f"ref:{source}:{buyer.customer_ref}" if buyer.customer_ref else "",
            f"email:{buyer.email.strip().lower()}" if buyer.email else "",
        }
        - {""}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0))",
            [MATCHING_LOCK],
        )
        for key in keys:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key]
            )


def person_from_buyer(buyer: BuyerData, channel: str) -> dict:
    """Return the ``fields``, ``emails`` and ``addresses`` of a new buyer."""
    fields = {
        "first_name": buyer.first_name,
        "last_name": buyer.last_name,
        "lifecycle_stage": "lead",
        "source": _CONTACT_SOURCE.get(channel, ""),
        "owner": None,
        "team": None,
    }
    if buyer.salutation:
        fields["salutation"] = buyer.salutation
    if not (buyer.first_name or buyer.last_name or buyer.email):
        fields["last_name"] = buyer.company or "?"
    addresses = []
    if buyer.street and buyer.postcode and buyer.city:
        addresses.append(
            contact_services.AddressData(
                street=buyer.street,
                postcode=buyer.postcode,
                city=buyer.city,
                country=buyer.country or "DE",
            )
        )
    emails = (
        [contact_services.EmailData(buyer.email, is_primary=True)]
        if buyer.email
        else []
    )
    return {"fields": fields, "emails": emails, "addresses": addresses}


def _contact_from_buyer(buyer: BuyerData, channel: str):
    return contact_services.contact_create(
        actor=None, **person_from_buyer(buyer, channel), source=ChangeSource.SYSTEM
    )


def remember_customer_ref(*, source: str, customer_ref: str, contact) -> None:
    """Note that ``customer_ref`` on ``source`` is ``contact``; the first one stays."""
    if not customer_ref:
        return
    try:
        with transaction.atomic():
            ShopIdentity.objects.get_or_create(
                source=source, customer_ref=customer_ref, defaults={"contact": contact}
            )
    except IntegrityError:  # recorded concurrently: the same fact
        pass


@transaction.atomic
def order_reassign(*, actor, order, contact):
    """Move ``order`` to ``contact``: the buyer was matched to the wrong person.

    The order takes its timeline entries (shipments, returns and refunds
    included) along, the shop customer ID follows if it pointed at the wrong
    contact, both contacts' figures are recomputed and the new one moves
    along the lifecycle. The match stays on record, marked undone, and the
    change is in the audit log and an ``order.reassigned`` event. Raises
    ValidationError (``contact``) when either contact is not visible to
    ``actor`` or nothing would change.
    """
    require(actor, Permission.WRITE)
    order = Order.objects.select_for_update().select_related("contact").get(pk=order.pk)
    old = order.contact
    if not can_see(actor, old) or not can_see(actor, contact):
        raise ValidationError({"contact": [_("Choose a contact you may see.")]})
    if contact.pk == old.pk:
        raise ValidationError({"contact": [_("The order already belongs to them.")]})
    order.contact = contact
    order.save(update_fields=["contact", "updated_at"])
    activity_services.timeline_move_sources(
        source_type="commerce.order",
        id_prefix=f"{order.pk}:",
        from_contact=old,
        to_contact=contact,
    )
    now = timezone.now()
    IdentityMatch.objects.filter(order=order).update(undone_at=now, undone_by=actor)
    if order.customer_ref:
        ShopIdentity.objects.filter(
            source=order.source, customer_ref=order.customer_ref, contact=old
        ).update(contact=contact)
    common.figures_refresh(old.pk)
    stats = common.figures_refresh(contact.pk)
    locked = type(contact).objects.select_for_update().get(pk=contact.pk)
    common.lifecycle_follow(locked, orders_count=stats["count"])
    audit.audit_changes(
        "commerce.order",
        order.pk,
        actor=actor,
        before={"contact": str(old)},
        after={"contact": str(contact)},
    )
    emit(
        "order.reassigned",
        order,
        actor=actor,
        from_contact_id=old.pk,
        contact_id=contact.pk,
    )
    return order
