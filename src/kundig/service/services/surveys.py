"""Surveys: the customer's rating after a solved ticket (CSAT, 1 to 5), and how
likely they are to recommend the shop (NPS, 0 to 10).

A survey is a row with an unguessable token (kept as its hash; the token is
only in the mail's links) and goes out as a mail through
the outbox, once per reason (its ``key``). The mail's purpose is *surveys*:
in Germany a request for feedback by mail is advertising and needs the
customer's consent, so customers without it get no mail, and the survey
keeps why. The answer comes through a public page, once; it lands on the
customer's timeline and, for a ticket, as a note on it; a low rating tells
whoever had the ticket.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundig.activity.choices import Direction, Kind
from kundig.activity.services import timeline_add
from kundig.core.crypto import digest
from kundig.core.events import emit, is_historical
from kundig.core.notifications import notification_create
from kundig.core.text import strip_control_characters
from kundig.messaging import services as messaging
from kundig.messaging.models import MessageTemplate

from ..choices import SURVEY_SCALES, EntryKind, SurveyKind, TicketStatus
from ..models import ServiceSettings, Survey, Ticket, TicketEntry

CSAT_TEMPLATE = "service-csat"
NPS_TEMPLATE = "service-nps"
OPEN_FOR = dt.timedelta(days=30)
COMMENT_LENGTH = 2000
# A rating at or below this tells whoever had the ticket.
LOW_CSAT = 2


def survey_url(token: str, score: int | None = None) -> str:
    url = settings.BASE_URL + reverse("service:survey", args=[token])
    return url if score is None else f"{url}?score={score}"


def _merge(survey: Survey, token: str) -> dict:
    return {
        "url": survey_url(token),
        "scores": [
            {"value": score, "url": survey_url(token, score)}
            for score in SURVEY_SCALES[survey.kind]
        ],
    }


def _survey(
    kind: str, contact_id: int, key: str, ticket=None
) -> tuple[Survey | None, str]:
    """A new survey under ``key`` and its link's token; None if the key has one."""
    if Survey.objects.filter(key=key).exists():
        return None, ""
    now = timezone.now()
    token = secrets.token_urlsafe(24)
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                kind=kind,
                contact_id=contact_id,
                ticket=ticket,
                key=key,
                token_hash=digest(token),
                created_at=now,
                expires_at=now + OPEN_FOR,
            )
    except IntegrityError:
        return None, ""  # made at the same moment by another worker
    return survey, token


def _send(
    survey: Survey, token: str, template_key: str, *, refs=None, extra=None, origin=""
):
    """Queue the survey's mail; keep why if it cannot go out."""
    template = MessageTemplate.objects.filter(key=template_key).first()
    if template is None:
        survey.problem = _("The survey's message template was deleted.")
    else:
        queued = messaging.message_queue(
            template=template,
            contact=survey.contact,
            key=f"survey:{survey.pk}",
            refs=refs or {},
            extra={**(extra or {}), "survey": _merge(survey, token)},
            origin=origin,
        )
        survey.message = queued.message
        survey.problem = queued.error[:300]
    survey.save(update_fields=["message", "problem"])


def surveys_for_solved(events) -> list[Survey]:
    """Ask each customer whose ticket was solved for a rating, once per ticket.

    Nothing is asked when the desk switched it off, for tickets solved in an
    import, or when the ticket was opened again before the event was handled.
    """
    if not ServiceSettings.current().ask_rating:
        return []
    ids = [event.subject_id for event in events if not is_historical(event)]
    tickets = Ticket.objects.filter(
        pk__in=ids, status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED]
    ).select_related("contact")
    asked = []
    for ticket in tickets:
        with transaction.atomic():
            survey, token = _survey(
                SurveyKind.CSAT, ticket.contact_id, f"csat:ticket:{ticket.pk}", ticket
            )
            if survey is None:
                continue
            _send(
                survey,
                token,
                CSAT_TEMPLATE,
                refs={"order": ticket.order_id} if ticket.order_id else {},
                extra={"ticket": {"number": ticket.number, "subject": ticket.subject}},
                origin=_("Ticket %(number)s") % {"number": ticket.number},
            )
            asked.append(survey)
    return asked


