"""``kundig scheduler``: each periodic job is enqueued once per period."""

from __future__ import annotations

import datetime as dt
import io
import signal
import subprocess
import threading
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from kundig.core import scheduler
from kundig.core.models import ScheduledRun
from kundig.ops.tests.processes import kundig_argv, kundig_env, migrated_data_dir, query

# In the middle of a minute, so that ten seconds later is the same period.
NOON = dt.datetime(2026, 3, 2, 12, 0, 20, tzinfo=dt.UTC)


def _enqueued() -> Counter:
    return Counter(DBTaskResult.objects.values_list("task_path", flat=True))


def _every_job_once() -> Counter:
    return Counter(job.task_path for job in scheduler.jobs())


@pytest.mark.django_db
def test_two_ticks_in_the_same_period_enqueue_each_job_once():
    first = scheduler.tick(NOON)
    second = scheduler.tick(NOON + dt.timedelta(seconds=10))

    assert len(first) == len(scheduler.jobs()) > 0
    assert second == []
    assert _enqueued() == _every_job_once()
    assert ScheduledRun.objects.count() == len(scheduler.jobs())


@pytest.mark.django_db
def test_the_next_period_enqueues_the_job_again():
    minutely = next(
        j for j in scheduler.jobs() if j.interval == dt.timedelta(minutes=1)
    )
    scheduler.tick(NOON)

    keys = scheduler.tick(NOON + dt.timedelta(minutes=1))

    assert minutely.period_key(NOON + dt.timedelta(minutes=1)) in keys
    assert _enqueued()[minutely.task_path] == 2


@pytest.mark.django_db
def test_scheduler_once_prints_what_it_enqueued():
    out = io.StringIO()

    call_command("scheduler", "--once", stdout=out)
    call_command("scheduler", "--once", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == len(scheduler.jobs())
    assert all(line.startswith("enqueued ") for line in lines)


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_enqueue_each_job_once():
    if connection.vendor == "sqlite":
        pytest.skip("threads cannot share the in-memory test database; see the "
                    "process test below for SQLite")  # fmt: skip
    barrier = threading.Barrier(4)
    keys: list[str] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            barrier.wait(timeout=10)
            keys.extend(scheduler.tick(NOON))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(keys) == sorted(j.period_key(NOON) for j in scheduler.jobs())
    assert _enqueued() == _every_job_once()


# --- real processes -------------------------------------------------------------------


def _away_from_a_minute_boundary() -> None:
    """Wait until the processes started next share the current minute."""
    while time.time() % 60 > 45:
        time.sleep(0.5)


def _counts(data_dir) -> Counter:
    rows = query(data_dir, "SELECT task_path FROM django_tasks_database_dbtaskresult")
    return Counter(path for (path,) in rows)


@pytest.mark.django_db
def test_schedulers_in_several_processes_enqueue_each_job_once(tmp_path):
    data_dir = migrated_data_dir(tmp_path)
    _away_from_a_minute_boundary()

    processes = [
        subprocess.Popen(
            [*kundig_argv(), "scheduler", "--once"],
            env=kundig_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]

    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    printed = [line for out, _ in outputs for line in out.splitlines()]
    assert len(printed) == len(scheduler.jobs())
    assert _counts(data_dir) == _every_job_once()


@pytest.mark.django_db
def test_the_scheduler_loop_ticks_and_stops_on_sigterm(tmp_path):
    data_dir = migrated_data_dir(tmp_path)
    _away_from_a_minute_boundary()
    process = subprocess.Popen(
        [*kundig_argv(), "scheduler"],
        env=kundig_env(data_dir, KUNDIG_SCHEDULER_TICK="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _counts(data_dir):
            time.sleep(0.2)
        time.sleep(2.5)  # a few more ticks, all in the same period

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        process.kill()

    assert process.returncode == 0, output
    assert "Scheduler stopped" in output
    assert _counts(data_dir) == _every_job_once()
