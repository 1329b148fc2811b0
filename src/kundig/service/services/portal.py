"""The customer portal: sign-in by a mailed one-time link, no password.

A customer asks for a link with their address; if Kundig knows the address,
a link goes out through the outbox (a transactional mail). The answer is the
same either way, so the form tells nobody which addresses are customers'.
A link is 32 random bytes, kept only as its SHA-256, valid for 30 minutes
and once; at most five are sent to one customer per hour. What the portal
shows is always read by the signed-in customer's own id.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.commerce import services as commerce
from kundig.contacts import selectors as contact_selectors
from kundig.core.crypto import digest
from kundig.core.text import one_line
from kundig.messaging import services as messaging
from kundig.messaging.models import MessageTemplate

from ..choices import TicketCategory, TicketChannel
from ..models import PortalLink, Ticket
from .tickets import ticket_open

LINK_MINUTES = 30
LINKS_PER_HOUR = 5
TEMPLATE = "portal-login"


@transaction.atomic
def portal_link_request(email: str) -> bool:
    """Mail a sign-in link to the customer with ``email``; True if one was sent.

    Unknown addresses, and a sixth link within an hour, send nothing.
    """
    email = one_line(email).lower()[:254]
    contact = contact_selectors.contact_by_email(email) if email else None
    if contact is None:
        return False
    now = timezone.now()
    recent = PortalLink.objects.filter(
        contact=contact, created_at__gte=now - dt.timedelta(hours=1)
    ).count()
    if recent >= LINKS_PER_HOUR:
        return False
    template = MessageTemplate.objects.filter(key=TEMPLATE).first()
    if template is None:
        return False
    token = secrets.token_urlsafe(32)
    link = PortalLink.objects.create(
        contact=contact,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=LINK_MINUTES),
    )
    url = settings.BASE_URL + reverse("service:portal_enter", args=[token])
    queued = messaging.message_queue(
        template=template,
        contact=contact,
        key=f"portal:{link.pk}",
        extra={"portal": {"url": url, "minutes": str(LINK_MINUTES)}},
        to_email=email,
        origin=_("Customer portal"),
    )
    return queued.message is not None


def portal_contact(contact_id: int):
    """The signed-in customer's contact, or None if it is gone."""
    return apps.get_model("contacts", "Contact").objects.filter(pk=contact_id).first()


def portal_link_get(token: str) -> PortalLink | None:
    """The unused, unexpired link of ``token``, or None."""
    if not token or len(token) > 100:
        return None
    return (
        PortalLink.objects.filter(
            token_hash=digest(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("contact")
        .first()
    )


@transaction.atomic
def portal_link_use(token: str) -> int | None:
    """Use the link once; return the customer's contact id, or None."""
    link = portal_link_get(token)
    if link is None:
        return None
    link = PortalLink.objects.select_for_update().get(pk=link.pk)
    if link.used_at is not None:
        return None  # used a moment ago, by another click
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link.contact_id


@transaction.atomic
def portal_return_announce(
    *, contact_id: int, order, lines: dict, reason: str, comment: str, key: str
):
    """The customer announces a return of their order; the desk gets a ticket."""
    if order.contact_id != contact_id:
        raise PermissionError("not the customer's order")
    ret = commerce.return_announce(
        actor=None, order=order, lines=lines, reason=reason, comment=comment, key=key
    )
    if not Ticket.objects.filter(source=f"portal:return:{ret.pk}").exists():
        ticket_open(
            actor=None,
            contact=order.contact,
            subject=_("Return %(rma)s announced for order %(number)s")
            % {"rma": ret.rma_number, "number": order.number or order.pk},
            channel=TicketChannel.WEB,
            body=ret.comment,
            category=TicketCategory.RETURN,
            ret=ret,
            source=f"portal:return:{ret.pk}",
        )
    return ret


def portal_return_sent(*, contact_id: int, ret, carrier: str, tracking_number: str):
    """The customer says the parcel is on its way back, with its tracking number."""
    if ret.order.contact_id != contact_id:
        raise PermissionError("not the customer's return")
    return commerce.return_step(
        actor=None, ret=ret, status="in_transit", carrier=carrier,
        tracking_number=tracking_number,
    )  # fmt: skip