@transaction.atomic
def nps_survey_send(*, contact, key: str) -> Survey | None:
    """Ask ``contact`` how likely they are to recommend the shop; once per ``key``."""
    survey, token = _survey(SurveyKind.NPS, contact.pk, key)
    if survey is not None:
        _send(survey, token, NPS_TEMPLATE, origin=_("Survey"))
    return survey


def survey_by_token(token: str) -> Survey | None:
    if not token or len(token) > 64:
        return None
    return (
        Survey.objects.filter(token_hash=digest(token))
        .select_related("contact", "ticket__assignee", "ticket__queue__team_lead")
        .first()
    )


def _summary(survey: Survey) -> str:
    scale = SURVEY_SCALES[survey.kind]
    if survey.kind == SurveyKind.CSAT:
        text = _("Rated the service %(score)d of %(top)d") % {
            "score": survey.score,
            "top": scale[-1],
        }
        if survey.ticket_id:
            text += " " + _("(ticket %(number)s)") % {"number": survey.ticket.number}
    else:
        text = _("Recommendation: %(score)d of %(top)d") % {
            "score": survey.score,
            "top": scale[-1],
        }
    if survey.comment:
        text += f": {survey.comment[:200]}"
    return text


@transaction.atomic
def survey_answer(*, token: str, score, comment: str = "") -> Survey:
    """Record the customer's answer; an answered survey keeps its first answer."""
    survey = survey_by_token(token)
    if survey is None:
        raise ValidationError(_("This survey link is not valid."))
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.answered_at is not None:
        return survey
    if survey.expires_at <= timezone.now():
        raise ValidationError(_("This survey has closed. Thank you all the same!"))
    errors: dict[str, list[str]] = {}
    scale = SURVEY_SCALES[survey.kind]
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = None
    if score not in scale:
        errors["score"] = [
            _("Choose a number from %(low)d to %(high)d.")
            % {"low": scale[0], "high": scale[-1]}
        ]
    comment = strip_control_characters(comment or "").strip()
    if len(comment) > COMMENT_LENGTH:
        errors["comment"] = [_("At most %(n)d characters.") % {"n": COMMENT_LENGTH}]
    if errors:
        raise ValidationError(errors)
    survey.score, survey.comment, survey.answered_at = score, comment, timezone.now()
    survey.save(update_fields=["score", "comment", "answered_at"])
    with translation.override(settings.LANGUAGE_CODE):  # for the team, not the page
        summary = _summary(survey)
    timeline_add(
        actor=None,
        kind=Kind.SURVEY,
        contact=survey.contact,
        summary=summary,
        body=comment,
        channel="web",
        direction=Direction.INBOUND,
        source_type="service.survey",
        source_id=f"{survey.pk}:answered",
        source_url=survey.ticket.get_absolute_url() if survey.ticket_id else "",
    )
    emit(
        "survey.answered",
        survey,
        contact_id=survey.contact_id,
        kind=survey.kind,
        score=score,
        ticket_id=survey.ticket_id,
    )
    if survey.ticket_id:
        TicketEntry.objects.create(
            ticket=survey.ticket, kind=EntryKind.NOTE, body=summary
        )
        if survey.kind == SurveyKind.CSAT and score <= LOW_CSAT:
            _tell_low(survey)
    return survey


def _tell_low(survey: Survey) -> None:
    """A poor rating goes to whoever had the ticket (else the queue's team lead)."""
    ticket = survey.ticket
    user = ticket.assignee or ticket.queue.team_lead
    if user is None or not user.is_active:
        return
    with translation.override(user.language or "de"):
        notification_create(
            user=user,
            title=_("%(contact)s rated ticket %(number)s: %(score)d of 5")
            % {
                "contact": survey.contact,
                "number": ticket.number,
                "score": survey.score,
            },
            body=survey.comment[:300],
            url=ticket.get_absolute_url(),
            dedupe_key=f"survey:{survey.pk}:low",
        )
