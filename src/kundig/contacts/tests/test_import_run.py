"""Running imports in the worker: chunks, crashes, stale jobs, cleanup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kundig.contacts import services as contact_services
from kundig.contacts.importing import runner, services
from kundig.contacts.importing.models import ImportJob
from kundig.contacts.models import Contact, ContactEmail
from kundig.core import scheduler

from .importing import new_job, run, run_worker, speaks_english

ROWS = [["Nachname", "E-Mail"]] + [
    [f"Kunde {n}", f"kunde{n}@example.de"] for n in range(1, 11)
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def marketing_user(marketing_user):
    return speaks_english(marketing_user)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(runner, "CHUNK_SIZE", 3)


def crash_on_call(monkeypatch, n: int):
    """Make the n-th contact_create kill the worker, as a SIGKILL would."""
    real = contact_services.contact_create
    calls = {"n": 0}

    def create(**kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(contact_services, "contact_create", create)


def test_queueing_enqueues_the_task_in_the_same_transaction(marketing_user):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    job.refresh_from_db()
    task = DBTaskResult.objects.get(id=job.task_id)
    assert (job.status, task.status, task.args_kwargs["args"]) == (
        "queued",
        "READY",
        [job.pk],
    )


def test_the_worker_runs_the_import(marketing_user):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.cursor, job.total_rows, job.created_count) == (
        "done",
        10,
        10,
        10,
    )
    assert job.created_by.notifications.filter(title__contains="finished").exists()


def test_a_long_import_hands_the_worker_back_between_slices(
    marketing_user, small_chunks
):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    runner.import_job_run(job_id=job.pk, time_slice=dt.timedelta(0))
    job.refresh_from_db()
    assert (job.status, job.cursor, job.created_count) == ("queued", 3, 3)
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.cursor, job.created_count) == ("done", 10, 10)
    assert Contact.objects.count() == 10


def test_a_killed_worker_resumes_from_its_cursor_without_losing_or_doubling_rows(
    marketing_user, small_chunks, monkeypatch
):
    # given a worker that dies in the middle of the third chunk (row 8)
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    crash_on_call(monkeypatch, 8)
    with pytest.raises(SystemExit):
        runner.import_job_run(job_id=job.pk)
    monkeypatch.undo()
    monkeypatch.setattr(runner, "CHUNK_SIZE", 3)
    job.refresh_from_db()
    # then the two committed chunks are in, the half-done third is not
    assert (job.status, job.cursor, job.created_count) == ("running", 6, 6)
    assert Contact.objects.count() == 6
    # and a second task does not touch the job while its lease looks alive
    assert runner.import_job_run(job_id=job.pk)["ran"] is False
    # when the stale job is picked up again
    later = timezone.now() + runner.STALE_AFTER + dt.timedelta(minutes=1)
    assert runner.import_jobs_requeue_stale(now=later) == 1
    run_worker()
    # then every row is there exactly once and the counts are exact
    job.refresh_from_db()
    assert (job.status, job.cursor, job.created_count, job.failed_count) == (
        "done",
        10,
        10,
        0,
    )
    assert job.requeues == 1
    assert Contact.objects.count() == 10
    assert ContactEmail.objects.values("email").distinct().count() == 10


def test_a_job_that_keeps_dying_is_given_up(marketing_user):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    ImportJob.objects.filter(pk=job.pk).update(
        status="running", lease="x", requeues=runner.MAX_REQUEUES
    )
    later = timezone.now() + runner.STALE_AFTER + dt.timedelta(minutes=1)
    assert runner.import_jobs_requeue_stale(now=later) == 0
    job.refresh_from_db()
    assert job.status == "failed"
    assert "stopped 5 times" in job.error


def test_a_queued_job_waiting_for_a_busy_worker_is_left_alone(marketing_user):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    later = timezone.now() + runner.STALE_AFTER + dt.timedelta(minutes=1)
    assert runner.import_jobs_requeue_stale(now=later) == 0
    assert DBTaskResult.objects.count() == 1


def test_a_cancelled_import_stops_and_keeps_what_it_did(marketing_user, small_chunks):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    runner.import_job_run(job_id=job.pk, time_slice=dt.timedelta(0))
    services.import_job_cancel(job=job, actor=marketing_user)
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.cursor) == ("cancelled", 3)
    assert Contact.objects.count() == 3


def test_a_cancelled_dry_run_returns_to_the_mapping(marketing_user):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="dry_run")
    job = services.import_job_cancel(job=job, actor=marketing_user)
    assert (job.status, job.can_change_mapping) == ("new", True)


def test_files_and_error_rows_are_deleted_some_days_after_the_import(marketing_user):
    done = run(new_job(marketing_user, [["E-Mail"], ["kaputt@"]]))
    running = new_job(marketing_user, ROWS)
    services.import_job_queue(job=running, actor=marketing_user, phase="import")
    path = done.file.path
    assert done.row_errors.exists()
    later = timezone.now() + runner.KEEP_FILES_FOR + dt.timedelta(hours=1)
    assert runner.import_jobs_purge(now=later) == 1
    done.refresh_from_db()
    assert (done.file.name, done.purged_at) == ("", later)
    assert not done.row_errors.exists()
    import os

    assert not os.path.exists(path)
    running.refresh_from_db()
    assert running.file


def test_the_periodic_jobs_are_registered():
    names = {job.name for job in scheduler.jobs()}
    assert {"contacts.imports_requeue_stale", "contacts.imports_purge"} <= names


def test_a_user_who_lost_the_right_to_import_does_not_run_it(marketing_user):
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    marketing_user.role = "sales"
    marketing_user.save()
    runner.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert Contact.objects.count() == 0


def test_the_job_task_recovered_after_a_crash_takes_over_at_once(
    marketing_user, small_chunks, monkeypatch
):
    """The worker puts a dead worker's task back in the queue (ADR 0003)."""
    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    crash_on_call(monkeypatch, 5)
    run_worker()  # the worker records the task as failed; a SIGKILL leaves it running
    monkeypatch.undo()
    monkeypatch.setattr(runner, "CHUNK_SIZE", 3)
    job.refresh_from_db()
    assert (job.status, job.cursor) == ("running", 3)
    # a stray second task leaves the job alone while its heartbeat is fresh
    assert runner.import_job_run(job_id=job.pk, task_id="another")["ran"] is False
    # the worker's recovery: the lost task is ready again
    DBTaskResult.objects.filter(id=job.task_id).update(status="READY")
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.cursor, job.created_count) == ("done", 10, 10)
    assert Contact.objects.count() == 10
