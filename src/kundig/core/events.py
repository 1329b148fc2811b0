"""Domain events: facts written in the transaction that caused them, handled after.

A service calls :func:`emit` inside its transaction. After commit the
``events_dispatch`` task hands each event to the handlers registered with
:func:`handles`. A handler runs in its own savepoint together with the marker
row that records it ran, so a retry or a second worker never repeats it.

A handler registered with ``batch=True`` takes a list of events: the events
of one dispatch batch it handles, in one savepoint with their markers, so a
mass event (a scan finding 100,000 inactive customers) costs a handler a
few queries per batch, not per event. If the batch fails, the handler takes
the events again one at a time, so one bad event holds back only itself.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from . import bulk
from .models import DomainEvent, HandledEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BATCH_SIZE = 500

Handler = Callable[[DomainEvent], None]
BatchHandler = Callable[[list[DomainEvent]], None]
_handlers: dict[str, list[tuple[str, Callable]]] = defaultdict(list)
_batch_handlers: set[str] = set()  # keys of handlers that take a list


def handles(*event_names: str, batch: bool = False) -> Callable:
    """Register the decorated function as a handler of ``event_names``.

    ``batch``: the function takes a list of events (all of one dispatch
    batch it handles) instead of one event.
    """

    def register(func):
        key = f"{func.__module__}.{func.__qualname__}"
        for name in event_names:
            if all(existing != key for existing, _ in _handlers[name]):
                _handlers[name].append((key, func))
        if batch:
            _batch_handlers.add(key)
        return func

    return register


def unregister(func: Callable) -> None:
    key = f"{func.__module__}.{func.__qualname__}"
    for name in list(_handlers):
        _handlers[name] = [(k, f) for k, f in _handlers[name] if k != key]
    _batch_handlers.discard(key)


def handlers_for(name: str) -> list[tuple[str, Handler]]:
    return list(_handlers.get(name, ()))


_historical: ContextVar[bool] = ContextVar("kundig_historical_events", default=False)


@contextlib.contextmanager
def historical() -> Iterator[None]:
    """Mark the events emitted inside as history, not news.

    Imports and pull syncs record facts that happened long ago; their events
    carry ``"historical": true`` so that playbooks do not answer a 2024 order
    with a confirmation mail. Handlers that keep figures or mirror data treat
    them like any other event.
    """
    token = _historical.set(True)
    try:
        yield
    finally:
        _historical.reset(token)


def is_historical(event: DomainEvent) -> bool:
    return bool((event.payload or {}).get("historical"))


def emit(name: str, subject=None, /, *, actor=None, **payload) -> DomainEvent:
    """Record the event ``name`` about ``subject`` in the current transaction."""
    if _historical.get():
        payload["historical"] = True
    event = DomainEvent.objects.create(
        name=name,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        payload=payload,
        actor=actor if actor is not None and actor.pk else None,
    )
    _request_dispatch()
    return event


def emit_many(events, /, *, actor=None) -> int:
    """Record many events at once: ``(name, subject_type, subject_id, payload)``.

    For paths that record thousands of facts in one transaction (the order
    import). The events are the same as :func:`emit` writes; handlers cannot
    tell them apart. Returns how many were written.
    """
    events = list(events)
    if not events:
        return 0
    now = timezone.now()
    actor_id = actor.pk if actor is not None and actor.pk else None
    if _historical.get():
        events = [(n, t, i, {**p, "historical": True}) for n, t, i, p in events]
    bulk.insert(
        DomainEvent,
        ("name", "subject_type", "subject_id", "payload", "actor_id",
         "occurred_at", "attempts", "last_error"),
        [(name, subject_type, subject_id, payload, actor_id, now, 0, "")
         for name, subject_type, subject_id, payload in events],
    )  # fmt: skip
    _request_dispatch()
    return len(events)


def _request_dispatch() -> None:
    on_commit_once(_enqueue_dispatch)


def on_commit_once(func: Callable[[], None]) -> None:
    """Run ``func`` after the current transaction commits, once however often asked.

    For "there is new work, wake a worker": one job per committed transaction
    is enough. Django drops the callbacks of a rolled-back savepoint from
    ``run_on_commit``, so looking there (rather than keeping our own flag)
    stays right when a savepoint fails.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        registered is func for _, registered, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(func)


def _enqueue_dispatch() -> None:
    from .tasks import events_dispatch

    events_dispatch.enqueue()


def dispatch_pending(*, limit: int | None = None) -> int:
    """Hand undispatched events to their handlers; return how many were finished."""
    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            batch = list(
                DomainEvent.objects.filter(
                    dispatched_at__isnull=True, attempts__lt=MAX_ATTEMPTS
                )
                .select_for_update(skip_locked=True)
                .order_by("id")[:BATCH_SIZE]
            )
            if not batch:
                break
            handled = set(
                HandledEvent.objects.filter(event__in=batch).values_list(
                    "event_id", "handler"
                )
            )
            failed = _dispatch_batched(batch, handled)
            finished = []
            for event in batch:
                if _dispatch_one(event, handled) and event.pk not in failed:
                    finished.append(event.pk)
            DomainEvent.objects.filter(pk__in=finished).update(
                dispatched_at=timezone.now()
            )
            done += len(finished)
            if len(finished) < len(batch):
                # Failed events wait for the next run; don't spin on them now.
                break
    return done


def _dispatch_batched(
    batch: list[DomainEvent], handled: set[tuple[int, str]]
) -> set[int]:
    """Run the batch handlers on ``batch``; return the events one of them failed."""
    todo: dict[str, tuple[Callable, list[DomainEvent]]] = {}
    for event in batch:
        for key, handler in handlers_for(event.name):
            if key in _batch_handlers and (event.pk, key) not in handled:
                todo.setdefault(key, (handler, []))[1].append(event)
    failed: set[int] = set()
    for key, (handler, events) in todo.items():
        try:
            with transaction.atomic():
                bulk.insert_objects(
                    [HandledEvent(event=event, handler=key) for event in events]
                )
                handler(events)
        except Exception:
            if len(events) == 1:
                failed |= _run_alone(key, handler, events[0])
                continue
            logger.warning(
                "Batch handler %s failed on %d events; taking them one at a time",
                key,
                len(events),
                exc_info=True,
            )
            for event in events:
                failed |= _run_alone(key, handler, event)
        handled.update((e.pk, key) for e in events if e.pk not in failed)
    return failed


def _run_alone(key: str, handler: Callable, event: DomainEvent) -> set[int]:
    """Run a batch handler on one event; return {its id} if it failed."""
    try:
        with transaction.atomic():
            HandledEvent.objects.create(event=event, handler=key)
            handler([event])
    except Exception as exc:
        _note_failure(event, key, exc)
        return {event.pk}
    return set()


def _note_failure(event: DomainEvent, key: str, exc: Exception) -> None:
    logger.exception("Handler %s failed on event %s", key, event.pk)
    DomainEvent.objects.filter(pk=event.pk).update(
        attempts=event.attempts + 1, last_error=f"{key}: {exc!r}"[:2000]
    )


def _dispatch_one(event: DomainEvent, handled: set[tuple[int, str]]) -> bool:
    ok = True
    for key, handler in handlers_for(event.name):
        if (event.pk, key) in handled or key in _batch_handlers:
            continue
        try:
            with transaction.atomic():
                HandledEvent.objects.create(event=event, handler=key)
                handler(event)
        except Exception as exc:
            ok = False
            _note_failure(event, key, exc)
    return ok
