"""Crisis plans and goodwill (Kulanz).

A plan per ticket category says what to do (a checklist), how to answer (a
reply with merge fields), who is responsible, how long a solution may take,
and what may be offered as goodwill. Each role has a limit: an agent grants
up to the plan's agent limit at once, the queue's team lead (and managers)
up to the team-lead limit, the queue's escalation owner and administrators
without limit; customers who have bought much get limits multiplied.
Goodwill above the offerer's limit waits for someone whose limit covers it.
Every offer and decision is a note on the ticket, an entry on the customer's
timeline and an event; a granted voucher or discount gets a unique code.
"""

from __future__ import annotations

import re
import secrets
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundig.activity.choices import Direction, Kind
from kundig.activity.services import timeline_add
from kundig.core.audit import audit_changes, audit_created, audit_deleted
from kundig.core.choices import Permission, Role
from kundig.core.events import emit
from kundig.core.notifications import notification_create
from kundig.core.permissions import require
from kundig.core.text import one_line, strip_control_characters
from kundig.messaging import merge, rendering

from ..choices import CODE_KINDS, EntryKind, GoodwillKind, OfferStatus, TicketCategory
from ..models import (
    CrisisPlan,
    CrisisStep,
    GoodwillOffer,
    GoodwillOption,
    Macro,
    ServiceSettings,
    StepDone,
    Ticket,
    TicketEntry,
)

PLAN_FIELDS = (
    "category", "name", "responsible", "solution_hours", "response_de",
    "response_en", "agent_limit", "team_lead_limit", "is_active",
)  # fmt: skip
MACRO_FIELDS = ("name", "text_de", "text_en", "is_active")
MAX_STEPS = 30
MAX_OPTIONS = 20
# One offer above this is a typing mistake, not goodwill.
MAX_AMOUNT = Decimal("100000")
CENT = Decimal("0.01")
# Codes read aloud on the phone: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _money(amount: Decimal, language: str) -> str:
    return rendering.money(amount, settings.KUNDIG_CURRENCY, language)


# --- Plans ----------------------------------------------------------------------------


def _plan_snapshot(plan: CrisisPlan) -> dict:
    return {
        **{field: getattr(plan, field) for field in PLAN_FIELDS},
        "responsible": str(plan.responsible or ""),
        "steps": " | ".join(step.text for step in plan.steps.all()) if plan.pk else "",
        "options": " | ".join(
            f"{option} {option.amount}" for option in plan.options.all()
        )
        if plan.pk
        else "",
    }


def _clean_steps(steps: list[str], errors: dict) -> list[str]:
    cleaned = [one_line(step)[:300] for step in steps]
    cleaned = [step for step in cleaned if step]
    if len(cleaned) > MAX_STEPS:
        errors["steps"] = [_("At most %(n)d steps.") % {"n": MAX_STEPS}]
    return cleaned


def _clean_options(options: list[dict], errors: dict) -> list[GoodwillOption]:
    cleaned = []
    for number, option in enumerate(options, start=1):
        kind = option.get("kind")
        label = one_line(option.get("label") or "")[:100]
        amount = option.get("amount")
        if kind not in GoodwillKind.values:
            errors.setdefault("options", []).append(
                _("Option %(n)d: choose a kind.") % {"n": number}
            )
            continue
        try:
            amount = _amount(amount)
        except ValidationError as exc:
            errors.setdefault("options", []).append(
                _("Option %(n)d: %(error)s") % {"n": number, "error": exc.messages[0]}
            )
            continue
        cleaned.append(
            GoodwillOption(kind=kind, label=label, amount=amount, position=number)
        )
    if len(cleaned) > MAX_OPTIONS:
        errors["options"] = [_("At most %(n)d options.") % {"n": MAX_OPTIONS}]
    return cleaned


