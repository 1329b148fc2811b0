"""``kundig scheduler``: enqueue the periodic jobs, one per period."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from kundig.core import scheduler


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs (event dispatch, reminders, housekeeping, …) every "
        "KUNDIG_SCHEDULER_TICK seconds until stopped. Each job runs once per "
        "period however many schedulers run, so a spare one does no harm."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run a single tick, print what it enqueued and exit (e.g. from cron).",
        )

    def handle(self, *args, **options):
        if options["once"]:
            for key in scheduler.tick():
                self.stdout.write(f"enqueued {key}")
            return
        jobs = scheduler.jobs()
        self.stdout.write(
            f"Scheduler: {len(jobs)} periodic jobs, a tick every "
            f"{settings.KUNDIG_SCHEDULER_TICK} s. Stop with Ctrl+C or SIGTERM."
        )
        scheduler.Scheduler(tick_seconds=settings.KUNDIG_SCHEDULER_TICK).run()
