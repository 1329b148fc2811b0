"""Playbooks: saving them as versions, starting runs on events, advancing runs.

A domain event starts a run of every active playbook triggered by it, for the
event's contact, if the playbook's conditions hold; the run is unique per
playbook, cause and contact, so a redelivered event starts nothing new. A run
advances one step per transaction (the step's effect and its log row commit
together); a wait parks it until its time or its awaited event.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.events import is_historical
from kundig.core.models import DomainEvent
from kundig.core.permissions import require
from kundig.core.text import one_line

from . import conditions, steps
from .choices import TRIGGERS, RunStatus, StepOutcome
from .models import Playbook, PlaybookVersion, Run, RunStep

logger = logging.getLogger(__name__)

# What an event's subject is, as a record a message can be about.
SUBJECT_REFS = {
    "commerce.order": "order",
    "commerce.shipment": "shipment",
    "commerce.revocation": "revocation",
    "commerce.return": "ret",
    "commerce.refund": "refund",
}
# Steps one advance may take before it yields to other runs.
STEPS_PER_ADVANCE = 50


# --- Playbooks ------------------------------------------------------------------------


@transaction.atomic
def playbook_save(
    *,
    actor,
    playbook: Playbook | None = None,
    name: str,
    trigger: str,
    description: str = "",
    conditions_: list | None = None,
    steps_: list,
    is_active: bool | None = None,
    key: str | None = None,
) -> Playbook:
    """Create a playbook or save a new version of it; running contacts keep theirs."""
    require(actor, Permission.MESSAGING)
    errors: dict[str, list[str]] = {}
    name = one_line(name)
    if not name:
        errors["name"] = [_("Give the playbook a name.")]
    elif len(name) > 150:
        errors["name"] = [_("At most %(n)d characters.") % {"n": 150}]
    if trigger not in TRIGGERS:
        errors["trigger"] = [_("Choose the event that starts the playbook.")]
    found, problems = conditions.clean(conditions_, where=_("Playbook"))
    if problems:
        errors["conditions"] = problems
    try:
        cleaned = steps.clean(steps_)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = []
    if errors:
        raise ValidationError(errors)
    creating = playbook is None
    playbook = playbook or Playbook(key=key or None)
    before = (
        {}
        if creating
        else {
            "name": playbook.name,
            "trigger": playbook.trigger,
            "is_active": playbook.is_active,
            "version": playbook.version.number if playbook.version_id else 0,
        }
    )
    playbook.name = name
    playbook.trigger = trigger
    playbook.description = description.strip()[:2000]
    if is_active is not None:
        playbook.is_active = is_active
    playbook.save()
    current = playbook.version
    if current is None or current.steps != cleaned or current.conditions != found:
        number = (current.number if current else 0) + 1
        playbook.version = PlaybookVersion.objects.create(
            playbook=playbook,
            number=number,
            conditions=found,
            steps=cleaned,
            created_by=actor if actor is not None and actor.pk else None,
        )
        playbook.save(update_fields=["version", "updated_at"])
    if creating:
        audit_created(playbook, actor=actor)
    else:
        audit_changes(
            playbook,
            actor=actor,
            before=before,
            after={
                "name": playbook.name,
                "trigger": playbook.trigger,
                "is_active": playbook.is_active,
                "version": playbook.version.number,
            },
        )
    return playbook


@transaction.atomic
def playbook_set_active(*, actor, playbook: Playbook, active: bool) -> Playbook:
    """Pause or resume a playbook. Paused: no new runs; running ones go on."""
    require(actor, Permission.MESSAGING)
    if playbook.is_active != active:
        audit_changes(
            playbook,
            actor=actor,
            before={"is_active": playbook.is_active},
            after={"is_active": active},
        )
        playbook.is_active = active
        playbook.save(update_fields=["is_active", "updated_at"])
    return playbook


@transaction.atomic
def run_stop(*, actor, run: Run) -> Run:
    """Stop one contact's run; what it did stays done."""
    require(actor, Permission.MESSAGING)
    Run.objects.filter(
        pk=run.pk, status__in=[RunStatus.RUNNING, RunStatus.WAITING]
    ).update(status=RunStatus.STOPPED, finished_at=timezone.now(), wake_at=None)
    run.refresh_from_db()
    return run


# --- Starting runs --------------------------------------------------------------------


def contact_of(event: DomainEvent) -> int | None:
    if event.subject_type == "contacts.contact":
        return event.subject_id
    value = (event.payload or {}).get("contact_id")
    return int(value) if value else None


def refs_of(event: DomainEvent) -> dict[str, int]:
    refs: dict[str, int] = {}
    kind = SUBJECT_REFS.get(event.subject_type)
    if kind and event.subject_id:
        refs[kind] = event.subject_id
    order_id = (event.payload or {}).get("order_id")
    if order_id:
        refs.setdefault("order", int(order_id))
    return refs


def runs_start(event: DomainEvent) -> list[int]:
    """Start the runs ``event`` calls for, and wake the runs waiting for it."""
    contact_id = contact_of(event)
    if contact_id is None or is_historical(event):
        # An imported 2024 order neither starts a playbook nor counts as the
        # reaction a waiting run hopes for.
        return []
    woken = _wake_waiting(contact_id, event.name)
    started = []
    for playbook in Playbook.objects.filter(
        is_active=True, trigger=event.name
    ).select_related("version"):
        if playbook.version is None:
            continue
        refs = refs_of(event)
        if playbook.version.conditions:
            facts = conditions.facts(contact_id, order_id=refs.get("order"))
            if not conditions.holds(playbook.version.conditions, facts):
                continue
        try:
            with transaction.atomic():
                run = Run.objects.create(
                    playbook=playbook,
                    version=playbook.version,
                    contact_id=contact_id,
                    cause=f"event:{event.pk}",
                    event_name=event.name,
                    refs=refs,
                )
        except IntegrityError:
            continue  # this event started this playbook for this contact already
        started.append(run.pk)
    for pk in started + woken:
        transaction.on_commit(lambda pk=pk: _enqueue_advance(pk))
    return started + woken


