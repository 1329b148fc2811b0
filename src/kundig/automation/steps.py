"""The steps a playbook can take: checked when saved, done (or described) when run.

Each step's effect is written in the same transaction as its log row
(:class:`~kundig.automation.models.RunStep`, unique per run and step), so a
step that was done is never done again, and one that crashed is redone whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.activity.services import task_create
from kundig.contacts.choices import ChangeSource, LifecycleStage
from kundig.contacts.services import (
    contact_set_stage,
    contacts_bulk_assign,
    contacts_bulk_tag,
)
from kundig.core.events import emit
from kundig.core.models import User
from kundig.core.text import one_line
from kundig.integrations.outgoing import services as webhooks
from kundig.integrations.outgoing.models import Subscription
from kundig.messaging import services as messaging
from kundig.messaging.merge import Recipient
from kundig.messaging.models import MessageTemplate
from kundig.service import services as service

from . import conditions
from .choices import TRIGGERS, StepKind, StepOutcome

MAX_STEPS = 30
MAX_WAIT_DAYS = 366


# --- Checking -------------------------------------------------------------------------


def clean(steps) -> list[dict]:
    """Return ``steps`` normalised; raise ValidationError naming each bad step."""
    if not isinstance(steps, list) or not steps:
        raise ValidationError({"steps": [_("Add at least one step.")]})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": [_("At most %(n)d steps.") % {"n": MAX_STEPS}]})
    out, problems = [], []
    for number, step in enumerate(steps, start=1):
        where = _("Step %(n)d") % {"n": number}
        if not isinstance(step, dict) or step.get("kind") not in StepKind.values:
            problems.append(_("%(where)s: choose what it does.") % {"where": where})
            continue
        try:
            out.append(_clean_one(step, number=number, total=len(steps), where=where))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise ValidationError({"steps": problems})
    return out


def _int(value, *, low: int, high: int, name: str) -> int:
    try:
        number = int(str(value).strip() or 0)
    except (TypeError, ValueError):
        raise ValueError(
            _("%(name)s must be a whole number.") % {"name": name}
        ) from None
    if not low <= number <= high:
        raise ValueError(
            _("%(name)s must lie between %(low)d and %(high)d.")
            % {"name": name, "low": low, "high": high}
        )
    return number


def _clean_one(step: dict, *, number: int, total: int, where: str) -> dict:
    kind = step["kind"]
    if kind == StepKind.SEND_TEMPLATE:
        key = str(step.get("template") or "").strip()
        if not MessageTemplate.objects.filter(key=key).exists():
            raise ValueError(_("choose a message template."))
        return {
            "kind": kind,
            "template": key,
            "offer_text": one_line(step.get("offer_text") or "")[:300],
            "offer_code": one_line(step.get("offer_code") or "")[:60],
        }
    if kind == StepKind.WAIT:
        days = _int(step.get("days", 0), low=0, high=MAX_WAIT_DAYS, name=_("Days"))
        hours = _int(step.get("hours", 0), low=0, high=23, name=_("Hours"))
        until = str(step.get("until_event") or "").strip()
        if until and until not in TRIGGERS:
            raise ValueError(_("unknown event %(name)s.") % {"name": until})
        if not days and not hours:
            raise ValueError(_("wait at least an hour."))
        return {"kind": kind, "days": days, "hours": hours, "until_event": until}
    if kind == StepKind.CREATE_TASK:
        title = one_line(step.get("title") or "")
        if not title:
            raise ValueError(_("give the task a title."))
        assignee = str(step.get("assignee") or "owner")
        if (
            assignee != "owner"
            and not User.objects.filter(
                pk=_int(assignee, low=1, high=2**31, name=_("Assignee")), is_active=True
            ).exists()
        ):
            raise ValueError(_("choose an active user or the owner."))
        return {
            "kind": kind,
            "title": title[:200],
            "description": str(step.get("description") or "")[:2000],
            "due_days": _int(step.get("due_days", 1), low=0, high=90, name=_("Due in")),
            "assignee": assignee,
        }
    if kind == StepKind.ASSIGN_OWNER:
        user = _int(step.get("user"), low=1, high=2**31, name=_("Owner"))
        if not User.objects.filter(pk=user, is_active=True).exists():
            raise ValueError(_("choose an active user."))
        return {"kind": kind, "user": user}
    if kind in (StepKind.ADD_TAG, StepKind.REMOVE_TAG):
        tag = one_line(step.get("tag") or "")[:50]
        if not tag:
            raise ValueError(_("name the tag."))
        return {"kind": kind, "tag": tag}
    if kind == StepKind.SET_STAGE:
        stage = step.get("stage")
        if stage not in LifecycleStage.values:
            raise ValueError(_("choose a lifecycle stage."))
        return {"kind": kind, "stage": stage}
    if kind == StepKind.SEND_SURVEY:
        return {"kind": kind}
    if kind == StepKind.WEBHOOK:
        subscription = _int(
            step.get("subscription"), low=1, high=2**31, name=_("Webhook")
        )
        if not Subscription.objects.filter(pk=subscription).exists():
            raise ValueError(_("choose an outgoing webhook."))
        return {"kind": kind, "subscription": subscription}
    # Branch: go on if the conditions hold, else jump forward (0: stop).
    found, problems = conditions.clean(step.get("conditions"), where=where)
    if problems:
        raise ValueError("; ".join(p.split(": ", 1)[-1] for p in problems))
    if not found:
        raise ValueError(_("add at least one condition."))
    goto = _int(step.get("else_goto", 0), low=0, high=total, name=_("Else go to step"))
    if goto and goto <= number:
        raise ValueError(_("a branch can only jump forward."))
    return {"kind": kind, "conditions": found, "else_goto": goto}


# --- Describing -----------------------------------------------------------------------


def describe(step: dict) -> str:
    """One line saying what the step does, for people."""
    kind = step["kind"]
    if kind == StepKind.SEND_TEMPLATE:
        text = _("Send “%(template)s”") % {"template": step["template"]}
        if step.get("offer_text"):
            text += _(" with the offer “%(offer)s”") % {"offer": step["offer_text"]}
        return text
    if kind == StepKind.WAIT:
        parts = []
        if step["days"]:
            parts.append(_("%(n)d days") % {"n": step["days"]})
        if step["hours"]:
            parts.append(_("%(n)d hours") % {"n": step["hours"]})
        text = _("Wait %(time)s") % {"time": " ".join(parts)}
        if step.get("until_event"):
            text += _(" or until %(event)s") % {"event": TRIGGERS[step["until_event"]]}
        return text
    if kind == StepKind.CREATE_TASK:
        who = (
            _("the owner")
            if step["assignee"] == "owner"
            else str(User.objects.filter(pk=step["assignee"]).first() or "?")
        )
        return _("Task “%(title)s” for %(who)s, due in %(n)d days") % {
            "title": step["title"],
            "who": who,
            "n": step["due_days"],
        }
    if kind == StepKind.ASSIGN_OWNER:
        return _("Make %(user)s the owner") % {
            "user": User.objects.filter(pk=step["user"]).first() or "?"
        }
    if kind == StepKind.ADD_TAG:
        return _("Add the tag “%(tag)s”") % {"tag": step["tag"]}
    if kind == StepKind.REMOVE_TAG:
        return _("Remove the tag “%(tag)s”") % {"tag": step["tag"]}
    if kind == StepKind.SET_STAGE:
        return _("Move to the stage %(stage)s") % {
            "stage": LifecycleStage(step["stage"]).label
        }
    if kind == StepKind.SEND_SURVEY:
        return _("Ask for a recommendation score (0 to 10)")
    if kind == StepKind.WEBHOOK:
        return _("Call the webhook %(name)s") % {
            "name": Subscription.objects.filter(pk=step["subscription"]).first() or "?"
        }
    text = " · ".join(conditions.describe(c) for c in step["conditions"])
    if step["else_goto"]:
        return _("If %(conditions)s go on, else go to step %(n)d") % {
            "conditions": text,
            "n": step["else_goto"],
        }
    return _("If %(conditions)s go on, else stop") % {"conditions": text}


# --- Doing ----------------------------------------------------------------------------


@dataclass
class Result:
    outcome: str
    detail: str = ""
    goto: int | None = None  # 0-based index of the next step; None: the next one
    stop: bool = False
    wait_until: dt.datetime | None = None
    wait_for: str = ""


def wait_deadline(step: dict, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=step["days"], hours=step["hours"])


def perform(
    run, index: int, step: dict, *, dry: bool = False, now: dt.datetime | None = None
) -> Result:
    """Do step ``index`` of ``run`` (or, ``dry``, say what it would do)."""
    kind = step["kind"]
    if kind == StepKind.WAIT:
        until = wait_deadline(step, now or timezone.now())
        detail = _("Waits until %(when)s") % {
            "when": timezone.localtime(until).strftime("%d.%m.%Y %H:%M")
        }
        if step.get("until_event"):
            detail += _(" or until %(event)s") % {"event": step["until_event"]}
        return Result(
            StepOutcome.WAITING,
            detail,
            wait_until=until,
            wait_for=step.get("until_event", ""),
        )
    if kind == StepKind.SEND_TEMPLATE and not dry:
        return send_many([run], index, step)[0]
    contact = (
        apps.get_model("contacts", "Contact")
        .objects.select_related("owner")
        .get(pk=run.contact_id)
    )
    if kind == StepKind.SEND_TEMPLATE:
        return _send_dry(run, step, contact)
    if kind == StepKind.BRANCH:
        facts = conditions.facts(
            contact.pk, order_id=run.refs.get("order"), woken_by=run.woken_by
        )
        if conditions.holds(step["conditions"], facts):
            return Result(StepOutcome.DONE, _("The conditions hold: going on."))
        if step["else_goto"]:
            return Result(
                StepOutcome.SKIPPED,
                _("The conditions do not hold: going to step %(n)d.")
                % {"n": step["else_goto"]},
                goto=step["else_goto"] - 1,
            )
        return Result(
            StepOutcome.SKIPPED, _("The conditions do not hold: stopping."), stop=True
        )
    if dry:
        return Result(StepOutcome.DONE, _("Would: %(what)s") % {"what": describe(step)})
    contacts = apps.get_model("contacts", "Contact").objects.filter(pk=contact.pk)
    if kind == StepKind.CREATE_TASK:
        assignee = (
            contact.owner
            if step["assignee"] == "owner"
            else User.objects.filter(pk=step["assignee"], is_active=True).first()
        )
        if assignee is None:
            return Result(
                StepOutcome.FAILED, _("The contact has no owner to give the task to.")
            )
        try:
            task = task_create(
                actor=None,
                title=step["title"],
                description=step.get("description", ""),
                due_at=timezone.now() + dt.timedelta(days=step["due_days"]),
                assignee=assignee,
                contact=contact,
            )
        except ValidationError as exc:
            return Result(StepOutcome.FAILED, "; ".join(exc.messages))
        return Result(
            StepOutcome.DONE,
            _("Task “%(title)s” for %(user)s")
            % {"title": task.title, "user": assignee},
        )
    if kind == StepKind.ASSIGN_OWNER:
        owner = User.objects.filter(pk=step["user"], is_active=True).first()
        if owner is None:
            return Result(StepOutcome.FAILED, _("The user is no longer active."))
        contacts_bulk_assign(actor=None, contacts=contacts, owner=owner)
        return Result(StepOutcome.DONE, _("Owner: %(user)s") % {"user": owner})
    if kind in (StepKind.ADD_TAG, StepKind.REMOVE_TAG):
        add = [step["tag"]] if kind == StepKind.ADD_TAG else []
        remove = [step["tag"]] if kind == StepKind.REMOVE_TAG else []
        contacts_bulk_tag(actor=None, contacts=contacts, add=add, remove=remove)
        return Result(StepOutcome.DONE, describe(step))
    if kind == StepKind.SET_STAGE:
        if contact.lifecycle_stage == step["stage"]:
            return Result(StepOutcome.SKIPPED, _("Already in that stage."))
        contact_set_stage(
            actor=None, contact=contact, stage=step["stage"], source=ChangeSource.SYSTEM
        )
        return Result(StepOutcome.DONE, describe(step))
    if kind == StepKind.SEND_SURVEY:
        return _ask_recommendation(run, index, contact)
    subscription = Subscription.objects.filter(pk=step["subscription"]).first()
    if subscription is None or not subscription.is_active:
        return Result(StepOutcome.FAILED, _("The webhook is gone or switched off."))
    event = emit(
        "playbook.webhook",
        run,
        contact_id=contact.pk,
        playbook=run.playbook.name,
        step=index + 1,
        refs=run.refs,
    )
    webhooks.delivery_create_for(subscription=subscription, event=event)
    return Result(StepOutcome.DONE, describe(step))


def _ask_recommendation(run, index: int, contact) -> Result:
    survey = service.nps_survey_send(contact=contact, key=f"run:{run.pk}:step:{index}")
    if survey is None:
        return Result(StepOutcome.SKIPPED, _("Already asked in this run."))
    if survey.problem:
        return Result(StepOutcome.FAILED, survey.problem)
    return Result(StepOutcome.DONE, _("Recommendation survey sent"))


def _offer(step: dict) -> dict:
    # Always set, so a template's {% if offer.text %} works without an offer.
    return {
        "offer": {
            "text": step.get("offer_text", ""),
            "code": step.get("offer_code", ""),
        }
    }


def _template_gone(step: dict) -> Result:
    return Result(
        StepOutcome.FAILED,
        _("The template %(key)s is gone.") % {"key": step["template"]},
    )


def _send_dry(run, step: dict, contact) -> Result:
    template = MessageTemplate.objects.filter(key=step["template"]).first()
    if template is None:
        return _template_gone(step)
    try:
        rendered = messaging.template_preview(
            template, contact=contact, refs=run.refs, extra=_offer(step)
        )
    except messaging.RenderError as exc:
        return Result(StepOutcome.FAILED, str(exc))
    return Result(
        StepOutcome.DONE,
        _("Would send “%(subject)s”") % {"subject": rendered.subject},
    )


def send_many(runs: list, index: int, step: dict) -> list[Result]:
    """Queue send step ``index`` for each of ``runs`` (of one playbook) at once.

    One :func:`~kundig.messaging.services.messages_queue` call renders and
    queues them all: merge data, consent and blocked addresses are read once
    for the whole group. Each run's message has its own idempotency key, the
    same as when it goes alone, so a step done again finds its message.
    """
    template = MessageTemplate.objects.filter(key=step["template"]).first()
    if template is None:
        return [_template_gone(step) for _run in runs]
    extra = _offer(step)  # shared: messages_queue copies it where it adds to it
    playbook = runs[0].playbook
    queued = messaging.messages_queue(
        template=template,
        outgoing=[
            messaging.Outgoing(
                key=f"playbook:{run.playbook_id}:{run.cause}:{run.contact_id}:{index}",
                recipient=Recipient(run.contact_id, run.refs or {}, extra),
            )
            for run in runs
        ],
        origin=_("Playbook “%(name)s”, step %(n)d")
        % {"name": playbook.name, "n": index + 1},
    )
    return [
        Result(StepOutcome.FAILED, one.error)
        if one.message is None
        else Result(
            StepOutcome.DONE,
            _("Queued “%(subject)s” to %(email)s")
            % {"subject": one.message.subject, "email": one.message.to_email},
        )
        for one in queued
    ]
