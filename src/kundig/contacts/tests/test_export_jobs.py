"""Large exports: confirmed, written by the worker in chunks, downloaded by their
creator only, identical to the immediate export, deleted after seven days."""

from __future__ import annotations

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kundig.contacts.jobs import export
from kundig.contacts.services import AddressData, contact_update
from kundig.core.jobs import runner
from kundig.core.models import CustomFieldDefinition, Job

# The worker closes connections between tasks, which must not end a test's
# transaction: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

EXPORT = reverse("contacts:contact_export")
QUERY = {"stage": "customer", "sort": "-name"}


def run_worker() -> None:
    call_command("worker", "--batch", "--verbosity", "0")


@pytest.fixture(autouse=True)
def small_limits(settings, monkeypatch, tmp_path):
    settings.KUNDIG_EXPORT_SYNC_LIMIT = 3
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(export, "CHUNK_SIZE", 2)


@pytest.fixture
def customers(sales_nord, make_contact):
    CustomFieldDefinition.objects.create(
        entity="contact", key="kundennummer", label="Kundennummer", field_type="text"
    )
    made = []
    for n in range(7):
        contact = make_contact(
            sales_nord,
            first_name="Jürgen",
            last_name=f'=HYPERLINK("{n}")' if n == 2 else f"Kunde {n}",
            phone="0151 23456789",
            lifecycle_stage="customer",
            custom={"kundennummer": f"K-{n}"},
        )
        contact_update(
            actor=sales_nord,
            contact=contact,
            addresses=[
                AddressData(street="Straße 1", postcode="01067", city="Dresden")
            ],
        )
        made.append(contact)
    make_contact(sales_nord, last_name="Lead", lifecycle_stage="lead")
    return made


def start_export(client, fmt="csv", **query):
    """Ask for the export, see the confirmation, start the job; return the job."""
    params = {"format": fmt, **(query or QUERY)}
    confirm = client.get(EXPORT, params)
    assert confirm.status_code == 200
    assert confirm.templates[0].name == "contacts/export_confirm.html"
    form = confirm.context
    response = client.post(EXPORT, {"query": form["query"], "format": form["format"]})
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    return job


def immediate(client, settings, fmt="csv", **query) -> bytes:
    settings.KUNDIG_EXPORT_SYNC_LIMIT = 5000
    response = client.get(EXPORT, {"format": fmt, **(query or QUERY)})
    settings.KUNDIG_EXPORT_SYNC_LIMIT = 3
    return b"".join(response.streaming_content)


def download(client, job):
    return client.get(reverse("core:job_download", args=[job.pk]))


def test_an_export_up_to_the_limit_is_still_downloaded_at_once(
    sales_nord, make_contact, client_for
):
    for _ in range(3):
        make_contact(sales_nord)

    response = client_for(sales_nord).get(EXPORT, {"format": "csv"})

    assert "attachment" in response["Content-Disposition"]
    assert not Job.objects.exists()


def test_a_large_csv_export_is_a_job_whose_file_equals_the_immediate_export(
    sales_nord, customers, client_for, settings
):
    client = client_for(sales_nord)
    job = start_export(client)
    assert job.status == "queued"

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 7, 7)
    response = download(client, job)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert job.file_name in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content == immediate(client, settings)
    assert b"Lead" not in content
    assert b"'=HYPERLINK" in content
    assert content.decode("utf-8-sig").splitlines()[1].split(";")[5] == "Kunde 6"
    assert job.file.name.startswith("exports/")
    assert os.listdir(settings.MEDIA_ROOT / "exports") == [
        os.path.basename(job.file.name)  # the working files are gone
    ]
    # in the creator's language, German by default
    assert sales_nord.notifications.filter(title__startswith="7 Kontakte").exists()


def test_a_large_xlsx_export_has_the_same_cells_as_the_immediate_one(
    sales_nord, customers, client_for, settings
):
    client = client_for(sales_nord)
    job = start_export(client, fmt="xlsx")

    run_worker()

    job.refresh_from_db()
    content = b"".join(download(client, job).streaming_content)

    def cells(data):
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        return [[(c.value, c.data_type, c.quotePrefix) for c in row] for row in sheet]

    background = cells(content)
    assert background == cells(immediate(client, settings, fmt="xlsx"))
    assert len(background) == 8
    assert job.file_name.endswith(".xlsx")


