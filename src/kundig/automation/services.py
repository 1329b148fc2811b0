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
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.contacts.selectors import contacts_existing
from kundig.core import bulk
from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.events import is_historical
from kundig.core.models import DomainEvent
from kundig.core.permissions import require
from kundig.core.text import one_line

from . import conditions, steps
from .choices import TRIGGERS, RunStatus, StepKind, StepOutcome
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
# Runs advanced together: one task, one transaction per step of them.
ADVANCE_BATCH = 500
# A group whose transaction failed is tried again after this.
RETRY_AFTER = timedelta(minutes=1)


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


def run_continue(*, actor, run: Run) -> Run:
    """End a waiting run's wait now, as if its time had come, and take its next steps.

    The awaited event counts as not arrived. For trying a playbook out, and
    for when the answer is known already.
    """
    require(actor, Permission.MESSAGING)
    with transaction.atomic():
        locked = (
            Run.objects.select_for_update(of=("self",))
            .filter(pk=run.pk, status=RunStatus.WAITING)
            .first()
        )
        if locked is None:
            raise ValidationError(_("Only a waiting run can go on early."))
        if not locked.woken_by:  # (else its event arrived: it goes on with it)
            _wait_end_early(locked, actor)
    runs_advance_many([run.pk])
    run.refresh_from_db()
    return run


def _wait_end_early(run: Run, actor) -> None:
    """Close ``run``'s wait step as continued by ``actor`` and set it going."""
    RunStep.objects.filter(run=run, index=run.step).update(
        outcome=StepOutcome.DONE,
        detail=one_line(
            _("Continued early by %(user)s.") % {"user": actor or _("Kundig")}
        )[:500],
    )
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        step=run.step + 1,
        wake_at=None,
        waiting_for="",
        woken_by="",
    )


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
    return runs_start_many([event])


def runs_start_many(events: list[DomainEvent]) -> list[int]:
    """Start the runs ``events`` call for and wake the runs waiting for them.

    In a fixed number of queries for all the events (a dispatch batch of a
    mass event such as the inactivity scan's): the playbooks, their
    conditions' facts, the runs already started, one insert. The runs are
    advanced after commit, many to a task.
    """
    live = []
    for event in events:
        contact_id = contact_of(event)
        if contact_id is not None and not is_historical(event):
            # An imported 2024 order neither starts a playbook nor counts as
            # the reaction a waiting run hopes for.
            live.append((event, contact_id))
    # A contact deleted (or merged away) since its event: nothing to start,
    # and a run pointing at it would fail the whole batch at commit.
    existing = contacts_existing(contact_id for _e, contact_id in live)
    live = [(event, contact_id) for event, contact_id in live if contact_id in existing]
    if not live:
        return []
    woken = _wake_waiting({(contact_id, event.name) for event, contact_id in live})
    playbooks: dict[str, list[Playbook]] = {}
    for playbook in Playbook.objects.filter(
        is_active=True, trigger__in={event.name for event, _c in live}
    ).select_related("version"):
        if playbook.version is not None:
            playbooks.setdefault(playbook.trigger, []).append(playbook)
    wanted = [
        (playbook, event, contact_id, refs_of(event))
        for event, contact_id in live
        for playbook in playbooks.get(event.name, ())
    ]
    facts = conditions.facts_many(
        (contact_id, refs.get("order"))
        for playbook, _e, contact_id, refs in wanted
        if playbook.version.conditions
    )
    wanted = [
        (playbook, event, contact_id, refs)
        for playbook, event, contact_id, refs in wanted
        if not playbook.version.conditions
        or (
            (contact_id, refs.get("order")) in facts
            and conditions.holds(
                playbook.version.conditions, facts[(contact_id, refs.get("order"))]
            )
        )
    ]
    started = _runs_create(
        [
            Run(
                playbook=playbook,
                version=playbook.version,
                contact_id=contact_id,
                cause=f"event:{event.pk}",
                event_name=event.name,
                refs=refs,
            )
            for playbook, event, contact_id, refs in wanted
        ]
    )
    _advance_later(started + woken)
    return started + woken


