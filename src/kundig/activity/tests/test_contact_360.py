"""The 360° page of a contact: profile, figures, open tasks, timeline, quick logging."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kundig.activity.models import Task, TimelineEntry
from kundig.activity.selectors import Cursor
from kundig.activity.services import task_create, timeline_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(sales_nord, make_contact):
    return make_contact(
        sales_nord, first_name="Jürgen", last_name="Müller", phone="030 1234567"
    )


def detail(contact):
    return reverse("activity:contact_detail", args=[contact.pk])


def test_it_shows_profile_figures_open_tasks_and_timeline(
    sales_nord, contact, client_for, tomorrow
):
    timeline_add(
        actor=sales_nord,
        kind="call",
        contact=contact,
        body="Lieferung verspätet",
        direction="in",
    )
    task_create(
        actor=sales_nord,
        title="Rückruf wegen Lieferung",
        due_at=tomorrow,
        contact=contact,
    )

    response = client_for(sales_nord).get(detail(contact))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Jürgen Müller" in body
    assert "030 1234567" in body
    assert "Lieferung verspätet" in body
    assert "Rückruf wegen Lieferung" in body
    figures = response.context["figures"]
    assert (figures.interactions, figures.open_tasks) == (1, 1)
    assert figures.last_inbound is not None


def test_another_team_gets_a_404_on_every_part(sales_sued, contact, client_for):
    client = client_for(sales_sued)
    urls = [
        detail(contact),
        reverse("activity:contact_timeline", args=[contact.pk]),
        reverse("contacts:contact_edit", args=[contact.pk]),
        reverse("contacts:contact_history", args=[contact.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("activity:contact_log", args=[contact.pk]),
        reverse("activity:contact_task", args=[contact.pk]),
        reverse("contacts:contact_delete", args=[contact.pk]),
    ]:
        assert (
            client.post(url, {"kind": "note", "body": "x", "title": "x"}).status_code
            == 404
        )
    assert not TimelineEntry.objects.exists()


def test_a_note_is_added_in_one_post_and_comes_back_for_the_timeline(
    sales_nord, contact, client_for
):
    response = client_for(sales_nord).post(
        reverse("activity:contact_log", args=[contact.pk]),
        {
            "kind": "note",
            "body": "Kunde wünscht <b>Rückruf</b><script>alert(1)</script>",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    entry = TimelineEntry.objects.get()
    assert entry.kind == "note"
    assert entry.actor == sales_nord
    assert "<script>" not in entry.body and "<b>Rückruf</b>" in entry.body
    html = response.content.decode()
    assert 'hx-swap-oob="afterbegin:#timeline-entries"' in html
    assert f'id="entry-{entry.pk}"' in html


def test_an_empty_note_is_refused_with_the_field_named(sales_nord, contact, client_for):
    response = client_for(sales_nord).post(
        reverse("activity:contact_log", args=[contact.pk]),
        {"kind": "note", "body": "  "},
    )

    assert response.status_code == 422
    assert "Eine Notiz braucht etwas Text." in response.content.decode()  # German user
    assert not TimelineEntry.objects.exists()


def test_a_call_is_logged_with_direction_and_duration(sales_nord, contact, client_for):
    client_for(sales_nord).post(
        reverse("activity:contact_log", args=[contact.pk]),
        {
            "kind": "call",
            "body": "Angebot besprochen",
            "direction": "in",
            "duration_minutes": "12",
        },
    )

    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.channel, entry.direction, entry.duration_minutes) == (
        "call",
        "phone",
        "in",
        12,
    )


def test_a_follow_up_task_for_tomorrow_takes_one_post(sales_nord, contact, client_for):
    response = client_for(sales_nord).post(
        reverse("activity:contact_task", args=[contact.pk]),
        {"title": "Angebot nachfassen", "when": "1", "priority": "normal"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    task = Task.objects.get()
    assert task.assignee == sales_nord and task.contact == contact
    local_due = timezone.localtime(task.due_at)
    assert local_due.date() == timezone.localdate() + dt.timedelta(days=1)
    assert local_due.hour == 9
    assert "Angebot nachfassen" in response.content.decode()
    assert "kundig:toast" in response["HX-Trigger"]


def test_the_timeline_scrolls_endlessly_without_gaps_or_repeats(
    sales_nord, contact, client_for
):
    start = timezone.now() - dt.timedelta(days=100)
    for i in range(60):
        timeline_add(
            actor=sales_nord,
            kind="note",
            contact=contact,
            body=f"Notiz {i}",
            occurred_at=start + dt.timedelta(hours=i // 2),  # pairs share a timestamp
        )
    client = client_for(sales_nord)
    seen, before = [], ""
    for _ in range(10):
        response = client.get(
            reverse("activity:contact_timeline", args=[contact.pk]), {"before": before}
        )
        seen += [e.pk for e in response.context["entries"]]
        before = response.context["cursor"]
        if not before:
            break

    expected = list(
        TimelineEntry.objects.order_by("-occurred_at", "-id").values_list(
            "pk", flat=True
        )
    )
    assert seen == expected


def test_the_timeline_filters_by_kind_and_channel(sales_nord, contact, client_for):
    timeline_add(actor=sales_nord, kind="note", contact=contact, body="Notiz")
    timeline_add(actor=sales_nord, kind="call", contact=contact, body="Anruf")
    timeline_add(
        actor=sales_nord,
        kind="meeting",
        contact=contact,
        body="Termin",
        channel="video",
    )
    url = reverse("activity:contact_timeline", args=[contact.pk])
    client = client_for(sales_nord)

    kinds = [
        e.kind
        for e in client.get(url, {"kind": ["call", "meeting"]}).context["entries"]
    ]
    channels = [
        e.kind for e in client.get(url, {"channel": "video"}).context["entries"]
    ]

    assert sorted(kinds) == ["call", "meeting"]
    assert channels == ["meeting"]


def test_a_malformed_cursor_is_a_400(sales_nord, contact, client_for):
    response = client_for(sales_nord).get(
        reverse("activity:contact_timeline", args=[contact.pk]), {"before": "gestern"}
    )

    assert response.status_code == 400


def test_cursor_round_trip():
    moment = timezone.now()
    assert Cursor.decode(Cursor(moment, 42).encode()) == Cursor(moment, 42)


# session, user, the user's team (menu), contact with owner, team and creator,
# its emails, phones, addresses, tags, companies, open tasks with their
# counts, the timeline grouped for the key figures, the first page of the
# timeline, custom field definitions, unread notifications, the contact's
# recent messages and playbook runs, its consents
CONTACT_PAGE = 17


def test_the_page_makes_a_fixed_number_of_queries(
    sales_nord, contact, client_for, tomorrow, django_assert_num_queries
):
    client = client_for(sales_nord)
    for i in range(3):
        timeline_add(actor=sales_nord, kind="note", contact=contact, body=f"n{i}")
    task_create(actor=sales_nord, title="t", due_at=tomorrow, contact=contact)
    client.get(detail(contact))  # the session's first request writes to it
    with django_assert_num_queries(CONTACT_PAGE):
        client.get(detail(contact))
    for i in range(40):
        timeline_add(actor=sales_nord, kind="call", contact=contact, body=f"c{i}")
        task_create(actor=sales_nord, title=f"t{i}", due_at=tomorrow, contact=contact)
    with django_assert_num_queries(CONTACT_PAGE):
        client.get(detail(contact))


def test_the_key_figures_count_every_open_task_not_only_those_shown(
    sales_nord, contact, client_for, tomorrow
):
    yesterday = tomorrow - dt.timedelta(days=2)
    for i in range(25):
        task_create(
            actor=sales_nord,
            title=f"t{i}",
            due_at=yesterday if i < 3 else tomorrow,
            contact=contact,
        )

    response = client_for(sales_nord).get(detail(contact))

    figures = response.context["figures"]
    assert (figures.open_tasks, figures.overdue_tasks) == (25, 3)
    assert len(response.context["tasks"]) == 20


def test_the_company_page_aggregates_the_timelines_of_visible_contacts(
    sales_nord, sales_sued, admin, make_company, make_contact, client_for
):
    from kundig.contacts.services import CompanyLinkData, contact_create

    company = make_company(admin, owner=sales_nord)
    ours = contact_create(
        actor=admin,
        fields={"last_name": "Unserer", "owner": sales_nord},
        companies=[CompanyLinkData(company.pk)],
    )
    theirs = contact_create(
        actor=admin,
        fields={"last_name": "Fremder", "owner": sales_sued},
        companies=[CompanyLinkData(company.pk)],
    )
    timeline_add(actor=admin, kind="note", contact=ours, body="Von unserem Kontakt")
    timeline_add(actor=admin, kind="note", contact=theirs, body="Geheim vom Süden")
    timeline_add(actor=admin, kind="meeting", company=company, body="Firmentermin")

    response = client_for(sales_nord).get(
        reverse("activity:company_detail", args=[company.pk])
    )

    body = response.content.decode()
    assert "Von unserem Kontakt" in body and "Firmentermin" in body
    assert "Geheim vom Süden" not in body
    assert "Fremder" not in body
    assert response.context["figures"].interactions == 2


def test_the_key_figures_sum_up_the_whole_timeline(sales_nord, contact):
    from kundig.activity.selectors import contact_key_figures

    now = timezone.now()
    recent = timezone.localtime(now - dt.timedelta(minutes=5)).strftime("%Y-%m")
    for kind, direction, days_ago in [
        ("call", "in", 0),
        ("email", "out", 1),
        ("note", "internal", 0),  # notes are no contact with the customer
        ("call", "out", 200),
        ("email", "in", 800),  # older than the chart's twelve months
    ]:
        timeline_add(
            actor=sales_nord,
            kind=kind,
            contact=contact,
            body=kind,
            direction=direction,
            occurred_at=now - dt.timedelta(days=days_ago, minutes=5),
        )

    figures = contact_key_figures(contact=contact)

    assert (figures.interactions, figures.interactions_90d) == (5, 3)
    assert {kind: n for kind, _label, n in figures.by_kind} == {
        "call": 2,
        "email": 2,
        "note": 1,
    }
    assert abs(figures.last_inbound - now) < dt.timedelta(minutes=10)
    assert figures.last_interaction > now - dt.timedelta(minutes=10)
    months = dict(figures.months)
    assert len(months) == 12
    assert sum(months.values()) == 4  # all but the entry 800 days ago
    assert months[recent] >= 2