def test_a_killed_export_resumes_without_writing_a_chunk_twice(
    sales_nord, customers, client_for, settings, monkeypatch
):
    # given a worker that dies after writing the second chunk, before its commit
    client = client_for(sales_nord)
    job = start_export(client)
    real_commit = export.ExportJob.commit
    calls = {"n": 0}

    def dying_commit(self, job, work):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real_commit(self, job, work)

    monkeypatch.setattr(export.ExportJob, "commit", dying_commit)
    with pytest.raises(SystemExit):
        runner.job_run(job_id=job.pk)
    monkeypatch.setattr(export.ExportJob, "commit", real_commit)
    job.refresh_from_db()
    assert (job.status, job.cursor, job.done) == ("running", 2, 2)
    # when the stale job is picked up again
    later = timezone.now() + runner.STALE_AFTER + dt.timedelta(minutes=1)
    assert runner.jobs_requeue_stale(now=later) == 1
    run_worker()
    # then the file has every row once
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 7)
    content = b"".join(download(client, job).streaming_content)
    assert content == immediate(client, settings)


def test_records_the_creator_can_no_longer_see_are_left_out(
    sales_nord, sales_sued, customers, client_for
):
    client = client_for(sales_nord)
    job = start_export(client)
    runner.job_run(job_id=job.pk, time_slice=dt.timedelta(0))  # one chunk
    moved = customers[0]  # sorted last by -name: still to come
    type(moved).objects.filter(pk=moved.pk).update(
        owner=sales_sued, team=sales_sued.team
    )

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.counters) == (
        "done",
        7,
        6,
        {"skipped": 1},
    )
    content = b"".join(download(client, job).streaming_content).decode("utf-8-sig")
    assert "Kunde 0" not in content


def test_only_the_creator_can_download(
    sales_nord, manager_nord, admin, customers, client_for
):
    job = start_export(client_for(sales_nord))
    run_worker()

    assert (
        download(client_for(manager_nord), Job.objects.get(pk=job.pk)).status_code
        == 404
    )
    assert download(client_for(admin), job).status_code == 404
    assert download(client_for(sales_nord), job).status_code == 200


def test_an_unfinished_export_cannot_be_downloaded(sales_nord, customers, client_for):
    client = client_for(sales_nord)
    job = start_export(client)

    assert download(client, job).status_code == 404


def test_export_files_are_deleted_after_seven_days(
    sales_nord, customers, client_for, settings
):
    client = client_for(sales_nord)
    job = start_export(client)
    run_worker()
    job.refresh_from_db()
    path = settings.MEDIA_ROOT / job.file.name
    assert path.exists()

    assert runner.jobs_purge(now=timezone.now() + dt.timedelta(days=6))["files"] == 0
    assert path.exists()
    result = runner.jobs_purge(now=timezone.now() + dt.timedelta(days=8))

    assert result["files"] == 1
    assert not path.exists()
    job.refresh_from_db()
    assert (job.file.name, job.purged_at is not None) == ("", True)
    assert download(client, job).status_code == 404


def test_files_no_job_knows_of_are_deleted_after_seven_days(settings):
    folder = settings.MEDIA_ROOT / "exports"
    folder.mkdir()
    (folder / "left-behind.csv").write_text("x")

    runner.jobs_purge(now=timezone.now() + dt.timedelta(days=8))

    assert not (folder / "left-behind.csv").exists()


def test_the_export_needs_the_export_permission(
    read_only_nord, sales_nord, customers, client_for
):
    assert client_for(read_only_nord).get(EXPORT, {"format": "csv"}).status_code == 403
    assert client_for(read_only_nord).post(EXPORT, {"format": "csv"}).status_code == 403
    # and a creator who loses it gets neither the job done nor the file
    client = client_for(sales_nord)
    job = start_export(client)
    sales_nord.role = "read_only"
    sales_nord.save(update_fields=["role"])
    run_worker()
    job.refresh_from_db()
    assert job.status == "failed"
    assert download(client, job).status_code == 404


def test_the_periodic_jobs_are_registered():
    from kundig.core import scheduler

    names = {job.name for job in scheduler.jobs()}
    assert {"core.jobs_requeue_stale", "core.jobs_purge"} <= names


def test_building_a_big_workbook_keeps_the_job_alive_and_stops_when_cancelled(
    sales_nord, customers, client_for, monkeypatch
):
    # given a job that reports signs of life for every row of its workbook
    monkeypatch.setattr(export, "HEARTBEAT_EVERY", -1)
    beats = []
    real_heartbeat = export.heartbeat

    def counted(job):
        beats.append(job.heartbeat_at)
        real_heartbeat(job)

    monkeypatch.setattr(export, "heartbeat", counted)
    job = start_export(client_for(sales_nord), fmt="xlsx")
    runner.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, len(beats)) == ("done", 7)

    # when a second export is stopped while its workbook is being built
    Job.objects.all().delete()
    job = start_export(client_for(sales_nord), fmt="xlsx")

    def cancel_first(job):
        Job.objects.filter(pk=job.pk).update(status="cancelled")
        real_heartbeat(job)

    monkeypatch.setattr(export, "heartbeat", cancel_first)
    result = runner.job_run(job_id=job.pk)

    # then the run stops without a file
    job.refresh_from_db()
    assert result["stopped"] is True
    assert (job.status, job.file.name) == ("cancelled", "")
