"""``kundig worker``: run background tasks from every queue."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django_tasks_db.compat import TASKS_LOGGER

from kundig.ops.worker import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RECOVER_EVERY,
    DEFAULT_TIME_LIMIT,
    LOST_GRACE,
    KundigWorker,
    is_database_backend,
    worker_id_new,
)


def _seconds(value: str) -> float:
    number = float(value)
    if not number >= 0:  # also rejects nan
        raise ValueError(value)
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Run background tasks from all queues until stopped. SIGTERM or Ctrl+C "
        "lets the current task finish; a second one stops it at once. Tasks "
        "left running by a worker that died are queued again (see "
        "docs/adr/0003-lost-background-tasks.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            default="*",
            help="Queues to work on, comma-separated; '*' for all (default).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the tasks that are due, then exit.",
        )
        parser.add_argument(
            "--max-tasks",
            type=_positive_int,
            help="Exit after this many tasks (a supervisor then starts a fresh one).",
        )
        parser.add_argument(
            "--interval",
            type=_seconds,
            default=1.0,
            help="Seconds to wait when no task is due (default: 1).",
        )
        parser.add_argument(
            "--time-limit",
            type=_seconds,
            default=DEFAULT_TIME_LIMIT,
            help="Stop a task that runs longer than this many seconds and mark "
            "it failed; 0 for no limit (default: %(default)s).",
        )
        parser.add_argument(
            "--lost-after",
            type=_seconds,
            help="Treat a task as lost once it has been running this many seconds, "
            "whichever worker runs it (default: time limit + "
            f"{LOST_GRACE}; 0: only tasks of workers known to be dead).",
        )
        parser.add_argument(
            "--max-attempts",
            type=_positive_int,
            default=DEFAULT_MAX_ATTEMPTS,
            help="How often a lost task is tried in all before it is marked "
            "failed (default: %(default)s).",
        )
        parser.add_argument(
            "--recover-every",
            type=_seconds,
            default=DEFAULT_RECOVER_EVERY,
            help="Seconds between looks for lost tasks (default: %(default)s; "
            "0: only at start).",
        )
        parser.add_argument(
            "--worker-id",
            help="This worker's id, unique among all workers "
            "(default: host:pid:random).",
        )
        parser.add_argument(
            "--backend",
            default="default",
            help="The task backend to work for (default: %(default)s).",
        )

    def handle(self, *args, **options):
        backend = options["backend"]
        try:
            database_backend = is_database_backend(backend)
        except Exception as exc:
            raise CommandError(f"--backend: {exc}") from None
        if not database_backend:
            raise CommandError(
                f"The task backend {backend!r} does not keep tasks in the database; "
                "kundig worker runs the django-tasks-db backend only. Run the "
                "worker of the backend you configured in KUNDIG_TASKS_BACKEND."
            )
        worker_id = options["worker_id"] or worker_id_new()
        if len(worker_id) > 64:
            raise CommandError("--worker-id: at most 64 characters.")
        time_limit = options["time_limit"]
        lost_after = options["lost_after"]
        if lost_after is None:
            lost_after = time_limit + LOST_GRACE if time_limit else 0
        self._configure_logging(options["verbosity"])

        worker = KundigWorker(
            queue_names=options["queue"].split(","),
            excluded_queue_names=[],
            interval=options["interval"],
            batch=options["batch"],
            backend_name=backend,
            startup_delay=not options["batch"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            time_limit=time_limit,
            lost_after=timedelta(seconds=lost_after) if lost_after else None,
            max_attempts=options["max_attempts"],
            recover_every=options["recover_every"],
        )
        previous = {
            sig: signal.getsignal(sig)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
        }
        worker.configure_signals()
        try:
            worker.run()
        finally:
            # Matters when called in-process (tests, other commands).
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in (TASKS_LOGGER, "django_tasks_db", "kundig.worker"):
            logging.getLogger(name).setLevel(level)