@transaction.atomic
def crisis_plan_save(
    *,
    actor,
    plan: CrisisPlan | None = None,
    steps: list[str] | None = None,
    options: list[dict] | None = None,
    **data,
) -> CrisisPlan:
    """Create or change a plan, its checklist and its goodwill catalogue.

    ``steps`` are the checklist's lines; a step whose text stays keeps what
    tickets ticked off. ``options`` are dicts of kind, label and amount.
    Left out (None), either stays as it is.
    """
    require(actor, Permission.MANAGE)
    creating = plan is None
    plan = plan or CrisisPlan()
    before = {} if creating else _plan_snapshot(plan)
    for name, value in data.items():
        if name not in PLAN_FIELDS:
            raise TypeError(f"unknown crisis plan field {name}")
        if name in ("response_de", "response_en"):
            value = strip_control_characters(value or "").strip()
        elif isinstance(value, str):
            value = one_line(value)
        setattr(plan, name, value)
    errors: dict[str, list[str]] = {}
    if steps is not None:
        steps = _clean_steps(steps, errors)
    if options is not None:
        new_options = _clean_options(options, errors)
    for field, language in (("response_de", "de"), ("response_en", "en")):
        text = getattr(plan, field)
        if text:
            problems = rendering.check_text(text, language=language)
            if problems:
                errors[field] = problems
    if (
        plan.agent_limit is not None
        and plan.team_lead_limit is not None
        and plan.team_lead_limit < plan.agent_limit
    ):
        errors["team_lead_limit"] = [
            _("A team lead may grant at least what an agent may.")
        ]
    try:
        plan.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    plan.save()
    if steps is not None:
        _replace_steps(plan, steps)
    if options is not None:
        plan.options.all().delete()
        for option in new_options:
            option.plan = plan
        GoodwillOption.objects.bulk_create(new_options)
    if creating:
        audit_created(plan, actor=actor)
    else:
        plan = CrisisPlan.objects.get(pk=plan.pk)  # fresh steps and options
        audit_changes(plan, actor=actor, before=before, after=_plan_snapshot(plan))
    return plan


def _replace_steps(plan: CrisisPlan, texts: list[str]) -> None:
    """The checklist becomes ``texts``; steps kept by their text keep their ticks."""
    existing: dict[str, list[CrisisStep]] = {}
    for step in plan.steps.all():
        existing.setdefault(step.text, []).append(step)
    kept = []
    for position, text in enumerate(texts, start=1):
        same = existing.get(text)
        if same:
            step = same.pop(0)
            if step.position != position:
                step.position = position
                step.save(update_fields=["position"])
        else:
            step = CrisisStep.objects.create(plan=plan, text=text, position=position)
        kept.append(step.pk)
    plan.steps.exclude(pk__in=kept).delete()


@transaction.atomic
def crisis_plan_delete(*, actor, plan: CrisisPlan) -> None:
    """Delete a plan; offers made under it stay on their tickets."""
    require(actor, Permission.MANAGE)
    audit_deleted(plan, actor=actor)
    plan.delete()


def crisis_plan_for(ticket: Ticket) -> CrisisPlan | None:
    """The active plan for the ticket's category, if there is one."""
    return (
        CrisisPlan.objects.filter(category=ticket.category, is_active=True)
        .select_related("responsible")
        .first()
    )


def plan_response(*, ticket: Ticket, plan: CrisisPlan) -> tuple[str, str]:
    """The plan's answer written for this ticket's customer (:func:`reply_draft`)."""
    return reply_draft(
        ticket=ticket, texts={"de": plan.response_de, "en": plan.response_en}
    )


def reply_draft(*, ticket: Ticket, texts: dict[str, str]) -> tuple[str, str]:
    """A reply template written for this ticket's customer, and what is missing.

    The customer's language picks the text (the other one if it is empty).
    A record the ticket lacks (no order, say) leaves its merge fields as
    ``[order.number]`` for the agent to fill in, and is named in the second
    value; a text that cannot be rendered comes back as written, with why.
    """
    loaded = merge.load(
        [
            merge.Recipient(
                contact_id=ticket.contact_id,
                refs={
                    kind: pk
                    for kind, pk in (
                        ("order", ticket.order_id),
                        ("shipment", ticket.shipment_id),
                        ("ret", ticket.ret_id),
                    )
                    if pk
                },
            )
        ],
        mailbox=ticket.mailbox or ticket.queue.mailbox,
    )[0]
    if loaded is None:
        return "", ""
    source = texts.get(loaded.language) or texts.get("de") or texts.get("en") or ""
    if not source:
        return "", ""
    context = {
        **loaded.context,
        "ticket": {"number": ticket.number, "subject": ticket.subject},
    }
    missing = [
        root
        for root in rendering.MERGE_FIELDS
        if root not in context
        and root not in rendering.LOOP_ONLY
        and re.search(rf"\b{root}\.", source)
    ]
    for root in missing:
        context[root] = {
            field: f"[{root}.{field}]" for field in rendering.MERGE_FIELDS[root]
        }
    try:
        text = rendering.render_text(source, context)
    except rendering.RenderError as exc:
        return source, exc.message
    if missing:
        return text, _("This ticket has no %(records)s.") % {
            "records": ", ".join(missing)
        }
    return text, ""


