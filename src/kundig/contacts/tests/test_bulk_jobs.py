"""Bulk actions on many records: at once up to the limit, beyond it as a job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kundig.contacts.jobs import bulk
from kundig.contacts.models import Company, Contact
from kundig.core.jobs import runner
from kundig.core.models import AuditEntry, DomainEvent, Job

# The worker closes connections between tasks, which must not end a test's
# transaction: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

BULK = reverse("contacts:contact_bulk")


def run_worker() -> None:
    call_command("worker", "--batch", "--verbosity", "0")


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture(autouse=True)
def small_limits(settings, monkeypatch, tmp_path):
    settings.KUNDIG_BULK_SYNC_LIMIT = 3
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 2)


@pytest.fixture
def seven_customers(sales_nord, make_contact):
    return [
        make_contact(sales_nord, last_name=f"Kunde{n}", lifecycle_stage="customer")
        for n in range(7)
    ]


def tag_all_customers(client, tag="VIP"):
    return client.post(
        BULK,
        {"action": "tag", "tag": tag, "all_matching": "on", "query": "stage=customer"},
    )


def test_a_selection_up_to_the_limit_is_changed_at_once(
    sales_nord, make_contact, client_for
):
    for _ in range(3):
        make_contact(sales_nord, lifecycle_stage="customer")

    response = tag_all_customers(client_for(sales_nord))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("contacts:contact_list"))
    assert not Job.objects.exists()
    assert Contact.objects.filter(tags__name="VIP").count() == 3


def test_above_the_limit_a_job_does_it_in_chunks_with_exact_counts(
    sales_nord, seven_customers, make_contact, client_for
):
    make_contact(sales_nord, last_name="Lead", lifecycle_stage="lead")

    response = tag_all_customers(client_for(sales_nord))

    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.kind, job.status, job.created_by) == (
        "contacts.bulk",
        "queued",
        sales_nord,
    )
    assert not Contact.objects.filter(tags__name="VIP").exists()  # nothing yet

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.percent) == ("done", 7, 7, 100)
    assert Contact.objects.filter(tags__name="VIP").count() == 7
    assert not Contact.objects.get(last_name="Lead").tags.exists()
    assert AuditEntry.objects.filter(field="tags", new_value="+VIP").count() == 7
    assert sales_nord.notifications.filter(title__contains="VIP").exists()


def test_explicit_ids_above_the_limit_become_a_job_too(
    sales_nord, seven_customers, client_for
):
    ids = ",".join(str(c.pk) for c in seven_customers[:5])

    client_for(sales_nord).post(BULK, {"action": "untag", "tag": "X", "ids": ids})
    run_worker()

    job = Job.objects.get()
    assert (job.status, job.total, job.done) == ("done", 5, 5)


def test_the_job_checks_visibility_again_when_it_runs(
    sales_nord, sales_sued, manager_nord, seven_customers, client_for
):
    # given a job started while Nora could see all seven customers
    client_for(sales_nord).post(
        BULK,
        {
            "action": "assign",
            "owner": manager_nord.pk,
            "all_matching": "on",
            "query": "stage=customer",
        },
    )
    # when one of them moves to team Süd before the worker gets to the job
    moved = seven_customers[3]
    Contact.objects.filter(pk=moved.pk).update(owner=sales_sued, team=sales_sued.team)
    run_worker()
    # then that one is left alone
    job = Job.objects.get()
    assert (job.status, job.total, job.done) == ("done", 6, 6)
    moved.refresh_from_db()
    assert moved.owner == sales_sued
    assert Contact.objects.filter(owner=manager_nord).count() == 6


def test_a_job_whose_creator_lost_the_permission_changes_nothing(
    sales_nord, seven_customers, client_for
):
    tag_all_customers(client_for(english(sales_nord)))
    sales_nord.role = "read_only"
    sales_nord.save(update_fields=["role"])

    run_worker()

    job = Job.objects.get()
    assert job.status == "failed"
    assert "no longer allowed" in job.error
    assert not Contact.objects.filter(tags__name="VIP").exists()


def test_a_killed_job_resumes_without_doing_a_chunk_twice(
    sales_nord, manager_nord, seven_customers, client_for, monkeypatch
):
    # given a worker that dies in the middle of the second chunk
    client_for(sales_nord).post(
        BULK,
        {
            "action": "assign",
            "owner": manager_nord.pk,
            "all_matching": "on",
            "query": "stage=customer",
        },
    )
    job = Job.objects.get()
    real_apply = bulk._apply
    calls = {"n": 0}

    def dying_apply(*args, **kwargs):
        calls["n"] += 1
        count = real_apply(*args, **kwargs)
        if calls["n"] == 2:
            raise SystemExit("worker killed")  # after the chunk's writes
        return count

    monkeypatch.setattr(bulk, "_apply", dying_apply)
    with pytest.raises(SystemExit):
        runner.job_run(job_id=job.pk)
    monkeypatch.setattr(bulk, "_apply", real_apply)
    job.refresh_from_db()
    # then only the first chunk is in, and its counters
    assert (job.status, job.done, job.total) == ("running", 2, 7)
    assert Contact.objects.filter(owner=manager_nord).count() == 2
    # and another task leaves the job alone while its lease looks alive
    assert runner.job_run(job_id=job.pk)["ran"] is False
    # when the stale job is queued again and the worker finishes it
    later = timezone.now() + runner.STALE_AFTER + dt.timedelta(minutes=1)
    assert runner.jobs_requeue_stale(now=later) == 1
    run_worker()
    # then every contact was changed once, with one audit entry and one event
    job.refresh_from_db()
    assert (job.status, job.done, job.requeues) == ("done", 7, 1)
    assert Contact.objects.filter(owner=manager_nord).count() == 7
    owner_entries = AuditEntry.objects.filter(
        field="owner", object_type="contacts.contact"
    )
    assert owner_entries.count() == 7
    assert owner_entries.values("object_id").distinct().count() == 7
    events = DomainEvent.objects.filter(name="contact.updated", payload__source="bulk")
    assert events.count() == 7


def test_a_long_job_hands_the_worker_back_between_slices(
    sales_nord, seven_customers, client_for
):
    tag_all_customers(client_for(sales_nord))
    job = Job.objects.get()

    runner.job_run(job_id=job.pk, time_slice=dt.timedelta(0))

    job.refresh_from_db()
    assert (job.status, job.done, job.lease) == ("queued", 2, "")
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 7)


def test_a_stopped_job_keeps_what_it_did_and_does_no_more(
    sales_nord, seven_customers, client_for
):
    client = client_for(sales_nord)
    tag_all_customers(client)
    job = Job.objects.get()
    runner.job_run(job_id=job.pk, time_slice=dt.timedelta(0))

    client.post(reverse("core:job_cancel", args=[job.pk]))
    run_worker()

    job.refresh_from_db()
    assert (job.status, job.done) == ("cancelled", 2)
    assert Contact.objects.filter(tags__name="VIP").count() == 2


def test_companies_get_jobs_too(sales_nord, make_company, client_for):
    for _ in range(4):
        make_company(sales_nord)

    client_for(sales_nord).post(
        reverse("contacts:company_bulk"),
        {"action": "tag", "tag": "B2B", "all_matching": "on", "query": ""},
    )
    run_worker()

    assert Job.objects.get().done == 4
    assert Company.objects.filter(tags__name="B2B").count() == 4


def test_read_only_users_cannot_start_bulk_jobs(
    read_only_nord, seven_customers, client_for
):
    response = tag_all_customers(client_for(read_only_nord))

    assert response.status_code == 403
    assert not Job.objects.exists()


def test_the_progress_fragment_shows_the_numbers_and_polls_while_running(
    sales_nord, seven_customers, client_for
):
    client = client_for(english(sales_nord))
    tag_all_customers(client)
    job = Job.objects.get()
    runner.job_run(job_id=job.pk, time_slice=dt.timedelta(0))
    url = reverse("core:job_detail", args=[job.pk])

    running = client.get(f"{url}?fragment=progress", headers={"HX-Request": "true"})

    html = running.content.decode()
    assert "2 of 7 records" in html
    assert "28 %" in html
    assert 'hx-trigger="every 1s"' in html
    assert "<html" not in html  # the fragment only

    run_worker()
    done = client.get(f"{url}?fragment=progress", headers={"HX-Request": "true"})

    html = done.content.decode()
    assert "7 of 7 records" in html
    assert "Tag VIP added to 7 contacts." in html
    assert "every 1s" not in html


def test_jobs_are_seen_by_their_creator_only(
    sales_nord, manager_nord, admin, seven_customers, client_for
):
    tag_all_customers(client_for(sales_nord))
    job = Job.objects.get()
    url = reverse("core:job_detail", args=[job.pk])

    assert client_for(sales_nord).get(url).status_code == 200
    assert client_for(manager_nord).get(url).status_code == 404
    assert client_for(admin).get(url).status_code == 404
    listed = client_for(english(sales_nord)).get(reverse("core:jobs"))
    assert "Add tag VIP to contacts" in listed.content.decode()
    assert client_for(admin).get(reverse("core:jobs")).context["jobs"] == []


def test_the_bulk_bar_says_more_than_when_the_count_is_capped(
    sales_nord, make_contact, client_for, monkeypatch
):
    from kundig.core import pagination

    monkeypatch.setattr(
        pagination.paginate, "__kwdefaults__", {"per_page": 50, "cap": 3}
    )
    for _ in range(5):
        make_contact(sales_nord)

    html = client_for(english(sales_nord)).get(reverse("contacts:contact_list"))
    html = html.content.decode()

    assert "All of more than 3 matching" in html
    assert "All 3 matching" not in html
    assert "Apply in the background" in html


def test_the_bulk_bar_gives_the_exact_count_below_the_cap(
    sales_nord, make_contact, client_for
):
    for _ in range(2):
        make_contact(sales_nord)

    html = client_for(english(sales_nord)).get(reverse("contacts:contact_list"))
    html = html.content.decode()

    assert "All 2 matching" in html
    assert "more than" not in html
    assert "Apply in the background" not in html
