"""The import pages, end to end through the test client."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kundig.contacts.importing.models import ImportJob
from kundig.contacts.models import Contact

from .importing import csv_bytes, new_job, run, run_worker, speaks_english, upload

ROWS = [
    ["Vorname", "Nachname", "E-Mail", "Telefon", "PLZ", "Straße", "Ort"],
    ["Anna", "Muster", "anna@example.de", "030 1234567", "10115", "Weg 1", "Berlin"],
    ["Bernd", "Fehler", "anna@", "", "123", "Weg 2", "Berlin"],
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def marketing_user(marketing_user):
    """The pages speak the user's language; these tests read the English texts."""
    return speaks_english(marketing_user)


@pytest.mark.parametrize("name", ["import_list", "import_new"])
def test_users_whose_role_may_not_import_get_403(
    client_for, sales_nord, read_only_nord, name
):
    for user in (sales_nord, read_only_nord):
        assert client_for(user).get(reverse(f"contacts:{name}")).status_code == 403


def test_the_job_pages_refuse_roles_without_import_right(
    client_for, marketing_user, sales_nord
):
    job = new_job(marketing_user, ROWS)
    client = client_for(sales_nord)
    for name in ("import_detail", "import_map", "import_failed_rows"):
        assert client.get(reverse(f"contacts:{name}", args=[job.pk])).status_code == 403
    assert (
        client.post(reverse("contacts:import_start", args=[job.pk])).status_code == 403
    )


def test_a_job_is_seen_only_by_its_creator_and_admins(
    client_for, marketing_user, manager_nord, admin
):
    job = run(new_job(marketing_user, ROWS))
    url = reverse("contacts:import_detail", args=[job.pk])
    assert client_for(manager_nord).get(url).status_code == 404
    assert client_for(admin).get(url).status_code == 200
    assert client_for(marketing_user).get(url).status_code == 200
    map_url = reverse("contacts:import_map", args=[job.pk])
    assert client_for(manager_nord).get(map_url).status_code == 404
    assert (
        job.original_name
        not in client_for(manager_nord)
        .get(reverse("contacts:import_list"))
        .content.decode()
    )


def test_the_list_is_empty_with_instructions_at_first(client_for, marketing_user):
    response = client_for(marketing_user).get(reverse("contacts:import_list"))
    assert response.status_code == 200
    assert "export your contacts first" in response.content.decode()


def test_upload_map_dry_run_and_import_end_to_end(client_for, marketing_user):
    client = client_for(marketing_user)
    # upload
    response = client.get(reverse("contacts:import_new") + "?kind=contacts")
    assert response.status_code == 200
    response = client.post(
        reverse("contacts:import_new"),
        {"entity": "contact", "file": upload("kunden.csv", csv_bytes(ROWS))},
    )
    job = ImportJob.objects.get()
    assert response.url == reverse("contacts:import_map", args=[job.pk])
    # map: the guess is shown with a preview that marks the bad cells
    response = client.get(response.url)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="email" selected' in page
    assert "anna@ is not a valid email address." in page
    assert "table-danger" in page
    # the preview follows a changed mapping (htmx)
    form = {f"col_{i}": key for i, key in enumerate(job.mapping)}
    response = client.post(
        reverse("contacts:import_map", args=[job.pk]),
        {**form, "col_4": "", "action": "preview"},
        headers={"HX-Request": "true", "HX-Target": "import-preview"},
    )
    assert 'id="import-preview"' in response.content.decode()
    assert "five digits" not in response.content.decode()
    # dry run
    response = client.post(
        reverse("contacts:import_map", args=[job.pk]), {**form, "action": "dry_run"}
    )
    assert response.url == reverse("contacts:import_detail", args=[job.pk])
    run_worker()
    page = client.get(response.url).content.decode()
    assert "Rows with problems (dry run)" in page
    assert "anna@ is not a valid email address." in page
    assert Contact.objects.count() == 0
    # the failed rows download
    response = client.get(reverse("contacts:import_failed_rows", args=[job.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert (
        body.splitlines()[0] == "Vorname;Nachname;E-Mail;Telefon;PLZ;Straße;Ort;Error"
    )
    assert body.splitlines()[1].startswith(
        'Bernd;Fehler;anna@;;123;Weg 2;Berlin;"Row 3: E-Mail: anna@ is'
    )
    # import
    response = client.post(reverse("contacts:import_start", args=[job.pk]))
    assert response.status_code == 302
    run_worker()
    job.refresh_from_db()
    page = client.get(reverse("contacts:import_detail", args=[job.pk])).content.decode()
    assert (job.status, job.created_count, job.failed_count) == ("done", 1, 1)
    assert "The import is done." in page
    assert "Rows not imported" in page
    assert Contact.objects.get().first_name == "Anna"


def test_an_unreadable_upload_is_explained_on_the_form(client_for, marketing_user):
    response = client_for(marketing_user).post(
        reverse("contacts:import_new"),
        {"entity": "contact", "file": upload("kunden.xls", b"\xd0\xcf\x11\xe0xxxx")},
    )
    assert response.status_code == 200
    assert "old Excel file" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client_for, marketing_user, settings):
    settings.KUNDIG_IMPORT_MAX_BYTES = 10
    response = client_for(marketing_user).post(
        reverse("contacts:import_new"),
        {"entity": "contact", "file": upload("kunden.csv", csv_bytes(ROWS))},
    )
    assert "larger than" in response.content.decode()


def test_a_mapping_with_a_field_twice_is_refused(client_for, marketing_user):
    job = new_job(marketing_user, ROWS)
    response = client_for(marketing_user).post(
        reverse("contacts:import_map", args=[job.pk]),
        {"col_0": "last_name", "col_1": "last_name", "action": "dry_run"},
    )
    assert response.status_code == 200
    assert "is chosen for more than one column" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "new"


def test_the_progress_fragment_polls_while_running_and_stops_when_done(
    client_for, marketing_user
):
    from kundig.contacts.importing import services

    job = new_job(marketing_user, ROWS)
    services.import_job_queue(job=job, actor=marketing_user, phase="import")
    client = client_for(marketing_user)
    url = reverse("contacts:import_detail", args=[job.pk]) + "?fragment=progress"
    response = client.get(url, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert "<html" not in fragment
    assert "HX-Refresh" not in response
    run_worker()
    response = client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' not in response.content.decode()
    assert response["HX-Refresh"] == "true"
    assert "100 %" in response.content.decode()


def test_a_finished_job_can_be_deleted_with_its_file(
    client_for, marketing_user, django_capture_on_commit_callbacks
):
    job = run(new_job(marketing_user, ROWS))
    path = job.file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(marketing_user).post(
            reverse("contacts:import_delete", args=[job.pk])
        )
    assert response.url == reverse("contacts:import_list")
    assert not ImportJob.objects.exists()
    import os

    assert not os.path.exists(path)


def test_a_new_job_opens_on_its_mapping_and_is_listed(client_for, marketing_user):
    job = new_job(marketing_user, ROWS)
    client = client_for(marketing_user)
    response = client.get(reverse("contacts:import_detail", args=[job.pk]))
    assert response.url == reverse("contacts:import_map", args=[job.pk])
    page = client.get(reverse("contacts:import_list")).content.decode()
    assert "kunden.csv" in page
    assert "Waiting for the column mapping" in page
