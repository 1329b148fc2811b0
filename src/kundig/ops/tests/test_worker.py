"""``kundig worker``: runs tasks, limits their time, recovers tasks of dead workers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kundig.ops.tests import tasks
from kundig.ops.tests.processes import (
    kundig_argv,
    kundig_env,
    migrated_data_dir,
    query,
    run_kundig,
)
from kundig.ops.worker import (
    WORKER_LOST_PATH,
    TaskTimeLimitExceeded,
    tasks_recover_lost,
    worker_id_new,
    worker_is_dead,
)

# The worker loop calls close_old_connections(), which must not end a test's
# transaction: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

TIME_LIMIT_PATH = f"{TaskTimeLimitExceeded.__module__}.TaskTimeLimitExceeded"


def _run_worker(*args: str) -> None:
    call_command("worker", "--batch", "--verbosity", "0", *args)


def test_the_worker_runs_an_enqueued_task_in_batch_mode():
    result = tasks.add.enqueue(2, 3)

    _run_worker()

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == 5
    assert len(row.worker_ids) == 1


def test_the_worker_stops_a_task_at_its_time_limit_and_marks_it_failed():
    result = tasks.sleep.enqueue(30)
    started = time.monotonic()

    _run_worker("--time-limit", "0.5")

    assert time.monotonic() - started < 10
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "FAILED"
    assert row.exception_class_path == TIME_LIMIT_PATH
    assert "time limit" in row.traceback


def test_the_worker_restores_the_signal_handlers_it_replaced():
    before = signal.getsignal(signal.SIGTERM)

    _run_worker()

    assert signal.getsignal(signal.SIGTERM) is before


# --- lost tasks -----------------------------------------------------------------------


def _claimed(worker_id: str, *, started_ago: timedelta = timedelta(0), attempts=1):
    """Enqueue a task and make it look claimed by ``worker_id``, as db_worker does."""
    result = tasks.add.enqueue(1, 1)
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING",
        started_at=timezone.now() - started_ago,
        worker_ids=[f"earlier-{n}" for n in range(attempts - 1)] + [worker_id],
    )
    return DBTaskResult.objects.get(pk=result.id)


@pytest.fixture
def dead_worker_id() -> str:
    """Return the id a worker on this host had, whose process has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    host, _, _ = worker_id_new().partition(":")
    return f"{host}:{process.pid}:deadbeef"


@pytest.fixture
def live_worker_id():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    host, _, _ = worker_id_new().partition(":")
    yield f"{host}:{process.pid}:alive123"
    process.kill()
    process.wait()


def test_a_worker_on_this_host_whose_process_ended_is_dead(dead_worker_id):
    assert worker_is_dead(dead_worker_id)


def test_a_running_worker_on_this_host_is_not_dead(live_worker_id):
    assert not worker_is_dead(live_worker_id)


@pytest.mark.parametrize(
    "worker_id",
    ["elsewhere:1:abcdefgh", "0123456789abcdef0123456789abcdef", "", "x:y:z"],
)
def test_a_worker_elsewhere_or_of_unknown_kind_is_not_known_dead(worker_id):
    assert not worker_is_dead(worker_id)


def test_a_task_of_a_dead_worker_is_queued_again_and_then_completes(dead_worker_id):
    # given
    row = _claimed(dead_worker_id)

    # when
    recovery = tasks_recover_lost()

    # then
    assert recovery.requeued == [str(row.pk)]
    row.refresh_from_db()
    assert row.status == "READY"
    assert row.worker_ids == [dead_worker_id]  # the record of attempts stays

    _run_worker()
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert row.return_value == 2
    assert len(row.worker_ids) == 2


def test_the_worker_recovers_lost_tasks_when_it_starts(dead_worker_id):
    row = _claimed(dead_worker_id)

    _run_worker()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"


def test_a_task_of_a_living_worker_is_left_alone(live_worker_id):
    row = _claimed(live_worker_id, started_ago=timedelta(minutes=5))

    assert not tasks_recover_lost()
    _run_worker()

    row.refresh_from_db()
    assert row.status == "RUNNING"


def test_a_task_of_a_worker_elsewhere_is_lost_only_after_the_time_limit():
    recent = _claimed("elsewhere:4711:abcdefgh", started_ago=timedelta(minutes=59))
    old = _claimed("elsewhere:4712:abcdefgh", started_ago=timedelta(minutes=66))

    recovery = tasks_recover_lost(lost_after=timedelta(minutes=65))

    assert recovery.requeued == [str(old.pk)]
    recent.refresh_from_db()
    assert recent.status == "RUNNING"


def test_without_a_lost_after_only_dead_workers_count(dead_worker_id):
    old = _claimed("elsewhere:4712:abcdefgh", started_ago=timedelta(days=3))
    dead = _claimed(dead_worker_id)

    recovery = tasks_recover_lost(lost_after=None)

    assert recovery.requeued == [str(dead.pk)]
    old.refresh_from_db()
    assert old.status == "RUNNING"


