"""The timeline over the API: notes and other interactions on contacts and companies."""

import datetime as dt

import pytest
from django.utils import timezone


@pytest.fixture
def contact(sales_nord, make_contact):
    return make_contact(sales_nord)


@pytest.fixture
def api(sales_nord, api_as):
    return api_as(sales_nord)


def test_it_adds_a_note_to_a_contact(api, contact):
    response = api.post(
        f"/contacts/{contact.pk}/timeline", {"kind": "note", "body": "Mag Rotwein."}
    )

    assert response.status_code == 201
    entry = response.json()
    assert isinstance(entry["id"], int)
    assert entry["kind"] == "note"
    assert entry["channel"] == "internal"
    assert entry["direction"] == "internal"
    assert entry["summary"] == "Mag Rotwein."
    assert entry["body"] == "<p>Mag Rotwein.</p>"
    assert entry["actor"]["email"] == "nora@kundig.test"
    assert entry["contact"]["id"] == contact.pk


def test_html_in_a_note_is_sanitised(api, contact):
    entry = api.post(
        f"/contacts/{contact.pk}/timeline",
        {
            "kind": "note",
            "body": '<p onclick="x()">Hallo <b>du</b><script>alert(1)</script></p>'
            '<a href="javascript:alert(1)">link</a>',
        },
    ).json()

    assert "script" not in entry["body"]
    assert "onclick" not in entry["body"]
    assert "javascript" not in entry["body"]
    assert "<b>du</b>" in entry["body"]


def test_a_note_needs_a_body(api, contact):
    response = api.post(f"/contacts/{contact.pk}/timeline", {"kind": "note"})

    assert response.status_code == 400
    assert "body" in response.json()["fields"]


def test_it_lists_a_timeline_newest_first(api, contact):
    now = timezone.now()
    for hours_ago, summary in ((3, "alt"), (1, "neu"), (2, "mittel")):
        api.post(
            f"/contacts/{contact.pk}/timeline",
            {
                "kind": "call",
                "summary": summary,
                "occurred_at": (now - dt.timedelta(hours=hours_ago)).isoformat(),
            },
        )

    rows = api.get(f"/contacts/{contact.pk}/timeline").json()["results"]

    assert [row["summary"] for row in rows] == ["neu", "mittel", "alt"]


def test_the_timeline_filters_by_kind_and_channel(api, contact):
    path = f"/contacts/{contact.pk}/timeline"
    api.post(path, {"kind": "note", "body": "Notiz"})
    api.post(path, {"kind": "call", "summary": "Anruf", "direction": "in"})
    api.post(path, {"kind": "meeting", "summary": "Treffen", "channel": "video"})

    def summaries(params):
        response = api.get(path, params)
        assert response.status_code == 200, response.json()
        return sorted(row["summary"] for row in response.json()["results"])

    assert summaries({"kind": "note"}) == ["Notiz"]
    assert summaries({"kind": ["note", "call"]}) == ["Anruf", "Notiz"]
    assert summaries({"channel": "video"}) == ["Treffen"]
    assert summaries({"channel": ["phone", "video"]}) == ["Anruf", "Treffen"]


def test_it_records_other_kinds_with_their_details(api, contact):
    occurred = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)

    entry = api.post(
        f"/contacts/{contact.pk}/timeline",
        {
            "kind": "call",
            "direction": "in",
            "occurred_at": occurred.isoformat(),
            "summary": "Fragt nach Lieferzeit",
            "duration_minutes": 12,
        },
    ).json()

    assert entry["channel"] == "phone"
    assert entry["direction"] == "in"
    assert entry["duration_minutes"] == 12
    assert dt.datetime.fromisoformat(entry["occurred_at"]) == occurred