def _runs_create(runs: list[Run]) -> list[int]:
    """Insert the runs not started yet (once per playbook, cause and contact)."""
    if not runs:
        return []
    existing = set(
        Run.objects.filter(
            playbook__in={run.playbook_id for run in runs},
            cause__in={run.cause for run in runs},
        ).values_list("playbook_id", "cause", "contact_id")
    )
    new: dict[tuple, Run] = {}
    for run in runs:
        key = (run.playbook_id, run.cause, run.contact_id)
        if key not in existing:
            new.setdefault(key, run)
    if not new:
        return []
    try:
        with transaction.atomic():
            bulk.insert_objects(list(new.values()))
    except IntegrityError:
        # Another worker started some of them in the meantime: one by one.
        created = []
        for run in new.values():
            run.pk = None
            try:
                with transaction.atomic():
                    run.save(force_insert=True)
            except IntegrityError:
                continue
            created.append(run)
        return [run.pk for run in created]
    return [run.pk for run in new.values()]


def _wake_waiting(waits: set[tuple[int, str]]) -> list[int]:
    """Wake the runs waiting for these (contact, event name) pairs."""
    by_name: dict[str, list[int]] = {}
    for pk, contact_id, waiting_for in Run.objects.filter(
        contact_id__in={contact_id for contact_id, _n in waits},
        waiting_for__in={name for _c, name in waits},
        status=RunStatus.WAITING,
    ).values_list("pk", "contact_id", "waiting_for"):
        if (contact_id, waiting_for) in waits:
            by_name.setdefault(waiting_for, []).append(pk)
    now = timezone.now()
    for name, ids in by_name.items():
        Run.objects.filter(pk__in=ids, status=RunStatus.WAITING).update(
            wake_at=now, woken_by=name
        )
    return [pk for ids in by_name.values() for pk in ids]


def _advance_later(run_ids: list[int], *, delay: timedelta | None = None) -> None:
    """Advance these runs after commit, ADVANCE_BATCH to a task."""
    for start in range(0, len(run_ids), ADVANCE_BATCH):
        chunk = run_ids[start : start + ADVANCE_BATCH]
        transaction.on_commit(lambda chunk=chunk: _enqueue_advance(chunk, delay))


def _enqueue_advance(run_ids: list[int], delay: timedelta | None = None) -> None:
    from .tasks import runs_advance_task

    task = runs_advance_task
    if delay is not None:
        if not task.get_backend().supports_defer:
            return  # no later without a queue that waits; an admin looks at the log
        task = task.using(run_after=timezone.now() + delay)
    task.enqueue(run_ids)


# --- Advancing runs -------------------------------------------------------------------


def run_advance(run_id: int) -> str:
    """Take the run's due steps; return its status after."""
    runs_advance_many([run_id])
    return Run.objects.filter(pk=run_id).values_list("status", flat=True).first() or ""


def runs_advance_many(run_ids: list[int]) -> int:
    """Take the due steps of these runs; return how many steps were taken.

    Runs at the same step of the same playbook version take it together, in
    one transaction per ADVANCE_BATCH runs: the step's effect for all of
    them (for a send step, one render-and-queue of all their messages) and
    their log rows commit together. A crash rolls the whole group back and
    the task, run again, takes the step again; a run another worker holds
    is left to that worker.
    """
    pending = list(dict.fromkeys(run_ids))
    taken = 0
    for _round in range(STEPS_PER_ADVANCE):
        if not pending:
            return taken
        more: list[int] = []
        for start in range(0, len(pending), ADVANCE_BATCH):
            chunk = pending[start : start + ADVANCE_BATCH]
            try:
                with transaction.atomic():
                    runs = list(
                        Run.objects.select_for_update(skip_locked=True, of=("self",))
                        .select_related("version", "playbook")
                        .filter(pk__in=chunk)
                        .order_by("pk")
                    )
                    stepped, again = _step_together(runs)
            except Exception:
                # Nothing of the group was written (a run deleted meanwhile,
                # the database gone for a moment): try it again later, and
                # go on with the other groups now.
                logger.exception(
                    "Playbook runs %s… failed; trying again later", chunk[:5]
                )
                _advance_later(chunk, delay=RETRY_AFTER)
                continue
            taken += stepped
            more += again
        pending = more
    if pending:
        # Runs with this many steps at once yield to others, and go on later.
        _advance_later(pending)
    return taken


