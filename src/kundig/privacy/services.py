"""The consent ledger: sign-up with double opt-in, confirmation, withdrawal.

Every change is a :class:`ConsentRecord` (the proof, append-only) and the
contact's :class:`Consent` row for that purpose and channel (the state the
outbox asks). Both are written in one transaction.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kundig.contacts import selectors as contact_selectors
from kundig.contacts.choices import ChangeSource
from kundig.contacts.services import EmailData, contact_create, email_lock
from kundig.core.audit import audit_created
from kundig.core.choices import Permission
from kundig.core.crypto import digest
from kundig.core.events import emit
from kundig.core.permissions import require
from kundig.messaging import services as messaging
from kundig.messaging.merge import primary_email
from kundig.messaging.models import MessageTemplate

from .choices import PURPOSE_VALUES, PURPOSES, Action, Channel, Status
from .models import Consent, ConsentRecord, ConsentText, OptInRequest

logger = logging.getLogger(__name__)

DOI_TEMPLATE = "privacy-double-opt-in"
# How long a confirmation link works.
OPT_IN_VALID = timedelta(days=7)
# A second sign-up within this time sends no second confirmation mail, so the
# form cannot be used to flood somebody's inbox.
RESEND_AFTER = timedelta(minutes=10)
# At most this many confirmation mails per address and purpose a day.
MAX_MAILS_PER_DAY = 3
_UNSUBSCRIBE_SALT = "kundig.privacy.unsubscribe"
# How many contact ids one query of the send check carries.
_CHUNK = 5000

_STATUS_OF = {
    Action.REQUESTED: Status.PENDING,
    Action.CONFIRMED: Status.GRANTED,
    Action.GIVEN: Status.GRANTED,
    Action.WITHDRAWN: Status.WITHDRAWN,
    Action.OBJECTED: Status.WITHDRAWN,
}


def _purpose_label(purpose: str) -> str:
    return str(dict(PURPOSES)[purpose])


def _check_purpose(purpose: str, field: str = "purpose") -> None:
    if purpose not in PURPOSE_VALUES:
        raise ValidationError(
            {
                field: _("Unknown purpose %(purpose)s; use one of: %(purposes)s.")
                % {"purpose": purpose, "purposes": ", ".join(PURPOSE_VALUES)}
            }
        )


# --- The send check for messaging -------------------------------------------------


def contacts_consenting(contact_ids: Collection[int], purpose: str) -> set[int]:
    """Which of ``contact_ids`` have confirmed consent to ``purpose`` by email."""
    ids = list(contact_ids)
    allowed: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        allowed.update(
            Consent.objects.filter(
                purpose=purpose,
                channel=Channel.EMAIL,
                status=Status.GRANTED,
                contact_id__in=ids[start : start + _CHUNK],
            ).values_list("contact_id", flat=True)
        )
    return allowed


def unsubscribe_token(contact_id: int, purpose: str) -> str:
    """An unguessable token naming one contact and purpose (HMAC-signed)."""
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign(f"{contact_id}.{purpose}")


def unsubscribe_url(contact_id: int, purpose: str) -> str:
    token = unsubscribe_token(contact_id, purpose)
    return settings.BASE_URL + reverse("privacy:unsubscribe", args=[token])


def unsubscribe_target(token: str) -> tuple[int, str] | None:
    """The (contact id, purpose) a token names, or None if it is not ours."""
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    contact_id, _sep, purpose = value.partition(".")
    if not contact_id.isdigit() or purpose not in PURPOSE_VALUES:
        return None
    return int(contact_id), purpose


def register_policy() -> None:
    messaging.consent_policy_register(
        messaging.ConsentPolicy(
            allowed=contacts_consenting, unsubscribe_url=unsubscribe_url
        )
    )


# --- Consent texts ----------------------------------------------------------------


def consent_text_current(purpose: str, language: str) -> ConsentText | None:
    """The newest wording for ``purpose``, in ``language`` or else German/English."""
    texts = ConsentText.objects.filter(purpose=purpose).order_by("-version")
    for choice in (language, "de", "en"):
        text = texts.filter(language=choice).first()
        if text is not None:
            return text
    return None


@transaction.atomic
def consent_text_publish(*, actor, purpose: str, language: str, text: str):
    """Publish a new version of a consent wording; earlier versions stay as proof."""
    require(actor, Permission.MESSAGING)
    _check_purpose(purpose)
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose German or English.")})
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the text people agree to.")})
    current = (
        ConsentText.objects.select_for_update()
        .filter(purpose=purpose, language=language)
        .order_by("-version")
        .first()
    )
    if current is not None and current.text == text:
        return current
    published = ConsentText.objects.create(
        purpose=purpose,
        language=language,
        version=(current.version + 1) if current else 1,
        text=text,
        created_by=actor,
    )
    audit_created(published, actor=actor)
    return published


# --- Ledger writes ----------------------------------------------------------------


@dataclass
class Evidence:
    """How a change reached Kundig: the proof kept in the ledger."""

    source: str
    ip: str | None = None
    user_agent: str = ""
    note: str = ""
    actor: object | None = None


def _check_evidence(evidence: Evidence) -> None:
    if evidence.ip:
        try:
            ipaddress.ip_address(evidence.ip)
        except ValueError:
            raise ValidationError(
                {"ip": _("%(ip)s is not an IP address.") % {"ip": evidence.ip}}
            ) from None


def _write(
    contact, *, purpose: str, channel: str, action: str, evidence: Evidence,
    text: ConsentText | None = None, email: str = "",
) -> ConsentRecord:  # fmt: skip
    now = timezone.now()
    actor = evidence.actor if getattr(evidence.actor, "pk", None) else None
    record = ConsentRecord.objects.create(
        contact=contact,
        purpose=purpose,
        channel=channel,
        action=action,
        occurred_at=now,
        source=evidence.source,
        email=email,
        ip=evidence.ip or None,
        user_agent=(evidence.user_agent or "")[:300],
        text=text,
        actor=actor,
        note=(evidence.note or "")[:500],
    )
    Consent.objects.update_or_create(
        contact=contact,
        purpose=purpose,
        channel=channel,
        defaults={"status": _STATUS_OF[action], "since": now, "record": record},
    )
    return record


def _status(contact, purpose: str, channel: str) -> str | None:
    return (
        Consent.objects.select_for_update()
        .filter(contact=contact, purpose=purpose, channel=channel)
        .values_list("status", flat=True)
        .first()
    )


def _contact_for_signup(*, email: str, first_name: str, last_name: str, language):
    email_lock(email)
    contact = contact_selectors.contact_by_email(email)
    if contact is not None:
        return contact
    return contact_create(
        actor=None,
        fields={
            "first_name": first_name,
            "last_name": last_name,
            "language": language,
        },
        emails=[EmailData(email=email, is_primary=True)],
        source=ChangeSource.SYSTEM,
    )


@dataclass
class Signup:
    """What a sign-up came to. The page shows the same to everyone."""

    contact: object
    mailed: bool
    already: bool = False


def signup_request(
    *,
    email: str,
    purpose: str,
    language: str = "de",
    first_name: str = "",
    last_name: str = "",
    evidence: Evidence,
) -> Signup:
    """Sign ``email`` up for ``purpose``: ledger line, then the confirmation mail.

    Consent starts only with the click on the link (double opt-in). The mail
    carries no advertising. A repeated sign-up sends the mail again at most
    every few minutes and three times a day.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    _check_purpose(purpose)
    _check_evidence(evidence)
    language = language if language in dict(settings.LANGUAGES) else "de"
    with transaction.atomic():
        contact = _contact_for_signup(
            email=email,
            first_name=first_name.strip()[:100],
            last_name=last_name.strip()[:100],
            language=language,
        )
        status = _status(contact, purpose, Channel.EMAIL)
        if status == Status.GRANTED:
            return Signup(contact=contact, mailed=False, already=True)
        now = timezone.now()
        recent = OptInRequest.objects.filter(
            contact=contact, purpose=purpose, created_at__gte=now - timedelta(days=1)
        ).order_by("-created_at")
        latest = recent.first()
        if latest is not None and (
            latest.created_at > now - RESEND_AFTER
            or recent.count() >= MAX_MAILS_PER_DAY
        ):
            return Signup(contact=contact, mailed=False)
        text = consent_text_current(purpose, language)
        if text is None:
            raise ValidationError(
                {"purpose": _("There is no consent text for this purpose yet.")}
            )
        record = _write(
            contact,
            purpose=purpose,
            channel=Channel.EMAIL,
            action=Action.REQUESTED,
            evidence=evidence,
            text=text,
            email=email,
        )
        token = secrets.token_urlsafe(32)
        request = OptInRequest.objects.create(
            token_hash=digest(token),
            contact=contact,
            purpose=purpose,
            email=email,
            text=text,
            record=record,
            created_at=now,
            expires_at=now + OPT_IN_VALID,
        )
        _queue_confirmation(request, token, language)
        emit(
            "consent.requested",
            contact,
            contact_id=contact.pk,
            purpose=purpose,
            channel=Channel.EMAIL,
        )
    return Signup(contact=contact, mailed=True)