def test_an_entry_from_another_system_is_added_once(api, contact):
    body = {
        "kind": "email",
        "summary": "Bestellbestätigung",
        "source_type": "shop.mail",
        "source_id": 4711,
        "source_url": "https://shop.example/mails/4711",
    }

    first = api.post(f"/contacts/{contact.pk}/timeline", body)
    again = api.post(f"/contacts/{contact.pk}/timeline", body)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["source_id"] == "4711"
    assert len(api.get(f"/contacts/{contact.pk}/timeline").json()["results"]) == 1


def test_a_source_already_on_another_record_is_refused(
    api, contact, make_contact, sales_nord
):
    other = make_contact(sales_nord)
    body = {"kind": "email", "summary": "x", "source_type": "shop", "source_id": "1"}
    api.post(f"/contacts/{contact.pk}/timeline", body)

    response = api.post(f"/contacts/{other.pk}/timeline", body)

    assert response.status_code == 400
    assert "source_id" in response.json()["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "pigeon", "summary": "x"}, "kind"),
        ({"kind": "task_completed", "summary": "x"}, "kind"),
        ({"kind": "call", "channel": "telepathy"}, "channel"),
        ({"kind": "call", "direction": "sideways"}, "direction"),
        ({"kind": "call", "duration_minutes": -1}, "duration_minutes"),
        ({"kind": "call", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"kind": "call", "summary": "x" * 301}, "summary"),
        ({"kind": "call", "source_type": "shop"}, "source_id"),
        ({"kind": "call", "source_type": "s" * 51, "source_id": "1"}, "source_type"),
        ({"kind": "call", "source_url": "javascript:alert(1)"}, "source_url"),
        ({"summary": "x"}, "kind"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(api, contact, body, field):
    response = api.post(f"/contacts/{contact.pk}/timeline", body)

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_a_company_has_a_timeline_of_its_own_and_its_contacts(
    api, sales_nord, make_company
):
    company = make_company(sales_nord)
    employee = api.post(
        "/contacts",
        {"last_name": "Mitarbeiter", "companies": [{"company_id": company.pk}]},
    ).json()
    api.post(f"/contacts/{employee['id']}/timeline", {"kind": "note", "body": "A"})

    added = api.post(
        f"/companies/{company.pk}/timeline", {"kind": "letter", "summary": "Angebot"}
    )
    rows = api.get(f"/companies/{company.pk}/timeline").json()["results"]

    assert added.status_code == 201
    assert added.json()["company"]["name"] == company.name
    assert [row["summary"] for row in rows] == ["Angebot", "A"]


def test_the_timeline_resource_lists_reads_changes_and_deletes(api, contact):
    created = api.post(
        "/timeline", {"kind": "note", "body": "Erst", "contact_id": contact.pk}
    )
    entry_id = created.json()["id"]

    listed = api.get("/timeline", {"q": "erst"}).json()["results"]
    read = api.get(f"/timeline/{entry_id}").json()
    changed = api.patch(f"/timeline/{entry_id}", {"body": "Dann"}).json()
    deleted = api.delete(f"/timeline/{entry_id}")

    assert created.status_code == 201
    assert [row["id"] for row in listed] == [entry_id]
    assert read["contact"]["id"] == contact.pk
    assert changed["body"] == "<p>Dann</p>"
    assert changed["summary"] == "Dann"
    assert deleted.status_code == 204
    assert api.get(f"/timeline/{entry_id}").status_code == 404


def test_an_entry_needs_a_contact_or_a_company(api):
    response = api.post("/timeline", {"kind": "note", "body": "Wohin?"})

    assert response.status_code == 400
    assert "contact_id" in response.json()["fields"]


def test_an_entry_mirrored_from_a_completed_task_cannot_be_changed(
    api, contact, tomorrow
):
    task = api.post(
        "/tasks", {"title": "T", "due_at": tomorrow, "contact_id": contact.pk}
    ).json()
    api.patch(f"/tasks/{task['id']}", {"status": "done"})
    entry = api.get(f"/contacts/{contact.pk}/timeline").json()["results"][0]

    response = api.patch(f"/timeline/{entry['id']}", {"body": "anders"})

    assert entry["kind"] == "task_completed"
    assert response.status_code == 403