def _wake_waiting(contact_id: int, event_name: str) -> list[int]:
    waiting = list(
        Run.objects.filter(
            contact_id=contact_id, status=RunStatus.WAITING, waiting_for=event_name
        ).values_list("pk", flat=True)
    )
    if waiting:
        Run.objects.filter(pk__in=waiting, status=RunStatus.WAITING).update(
            wake_at=timezone.now(), woken_by=event_name
        )
    return waiting


def _enqueue_advance(run_id: int) -> None:
    from .tasks import run_advance_task

    run_advance_task.enqueue(run_id)


# --- Advancing runs -------------------------------------------------------------------


def run_advance(run_id: int) -> str:
    """Take the run's due steps, one transaction each; return its status after."""
    for _i in range(STEPS_PER_ADVANCE):
        with transaction.atomic():
            run = (
                Run.objects.select_for_update(skip_locked=True)
                .select_related("version", "playbook")
                .filter(pk=run_id)
                .first()
            )
            if run is None:
                return "busy"  # another worker has it, or it is gone
            if not _step_once(run):
                return run.status
    transaction.on_commit(lambda: _enqueue_advance(run_id))
    return run.status


def _step_once(run: Run) -> bool:
    """Take one step of ``run`` (locked); return whether there is more to do now."""
    now = timezone.now()
    if run.status == RunStatus.WAITING:
        if run.wake_at and run.wake_at > now:
            return False
        RunStep.objects.filter(run=run, index=run.step).update(
            detail=(
                _("The event %(event)s arrived.") % {"event": run.woken_by}
                if run.woken_by
                else _("Waited.")
            ),
            outcome=StepOutcome.DONE,
        )
        run.status = RunStatus.RUNNING
        run.step += 1
        run.wake_at = None
        run.waiting_for = ""
        run.save(update_fields=["status", "step", "wake_at", "waiting_for"])
        return True
    if run.status != RunStatus.RUNNING:
        return False
    plan = run.version.steps
    if run.step >= len(plan):
        _finish(run, RunStatus.DONE)
        return False
    index, step = run.step, plan[run.step]
    try:
        with transaction.atomic():
            result = steps.perform(run, index, step)
    except Exception as exc:
        logger.exception("Playbook run %s failed at step %s", run.pk, index + 1)
        result = steps.Result(
            StepOutcome.FAILED, one_line(str(exc))[:400] or exc.__class__.__name__
        )
    RunStep.objects.create(
        run=run,
        index=index,
        kind=step["kind"],
        outcome=result.outcome,
        detail=one_line(result.detail)[:500],
        at=now,
    )
    if result.outcome == StepOutcome.WAITING:
        run.status = RunStatus.WAITING
        run.wake_at = result.wait_until
        run.waiting_for = result.wait_for
        run.woken_by = ""
        run.save(update_fields=["status", "wake_at", "waiting_for", "woken_by"])
        return False
    if result.stop:
        _finish(run, RunStatus.DONE)
        return False
    run.step = result.goto if result.goto is not None else index + 1
    run.save(update_fields=["step"])
    return True


def _finish(run: Run, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])


def runs_wake_due(*, limit: int = 1000, budget_seconds: float = 50) -> int:
    """Advance the waiting runs whose time has come; return how many were taken."""
    deadline = time.monotonic() + budget_seconds
    done = 0
    while time.monotonic() < deadline:
        due = list(
            Run.objects.filter(status=RunStatus.WAITING, wake_at__lte=timezone.now())
            .order_by("wake_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not due:
            break
        for pk in due:
            run_advance(pk)
            done += 1
        if len(due) < limit:
            break
    return done


# --- Dry runs -------------------------------------------------------------------------


@dataclass
class DryStep:
    number: int
    description: str
    outcome: str
    detail: str


def playbook_dry_run(*, actor, playbook: Playbook, contact, refs=None) -> list[DryStep]:
    """Walk the playbook for ``contact`` without doing anything; say what would happen.

    Messages are rendered (so template errors show), conditions evaluated,
    waits passed over as if their time had come without the awaited event.
    """
    require(actor, Permission.MESSAGING)
    version = playbook.version
    if version is None:
        return []
    run = Run(
        playbook=playbook,
        version=version,
        contact=contact,
        cause="dry-run",
        event_name=playbook.trigger,
        refs=refs or {},
    )
    out: list[DryStep] = []
    if version.conditions:
        facts = conditions.facts(contact.pk, order_id=run.refs.get("order"))
        if not conditions.holds(version.conditions, facts):
            out.append(
                DryStep(
                    0,
                    _("Playbook conditions"),
                    StepOutcome.SKIPPED,
                    _("The contact does not meet the playbook's conditions: no run."),
                )
            )
            return out
    index = 0
    seen = 0
    while index < len(version.steps) and seen <= len(version.steps):
        seen += 1
        step = version.steps[index]
        result = steps.perform(run, index, step, dry=True)
        out.append(
            DryStep(index + 1, steps.describe(step), result.outcome, result.detail)
        )
        if result.stop:
            break
        index = result.goto if result.goto is not None else index + 1
    return out