@transaction.atomic
def macro_save(*, actor, macro: Macro | None = None, **data) -> Macro:
    """Create or change a saved reply; its texts are checked like templates."""
    require(actor, Permission.SERVICE_DESK)
    creating = macro is None
    macro = macro or Macro()
    before = {} if creating else {f: getattr(macro, f) for f in MACRO_FIELDS}
    for name, value in data.items():
        if name not in MACRO_FIELDS:
            raise TypeError(f"unknown saved reply field {name}")
        if name in ("text_de", "text_en"):
            value = strip_control_characters(value or "").strip()
        elif isinstance(value, str):
            value = one_line(value)
        setattr(macro, name, value)
    errors: dict[str, list[str]] = {}
    if not macro.text_de and not macro.text_en:
        errors["text_de"] = [_("Write the reply in at least one language.")]
    for field, language in (("text_de", "de"), ("text_en", "en")):
        text = getattr(macro, field)
        if text:
            problems = rendering.check_text(text, language=language)
            if problems:
                errors[field] = problems
    try:
        macro.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    macro.save()
    if creating:
        audit_created(macro, actor=actor)
    else:
        audit_changes(
            macro, actor=actor, before=before,
            after={f: getattr(macro, f) for f in MACRO_FIELDS},
        )  # fmt: skip
    return macro


@transaction.atomic
def macro_delete(*, actor, macro: Macro) -> None:
    require(actor, Permission.SERVICE_DESK)
    audit_deleted(macro, actor=actor)
    macro.delete()


# --- The checklist --------------------------------------------------------------------


@transaction.atomic
def crisis_step_toggle(*, actor, ticket: Ticket, step: CrisisStep, done: bool) -> bool:
    """Tick a plan's step off on ``ticket`` (or take the tick back); idempotent."""
    require(actor, Permission.SERVICE_DESK)
    if step.plan.category != ticket.category:
        raise ValidationError({"step": _("This step belongs to another plan.")})
    if done:
        _done, created = StepDone.objects.get_or_create(
            ticket=ticket, step=step, defaults={"done_by": actor}
        )
        if created:
            emit(
                "ticket.step_done",
                ticket,
                actor=actor,
                contact_id=ticket.contact_id,
                step=step.text,
            )
    else:
        StepDone.objects.filter(ticket=ticket, step=step).delete()
    return done


# --- Limits ---------------------------------------------------------------------------


def is_valued(contact, desk: ServiceSettings | None = None) -> bool:
    """Whether the customer has bought enough for the higher goodwill limits."""
    try:
        revenue = contact.figures.revenue
    except ObjectDoesNotExist:
        return False
    desk = desk or ServiceSettings.current()
    return revenue is not None and revenue >= desk.valued_revenue


def goodwill_limit(
    *, user, ticket: Ticket, plan: CrisisPlan, desk: ServiceSettings | None = None
) -> Decimal | None:
    """What ``user`` may grant on ``ticket`` without asking; None: no limit.

    ``desk``: the service settings, when the caller has them already.
    """
    if not user.has_role_permission(Permission.SERVICE_DESK):
        return Decimal(0)
    queue = ticket.queue
    if user.role == Role.ADMIN or queue.escalation_owner_id == user.pk:
        return None
    if queue.team_lead_id == user.pk or user.role == Role.MANAGER:
        base = plan.team_lead_limit
    else:
        base = plan.agent_limit
    desk = desk or ServiceSettings.current()
    if is_valued(ticket.contact, desk):
        base *= desk.valued_factor
    return base.quantize(CENT)


def _covers(limit: Decimal | None, amount: Decimal) -> bool:
    return limit is None or amount <= limit


def _approver(ticket: Ticket, plan: CrisisPlan, amount: Decimal, actor):
    """Who is asked: the team lead where their limit covers it, else the
    escalation owner; None if neither is set (then administrators decide)."""
    queue = ticket.queue
    for user in (queue.team_lead, queue.escalation_owner):
        if (
            user is not None
            and user.is_active
            and user != actor
            and _covers(goodwill_limit(user=user, ticket=ticket, plan=plan), amount)
        ):
            return user
    return None