def _queue_confirmation(request: OptInRequest, token: str, language: str) -> None:
    template = MessageTemplate.objects.filter(key=DOI_TEMPLATE).first()
    if template is None:
        raise ValidationError(
            {"email": _("Sign-up is not possible right now; please try later.")}
        )
    with override(language):
        purpose_name = _purpose_label(request.purpose)
    queued = messaging.message_queue(
        template=template,
        contact=request.contact,
        key=f"privacy.opt-in.{request.pk}",
        origin=_("Double opt-in"),
        extra={
            "confirm_url": settings.BASE_URL + reverse("privacy:confirm", args=[token]),
            "consent_purpose": purpose_name,
        },
        to_email=request.email,
    )
    if queued.message is None:
        logger.warning(
            "No double opt-in mail for contact %s: %s",
            request.contact_id,
            queued.error,
        )
        raise ValidationError(
            {"email": _("Sign-up is not possible right now; please try later.")}
        )


def optin_request_for(token: str) -> OptInRequest | None:
    return (
        OptInRequest.objects.select_related("contact", "text")
        .filter(token_hash=digest(token or ""))
        .first()
    )


def signup_confirm(*, token: str, evidence: Evidence) -> OptInRequest:
    """Confirm a sign-up by its link; a second click changes nothing."""
    with transaction.atomic():
        request = (
            OptInRequest.objects.select_for_update()
            .select_related("contact", "text")
            .filter(token_hash=digest(token or ""))
            .first()
        )
        if request is None:
            raise ValidationError({"token": _("This confirmation link is not valid.")})
        if request.confirmed_at is not None:
            return request
        if request.expires_at < timezone.now():
            raise ValidationError(
                {
                    "token": _(
                        "This confirmation link has expired; please sign up again."
                    )
                }
            )
        status = _status(request.contact, request.purpose, Channel.EMAIL)
        request.confirmed_at = timezone.now()
        request.save(update_fields=["confirmed_at"])
        if status == Status.GRANTED:
            return request
        _write(
            request.contact,
            purpose=request.purpose,
            channel=Channel.EMAIL,
            action=Action.CONFIRMED,
            evidence=evidence,
            text=request.text,
            email=request.email,
        )
        emit(
            "consent.given",
            request.contact,
            contact_id=request.contact_id,
            purpose=request.purpose,
            channel=Channel.EMAIL,
        )
    return request


