"""The background worker behind ``kundig worker``, and the recovery of lost tasks.

django-tasks-db claims a task by setting it ``RUNNING``, stamping ``started_at``
and appending the worker's id to ``worker_ids``; it keeps no heartbeat. A
worker killed while it runs a task (SIGKILL, out of memory, power cut) leaves
that task ``RUNNING`` for ever. Kundig's worker closes the gap
(docs/adr/0003-lost-background-tasks.md):

* every task runs under a time limit (one hour by default), so no task of a
  living worker stays ``RUNNING`` longer than that;
* worker ids read ``host:pid:random``, so a worker can tell that another one
  on the same host has died;
* at start and then every minute, a worker looks for lost tasks — ``RUNNING``
  whose worker is known to be dead, or ``RUNNING`` for longer than the time
  limit plus a grace period — and puts each back in the queue, or marks it
  failed with :class:`WorkerLost` once it has been tried ``max_attempts`` times.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType

from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus, task_backends, task_finished
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("kundig.worker")

DEFAULT_TIME_LIMIT = 3600
# Covers the moments between the time limit striking and the task being marked
# failed, and clocks of different hosts that disagree a little.
LOST_GRACE = 300
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RECOVER_EVERY = 60


class WorkerLost(Exception):
    """The worker running a task stopped before it finished the task."""


class TaskTimeLimitExceeded(BaseException):
    """A task ran longer than the worker's time limit.

    A ``BaseException``, like ``KeyboardInterrupt``, so that a task's own
    ``except Exception`` cannot swallow it and run on past the limit.
    """


WORKER_LOST_PATH = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


# --- Worker ids -----------------------------------------------------------------------


def _host() -> str:
    return socket.gethostname().replace(":", "-")[:40] or "localhost"


def worker_id_new() -> str:
    """Return a fresh worker id, ``host:pid:random`` (at most 64 characters)."""
    return f"{_host()}:{os.getpid()}:{get_random_string(8)}"


def worker_is_dead(worker_id: str, *, me: str | None = None) -> bool:
    """Return whether the worker ``worker_id`` is known to have stopped.

    Only a worker on this host, with an id made by :func:`worker_id_new`, can be
    known dead: its process is gone, or it is this very process (which runs
    one worker) under an older id — a container restarted with the same pid.
    Anything else (another host, another id scheme, a reused pid) is not known
    dead; the time rule in :func:`tasks_recover_lost` covers it.
    """
    host, _, rest = worker_id.partition(":")
    pid_text, _, _suffix = rest.partition(":")
    if host != _host() or not pid_text.isdigit() or worker_id == me:
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, under another user
        return False
    return False


# --- Recovery -------------------------------------------------------------------------


@dataclass
class Recovery:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed)


def tasks_recover_lost(
    *,
    backend_name: str = "default",
    lost_after: timedelta | None = timedelta(seconds=DEFAULT_TIME_LIMIT + LOST_GRACE),
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    me: str | None = None,
    now: datetime | None = None,
) -> Recovery:
    """Re-queue, or fail, the tasks left ``RUNNING`` by a worker that stopped.

    A ``RUNNING`` task is lost when its last worker is known dead
    (:func:`worker_is_dead`) or when it started more than ``lost_after`` ago
    (``None``: never by age alone). A lost task that has been claimed fewer
    than ``max_attempts`` times goes back to ``READY``, keeping its
    ``worker_ids`` as the record of its attempts; otherwise it becomes
    ``FAILED`` with :class:`WorkerLost` as its error, as if it had raised it.

    Each change is a conditional update on the ``started_at`` that was read, so
    a task that finished or was claimed again in the meantime is left alone,
    and two workers recovering at once change a task only once.
    """
    now = now or timezone.now()
    recovery = Recovery()
    running = (
        DBTaskResult.objects.running()
        .filter(backend_name=backend_name)
        .only("id", "worker_ids", "started_at", "task_path")
    )
    for row in running:
        worker_id = row.worker_ids[-1] if row.worker_ids else ""
        too_old = (
            lost_after is not None
            and row.started_at is not None
            and now - row.started_at > lost_after
        )
        if not (too_old or (worker_id and worker_is_dead(worker_id, me=me))):
            continue
        attempts = len(row.worker_ids)
        unchanged = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        if attempts < max_attempts:
            if unchanged.update(status=TaskResultStatus.READY):
                recovery.requeued.append(str(row.pk))
                logger.warning(
                    "Task %s (%s) lost its worker %s; queued again (attempt %d of %d)",
                    row.pk,
                    row.task_path,
                    worker_id or "?",
                    attempts + 1,
                    max_attempts,
                )
            continue
        reason = (
            f"{WORKER_LOST_PATH}: worker {worker_id or '?'} stopped while running "
            f"this task, attempt {attempts} of {max_attempts}; not tried again.\n"
        )
        if unchanged.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=WORKER_LOST_PATH,
            traceback=reason,
        ):
            recovery.failed.append(str(row.pk))
            logger.error(
                "Task %s (%s) lost its worker %s on its last attempt; marked failed",
                row.pk,
                row.task_path,
                worker_id or "?",
            )
            _announce_finished(row.pk)
    return recovery


def _announce_finished(pk) -> None:
    """Send ``task_finished`` for a task failed by recovery, as the worker would."""
    try:
        result = DBTaskResult.objects.get(pk=pk)
        sender = type(result.task.get_backend())
        task_finished.send(sender=sender, task_result=result.task_result)
    except Exception:  # the task's code may be gone; the row says enough
        logger.exception("Could not announce the failure of task %s", pk)


# --- The worker -----------------------------------------------------------------------


class KundigWorker(Worker):
    """django-tasks-db's worker, with a time limit per task and lost-task recovery."""

    def __init__(
        self,
        *,
        time_limit: float,
        lost_after: timedelta | None,
        max_attempts: int,
        recover_every: float,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.time_limit = time_limit
        self.lost_after = lost_after
        self.max_attempts = max_attempts
        self.recover_every = recover_every
        self._stop_recovering = threading.Event()

    def recover(self) -> Recovery:
        return tasks_recover_lost(
            backend_name=self.backend_name,
            lost_after=self.lost_after,
            max_attempts=self.max_attempts,
            me=self.worker_id,
        )

    def run(self) -> None:
        self._recover_safely()
        if not self.batch and self.recover_every:
            threading.Thread(
                target=self._recover_periodically, name="recover-lost", daemon=True
            ).start()
        try:
            super().run()
        finally:
            self._stop_recovering.set()

    def _recover_safely(self) -> None:
        try:
            self.recover()
        except Exception:  # e.g. the database is busy; running tasks matters more
            logger.exception("Recovering lost tasks failed; trying again later")

    def _recover_periodically(self) -> None:
        while not self._stop_recovering.wait(self.recover_every):
            close_old_connections()
            self._recover_safely()
            connection.close()  # this thread's own connection

    def run_task(self, db_task_result: DBTaskResult) -> None:
        armed = bool(self.time_limit) and hasattr(signal, "setitimer")
        if armed:
            previous = signal.signal(signal.SIGALRM, self._time_is_up)
            signal.setitimer(signal.ITIMER_REAL, self.time_limit)
        try:
            super().run_task(db_task_result)
        finally:
            if armed:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    def _time_is_up(self, signum: int, frame: FrameType | None) -> None:
        raise TaskTimeLimitExceeded(
            f"The task ran longer than the worker's time limit, {self.time_limit:g} s."
        )


def is_database_backend(backend_name: str) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends[backend_name], DatabaseBackend)