def _amount(raw) -> Decimal:
    try:
        amount = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Give an amount such as 10 or 12.50.")) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError(_("Give an amount above zero."))
    if amount > MAX_AMOUNT:
        raise ValidationError(_("Give an amount of at most 100,000."))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Offers ---------------------------------------------------------------------------


def _text(offer: GoodwillOffer, language: str) -> str:
    text = f"{offer.label}: {_money(offer.amount, language)}"
    if offer.code:
        text += " · " + _("code %(code)s") % {"code": offer.code}
    return text


def _new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"KD-{chars[:4]}-{chars[4:]}"


def _grant(offer: GoodwillOffer) -> None:
    """Mark ``offer`` granted, with a new unique code for what is redeemed by one."""
    offer.status = OfferStatus.GRANTED
    if offer.kind not in CODE_KINDS:
        offer.save()
        return
    for attempt in range(5):
        offer.code = _new_code()
        try:
            with transaction.atomic():
                offer.save()
            return
        except IntegrityError:
            if attempt == 4:  # 31^8 codes: five clashes in a row is no clash
                raise


def _record(offer: GoodwillOffer, *, actor, summary: str, event: str) -> None:
    ticket = offer.ticket
    TicketEntry.objects.create(
        ticket=ticket, kind=EntryKind.NOTE, author=actor, body=summary
    )
    timeline_add(
        actor=actor,
        kind=Kind.GOODWILL,
        contact=ticket.contact,
        summary=summary,
        direction=Direction.INTERNAL,
        source_type="service.goodwill",
        source_id=f"{offer.pk}:{event}",
        source_url=ticket.get_absolute_url(),
    )
    emit(
        f"goodwill.{event}",
        offer,
        actor=actor,
        contact_id=offer.contact_id,
        ticket_id=ticket.pk,
        kind=offer.kind,
        amount=str(offer.amount),
        currency=offer.currency,
        code=offer.code,
    )


@transaction.atomic
def goodwill_offer(
    *,
    actor,
    ticket: Ticket,
    kind: str,
    amount,
    key: str,
    label: str = "",
    reason: str = "",
) -> GoodwillOffer:
    """Offer goodwill on ``ticket``; once per ``key``.

    Within the actor's limit it is granted at once (a voucher or discount
    gets its code); above, it waits for the team lead or the escalation
    owner, who is told.
    """
    require(actor, Permission.SERVICE_DESK)
    # The ticket's lock makes a double click wait for the first, then find it.
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("contact", "queue__team_lead", "queue__escalation_owner")
        .get(pk=ticket.pk)
    )
    existing = GoodwillOffer.objects.filter(key=key).first() if key else None
    if existing is not None:
        if existing.ticket_id != ticket.pk:
            raise ValidationError({"key": _("This form was sent for another ticket.")})
        return existing
    plan = crisis_plan_for(ticket)
    errors: dict[str, list[str]] = {}
    if plan is None:
        raise ValidationError(
            _(
                "There is no active crisis plan for “%(category)s”, so no goodwill "
                "limits: an administrator sets one up."
            )
            % {"category": TicketCategory(ticket.category).label}
        )
    if kind not in GoodwillKind.values:
        errors["kind"] = [_("Choose one of the list.")]
    elif kind not in {option.kind for option in plan.options.all()}:
        errors["kind"] = [
            _("“%(kind)s” is not in this plan's goodwill catalogue.")
            % {"kind": GoodwillKind(kind).label}
        ]
    try:
        amount = _amount(amount)
    except ValidationError as exc:
        errors["amount"] = exc.messages
    if not key or len(key) > 64:
        errors["key"] = [_("The form is out of date; load the page again.")]
    if errors:
        raise ValidationError(errors)
    label = one_line(label)[:100] or GoodwillKind(kind).label
    offer = GoodwillOffer(
        ticket=ticket,
        contact=ticket.contact,
        kind=kind,
        label=str(label),
        amount=amount,
        currency=settings.KUNDIG_CURRENCY,
        reason=one_line(reason)[:300],
        offered_by=actor,
        key=key,
    )
    limit = goodwill_limit(user=actor, ticket=ticket, plan=plan)
    if _covers(limit, amount):
        offer.decided_by, offer.decided_at = actor, timezone.now()
        _grant(offer)
        summary = _("Goodwill granted: %(offer)s") % {
            "offer": _text(offer, translation.get_language() or "de")
        }
        _record(offer, actor=actor, summary=summary, event="granted")
        audit_created(offer, actor=actor)
        return offer
    offer.status = OfferStatus.PENDING
    offer.approver = _approver(ticket, plan, amount, actor)
    offer.save()
    language = translation.get_language() or "de"
    summary = _("Goodwill asked for approval: %(offer)s") % {
        "offer": _text(offer, language)
    }
    if offer.reason:
        summary += f" ({offer.reason})"
    _record(offer, actor=actor, summary=summary, event="requested")
    audit_created(offer, actor=actor)
    _ask(offer)
    return offer