def test_a_task_lost_on_its_last_attempt_is_marked_failed(dead_worker_id):
    row = _claimed(dead_worker_id, attempts=3)

    recovery = tasks_recover_lost(max_attempts=3)

    assert recovery.failed == [str(row.pk)]
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.finished_at is not None
    assert row.exception_class_path == WORKER_LOST_PATH
    assert dead_worker_id in row.traceback
    result = row.task_result
    assert result.errors[0].exception_class_path == WORKER_LOST_PATH


def test_recovering_twice_changes_a_task_once(dead_worker_id):
    _claimed(dead_worker_id)

    first, second = tasks_recover_lost(), tasks_recover_lost()

    assert len(first.requeued) == 1
    assert not second


def test_a_finished_task_is_never_touched(dead_worker_id):
    row = _claimed(dead_worker_id)
    DBTaskResult.objects.filter(pk=row.pk).update(
        status="SUCCESSFUL", finished_at=timezone.now()
    )

    assert not tasks_recover_lost(lost_after=timedelta(0))


# --- real processes -------------------------------------------------------------------


def _enqueue(data_dir, code: str) -> None:
    result = run_kundig("shell", "-c", code, data_dir=data_dir)
    assert result.returncode == 0, result.stderr


def _wait_for(path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.1)


def _task_rows(data_dir):
    return query(
        data_dir,
        "SELECT status, worker_ids, return_value"
        " FROM django_tasks_database_dbtaskresult",
    )


@pytest.mark.django_db(transaction=False)
def test_a_task_whose_worker_was_killed_runs_again_in_the_next_worker(tmp_path):
    # given a worker process busy with a task that sleeps on its first attempt
    data_dir = migrated_data_dir(tmp_path)
    marker = tmp_path / "first-attempt-started"
    _enqueue(
        data_dir,
        "from kundig.ops.tests.tasks import sleep_once; "
        f"sleep_once.enqueue({str(marker)!r})",
    )
    worker = subprocess.Popen(
        [*kundig_argv(), "worker"],
        env=kundig_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(marker)
    finally:
        # when it is killed hard
        worker.kill()
        worker.wait()
    [(status, _, _)] = _task_rows(data_dir)
    assert status == "RUNNING"

    # then the next worker finds the task lost, and runs it again
    result = run_kundig("worker", "--batch", data_dir=data_dir)

    assert result.returncode == 0, result.stderr
    [(status, worker_ids, return_value)] = _task_rows(data_dir)
    assert status == "SUCCESSFUL"
    assert return_value == '"second attempt"'
    assert str(worker.pid) in worker_ids
    assert "queued again (attempt 2 of 3)" in result.stderr


@pytest.mark.django_db(transaction=False)
def test_sigterm_lets_the_running_task_finish(tmp_path):
    data_dir = migrated_data_dir(tmp_path)
    marker = tmp_path / "started"
    _enqueue(
        data_dir,
        f"from kundig.ops.tests.tasks import sleep; sleep.enqueue(2, {str(marker)!r})",
    )
    worker = subprocess.Popen(
        [*kundig_argv(), "worker"],
        env=kundig_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(marker)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        worker.kill()

    assert worker.returncode == 0, output
    assert "shutting down gracefully" in output
    [(status, _, return_value)] = _task_rows(data_dir)
    assert (status, return_value) == ("SUCCESSFUL", '"slept"')


@pytest.mark.django_db(transaction=False)
def test_a_running_worker_looks_for_lost_tasks_again_and_again(
    tmp_path, dead_worker_id
):
    # given a worker that has started
    data_dir = migrated_data_dir(tmp_path)
    worker = subprocess.Popen(
        [*kundig_argv(), "worker", "--recover-every", "0.5", "--interval", "0.2"],
        env=kundig_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # when a task of a dead worker turns up later
        _enqueue(
            data_dir,
            "from django.db import transaction\n"
            "from django_tasks_db.models import DBTaskResult\n"
            "from django.utils import timezone\n"
            "from kundig.ops.tests.tasks import add\n"
            "with transaction.atomic():\n"
            "    r = add.enqueue(20, 22)\n"
            "    DBTaskResult.objects.filter(pk=r.id).update(status='RUNNING',"
            f" started_at=timezone.now(), worker_ids=[{dead_worker_id!r}])\n",
        )
        # then the worker recovers it and runs it, without a restart
        deadline = time.monotonic() + 30
        while _task_rows(data_dir)[0][0] != "SUCCESSFUL":
            assert time.monotonic() < deadline, _task_rows(data_dir)
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)

    [(_, worker_ids, return_value)] = _task_rows(data_dir)
    assert return_value == "42"
    assert dead_worker_id in worker_ids
    assert "queued again (attempt 2 of 3)" in output
