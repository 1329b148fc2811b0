"""Who bought it: an order's buyer matched to a contact, or a new contact.

The rules, in order: the shop's customer ID (seen before on this shop), the
normalised email address, then (if ``KUNDIG_MATCH_NAME_POSTCODE``) first and
last name with the postcode of an address, when exactly one contact has them.
A guest checkout and a store purchase of the same person thus end up on one
contact. Every decision is written to :class:`IdentityMatch`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from kundig.contacts import selectors as contact_selectors
from kundig.contacts import services as contact_services
from kundig.contacts.choices import ChangeSource

from ..choices import MatchRule, SalesChannel
from ..models import ShopIdentity
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
