"""The scheduler: enqueues periodic jobs, one per period, however many schedulers run.

Each app registers its jobs with :func:`every`. A tick computes each job's
current period key (``job:period-number``) and inserts it into
``ScheduledRun``; only the insert that succeeds enqueues the job, in the same
transaction, so a second scheduler or a restart never doubles a run.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from .models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval: timedelta
    task_path: str

    def period_key(self, now: datetime) -> str:
        period = int(now.timestamp() // self.interval.total_seconds())
        return f"{self.name}:{period}"

    def task(self):
        from django.utils.module_loading import import_string

        return import_string(self.task_path)


_jobs: dict[str, PeriodicJob] = {}


def every(interval: timedelta, name: str, task_path: str) -> PeriodicJob:
    """Register ``task_path`` (a dotted path to a task) to run every ``interval``."""
    job = PeriodicJob(name=name, interval=interval, task_path=task_path)
    _jobs[name] = job
    return job


def jobs() -> list[PeriodicJob]:
    return list(_jobs.values())


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every job whose current period has no run yet; return their keys."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs():
        key = job.period_key(now)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(key=key, job=job.name, enqueued_at=now)
                job.task().enqueue()
        except IntegrityError:
            continue  # this period's run exists already
        enqueued.append(key)
    return enqueued


def prune_runs(*, older_than: timedelta = timedelta(days=7)) -> int:
    deleted, _ = ScheduledRun.objects.filter(
        enqueued_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


class Scheduler:
    """The loop behind ``kundig scheduler``."""

    def __init__(self, *, tick_seconds: int) -> None:
        self.tick_seconds = tick_seconds
        self.running = True

    def stop(self, *_args) -> None:
        self.running = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("Scheduler started: %s", ", ".join(j.name for j in jobs()))
        while self.running:
            close_old_connections()
            try:
                for key in tick():
                    logger.info("Enqueued %s", key)
            except Exception:
                logger.exception("Scheduler tick failed; trying again next tick")
            close_old_connections()
            deadline = time.monotonic() + self.tick_seconds
            while self.running and time.monotonic() < deadline:
                time.sleep(0.2)
        logger.info("Scheduler stopped")