def _step_together(runs: list[Run]) -> tuple[int, list[int]]:
    """Take one step of each of ``runs`` (locked); return (steps taken, runs with
    more to do now)."""
    now = timezone.now()
    _wake(
        [
            run
            for run in runs
            if run.status == RunStatus.WAITING
            and not (run.wake_at and run.wake_at > now)
        ]
    )
    groups: dict[tuple[int, int], list[Run]] = {}
    done = []
    for run in runs:
        if run.status != RunStatus.RUNNING:
            continue
        if run.step >= len(run.version.steps):
            done.append(run)
        else:
            groups.setdefault((run.version_id, run.step), []).append(run)
    _finish(done, RunStatus.DONE, now)
    again = []
    for (_version, index), members in groups.items():
        step = members[0].version.steps[index]
        results = _perform_together(members, index, step, now)
        again += _record(members, index, step, results, now)
    return sum(len(members) for members in groups.values()), again


def _wake(runs: list[Run]) -> None:
    """Close the wait step of ``runs`` whose time came or whose event arrived."""
    if not runs:
        return
    closed: dict[tuple[int, str], list[int]] = {}
    for run in runs:
        closed.setdefault((run.step, run.woken_by), []).append(run.pk)
        run.status = RunStatus.RUNNING
        run.step += 1
        run.wake_at = None
        run.waiting_for = ""
    for (index, woken_by), ids in closed.items():
        RunStep.objects.filter(run_id__in=ids, index=index).update(
            detail=(
                _("The event %(event)s arrived.") % {"event": woken_by}
                if woken_by
                else _("Waited.")
            ),
            outcome=StepOutcome.DONE,
        )
    _update(runs, ("status", "step", "wake_at", "waiting_for"))


def _perform_together(
    runs: list[Run], index: int, step: dict, now
) -> list[steps.Result]:
    """Do step ``index`` for each of ``runs``: a send step for all at once."""
    if step["kind"] == StepKind.SEND_TEMPLATE and len(runs) > 1:
        try:
            with transaction.atomic():
                return steps.send_many(runs, index, step)
        except Exception:
            logger.exception(
                "Playbook step %s failed for %d runs at once; one at a time",
                index + 1,
                len(runs),
            )
    results = []
    for run in runs:
        try:
            with transaction.atomic():
                results.append(steps.perform(run, index, step, now=now))
        except Exception as exc:
            logger.exception("Playbook run %s failed at step %s", run.pk, index + 1)
            results.append(
                steps.Result(
                    StepOutcome.FAILED,
                    one_line(str(exc))[:400] or exc.__class__.__name__,
                )
            )
    return results


def _record(
    runs: list[Run], index: int, step: dict, results: list[steps.Result], now
) -> list[int]:
    """Log step ``index`` of ``runs`` and move them on; return those with more to do."""
    bulk.insert_objects(
        [
            RunStep(
                run=run,
                index=index,
                kind=step["kind"],
                outcome=result.outcome,
                detail=one_line(result.detail)[:500],
                at=now,
            )
            for run, result in zip(runs, results, strict=True)
        ]
    )
    waiting, stopped, moved = [], [], []
    for run, result in zip(runs, results, strict=True):
        if result.outcome == StepOutcome.WAITING:
            run.status = RunStatus.WAITING
            run.wake_at = result.wait_until
            run.waiting_for = result.wait_for
            run.woken_by = ""
            waiting.append(run)
        elif result.stop:
            stopped.append(run)
        else:
            run.step = result.goto if result.goto is not None else index + 1
            # Past the last step: done now, not in another round.
            (stopped if run.step >= len(run.version.steps) else moved).append(run)
    _update(waiting, ("status", "wake_at", "waiting_for", "woken_by"))
    _finish(stopped, RunStatus.DONE, now)
    _update(moved, ("step",))
    return [run.pk for run in moved]


def _update(runs: list[Run], fields: tuple[str, ...]) -> None:
    """Write ``fields`` of ``runs``: one UPDATE per distinct set of values."""
    same: dict[tuple, list[int]] = {}
    for run in runs:
        same.setdefault(tuple(getattr(run, f) for f in fields), []).append(run.pk)
    for values, ids in same.items():
        Run.objects.filter(pk__in=ids).update(**dict(zip(fields, values, strict=True)))


def _finish(runs: list[Run], status: str, now) -> None:
    for run in runs:
        run.status = status
        run.finished_at = now
    _update(runs, ("status", "finished_at", "step"))


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
        runs_advance_many(due)
        done += len(due)
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