def consent_withdraw(
    *, contact, purpose: str, evidence: Evidence, channel: str = Channel.EMAIL
) -> bool:
    """Withdraw a consent; its queued messages stop. False: nothing to withdraw."""
    _check_purpose(purpose)
    with transaction.atomic():
        if _status(contact, purpose, channel) in (None, Status.WITHDRAWN):
            return False
        _write(
            contact,
            purpose=purpose,
            channel=channel,
            action=Action.WITHDRAWN,
            evidence=evidence,
            email=_primary_email(contact),
        )
        _stop_queued(contact, [purpose], channel)
        emit(
            "consent.withdrawn",
            contact,
            contact_id=contact.pk,
            purpose=purpose,
            channel=channel,
        )
    return True


def consent_object(*, actor, contact, evidence: Evidence) -> int:
    """Record an objection to all marketing (GDPR Art. 21); return lines written.

    Every purpose on every channel is set to withdrawn, also where nothing had
    been agreed, so that no later import or form can send marketing unnoticed.
    """
    require(actor, Permission.WRITE)
    written = 0
    with transaction.atomic():
        for purpose in PURPOSE_VALUES:
            for channel in Channel.values:
                existing = _status(contact, purpose, channel)
                if existing == Status.WITHDRAWN:
                    continue
                _write(
                    contact,
                    purpose=purpose,
                    channel=channel,
                    action=Action.OBJECTED,
                    evidence=evidence,
                    email=_primary_email(contact),
                )
                written += 1
        _stop_queued(contact, PURPOSE_VALUES, Channel.EMAIL)
        if written:
            emit("consent.objected", contact, contact_id=contact.pk, actor=actor)
    return written


def consent_give(
    *, actor, contact, purpose: str, channel: str, evidence: Evidence
) -> ConsentRecord:
    """Record a consent staff hold proof of (a signed form, a recorded call)."""
    require(actor, Permission.WRITE)
    _check_purpose(purpose)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose a channel.")})
    if not evidence.note.strip():
        raise ValidationError(
            {"note": _("Say what proves the consent, e.g. the signed form's date.")}
        )
    with transaction.atomic():
        record = _write(
            contact,
            purpose=purpose,
            channel=channel,
            action=Action.GIVEN,
            evidence=evidence,
            email=_primary_email(contact) if channel == Channel.EMAIL else "",
        )
        emit(
            "consent.given",
            contact,
            contact_id=contact.pk,
            purpose=purpose,
            channel=channel,
            actor=actor,
        )
    return record


def unsubscribe(*, token: str, evidence: Evidence) -> tuple[object, str, bool]:
    """Withdraw what an unsubscribe link names; (contact, purpose, changed)."""
    target = unsubscribe_target(token)
    if target is None:
        raise ValidationError({"token": _("This unsubscribe link is not valid.")})
    contact_id, purpose = target
    contact = (
        apps.get_model("contacts", "Contact").objects.filter(pk=contact_id).first()
    )
    if contact is None:
        raise ValidationError({"token": _("This unsubscribe link is not valid.")})
    try:
        changed = consent_withdraw(contact=contact, purpose=purpose, evidence=evidence)
    except IntegrityError:  # two clicks at once: the other one withdrew
        changed = False
    return contact, purpose, changed


def _stop_queued(contact, purposes, channel: str) -> None:
    if channel != Channel.EMAIL:
        return
    messaging.messages_cancel(
        contact_id=contact.pk,
        purposes=purposes,
        reason=_("The consent was withdrawn before the message went out."),
    )


def _primary_email(contact) -> str:
    return primary_email(contact)