def _ask(offer: GoodwillOffer) -> None:
    """Tell whoever decides: the approver, or the administrators if none is set."""
    people = (
        [offer.approver]
        if offer.approver
        else list(get_user_model().objects.filter(role=Role.ADMIN, is_active=True))
    )
    for user in people:
        language = user.language or "de"
        with translation.override(language):
            notification_create(
                user=user,
                title=_("Goodwill to approve on ticket %(number)s: %(offer)s")
                % {"number": offer.ticket.number, "offer": _text(offer, language)},
                body=offer.reason,
                url=offer.ticket.get_absolute_url(),
                dedupe_key=f"goodwill:{offer.pk}:ask",
            )


def may_decide(
    *,
    user,
    offer: GoodwillOffer,
    plan: CrisisPlan | None,
    desk: ServiceSettings | None = None,
) -> bool:
    """Whether ``user`` may approve or reject ``offer`` (their limit covers it)."""
    if offer.status != OfferStatus.PENDING or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    if plan is None or user.pk == offer.offered_by_id:
        return False
    limit = goodwill_limit(user=user, ticket=offer.ticket, plan=plan, desk=desk)
    return _covers(limit, offer.amount)


@transaction.atomic
def goodwill_decide(
    *, actor, offer: GoodwillOffer, approve: bool, note: str = ""
) -> GoodwillOffer:
    """Approve (and so grant) or reject goodwill waiting for approval; once."""
    require(actor, Permission.SERVICE_DESK)
    offer = (
        GoodwillOffer.objects.select_for_update(of=("self",))
        .select_related("ticket__queue", "ticket__contact", "offered_by")
        .get(pk=offer.pk)
    )
    if offer.status != OfferStatus.PENDING:
        raise ValidationError(
            _("This goodwill was already decided: %(status)s.")
            % {"status": offer.get_status_display()}
        )
    plan = crisis_plan_for(offer.ticket)
    if not may_decide(user=actor, offer=offer, plan=plan):
        raise PermissionDenied(_("This amount is above what you may approve."))
    offer.decided_by, offer.decided_at = actor, timezone.now()
    offer.decision_note = one_line(note)[:300]
    language = translation.get_language() or "de"
    if approve:
        _grant(offer)
        summary = _("Goodwill approved by %(user)s: %(offer)s") % {
            "user": actor,
            "offer": _text(offer, language),
        }
        event = "granted"
    else:
        offer.status = OfferStatus.REJECTED
        offer.save()
        summary = _("Goodwill rejected by %(user)s: %(offer)s") % {
            "user": actor,
            "offer": _text(offer, language),
        }
        event = "rejected"
    if offer.decision_note:
        summary += f" ({offer.decision_note})"
    _record(offer, actor=actor, summary=summary, event=event)
    audit_changes(
        offer,
        actor=actor,
        before={"status": OfferStatus.PENDING.label},
        after={"status": offer.get_status_display()},
    )
    asker = offer.offered_by
    if asker is not None and asker != actor and asker.is_active:
        with translation.override(asker.language or "de"):
            notification_create(
                user=asker,
                title=(
                    _("Goodwill approved on ticket %(number)s")
                    if approve
                    else _("Goodwill rejected on ticket %(number)s")
                )
                % {"number": offer.ticket.number},
                body=_text(offer, asker.language or "de"),
                url=offer.ticket.get_absolute_url(),
                dedupe_key=f"goodwill:{offer.pk}:decided",
            )
    return offer
