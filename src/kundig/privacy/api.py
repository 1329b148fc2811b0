"""Consent over the API: shops pass on sign-ups; anyone may read a contact's ledger.

A sign-up through the API is the same double opt-in as the public page: the
shop sends the address (and the visitor's IP), Kundig sends the
confirmation mail, and the consent starts with the click.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kundig.contacts.api.common import Input
from kundig.contacts.selectors import contact_get
from kundig.core.choices import Permission

from . import selectors, services
from .choices import Source

consent_router = Router(tags=["Consent"])


class SignupIn(Input):
    email: str = Field(max_length=254)
    purpose: str = Field("newsletter", description="newsletter, product_news, surveys")
    language: str = Field("de", description="de or en: the confirmation mail's")
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    ip: str | None = Field(
        None, description="The visitor's IP address, kept as proof of the sign-up."
    )
    user_agent: str = Field("", max_length=300)


class SignupOut(Schema):
    contact_id: int
    status: str = Field(
        description="confirmation_sent; already_confirmed; or recently_sent (no "
        "second mail within minutes, at most three a day)"
    )


class ConsentOut(Schema):
    purpose: str
    channel: str
    status: str
    since: datetime


class RecordOut(Schema):
    occurred_at: datetime
    purpose: str
    channel: str
    action: str
    source: str
    email: str
    ip: str | None
    text_version: int | None
    text: str
    note: str


class LedgerOut(Schema):
    contact_id: int
    consents: list[ConsentOut]
    ledger: list[RecordOut]


@consent_router.post(
    "/newsletter/signups",
    response={202: SignupOut},
    summary="Sign up for a newsletter (double opt-in)",
    operation_id="newsletter_signup",
)
def newsletter_signup(request, payload: SignupIn):
    """Start a double opt-in: the address gets a confirmation mail; consent
    begins only when its link is clicked. Unknown addresses become contacts."""
    if not request.auth.has_role_permission(Permission.WRITE):
        raise PermissionDenied(_("Your role does not allow this."))
    result = services.signup_request(
        email=payload.email,
        purpose=payload.purpose,
        language=payload.language,
        first_name=payload.first_name,
        last_name=payload.last_name,
        evidence=services.Evidence(
            source=Source.API,
            ip=payload.ip or request.META.get("REMOTE_ADDR"),
            user_agent=payload.user_agent,
            actor=request.auth,
        ),
    )
    if result.already:
        status = "already_confirmed"
    elif result.mailed:
        status = "confirmation_sent"
    else:
        status = "recently_sent"
    return Status(202, {"contact_id": result.contact.pk, "status": status})


@consent_router.get(
    "/contacts/{int:contact_id}/consents",
    response=LedgerOut,
    summary="A contact's consents and ledger",
    operation_id="contact_consents",
)
def contact_consents(request, contact_id: int):
    """The current state per purpose and channel, and every ledger line as proof."""
    contact = contact_get(user=request.auth, pk=contact_id)
    return {
        "contact_id": contact.pk,
        "consents": [
            {
                "purpose": c.purpose,
                "channel": c.channel,
                "status": c.status,
                "since": c.since,
            }
            for c in selectors.contact_consents(contact)
        ],
        "ledger": [selectors.ledger_row(r) for r in selectors.contact_ledger(contact)],
    }
