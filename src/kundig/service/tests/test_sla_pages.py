"""The service-level pages: a ticket's clocks and escalation, the list's due
column, the service levels, the desk's business hours and the queue's team lead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kundig.core.models import AuditEntry
from kundig.service import services
from kundig.service.calendar import holidays_in
from kundig.service.models import Queue, ServiceSettings, SlaPolicy, Ticket
from kundig.service.tests.conftest import english
from kundig.service.tests.test_pages import TICKET_LIST, listed, open_ticket

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def boss(admin):
    return english(admin)


def clocks(ticket, **fields) -> Ticket:
    """Set ``ticket``'s clocks as if time had passed."""
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


def text(response) -> str:
    # Django writes "3 hours" with a no-break space.
    return response.content.decode().replace("\xa0", " ")


def card(response) -> str:
    page = text(response)
    return page[page.index('id="service-level"') :].split('id="change"')[0]


# --- a ticket's clocks ----------------------------------------------------------------


def test_the_ticket_page_shows_answer_by_and_solve_by(agent, anna, client_for):
    now = timezone.now()
    ticket = clocks(
        open_ticket(anna),
        first_response_due_at=now + 3 * HOUR + dt.timedelta(minutes=21),
        resolution_due_at=now + 50 * HOUR + dt.timedelta(minutes=5),
    )

    shown = card(client_for(agent).get(ticket.get_absolute_url()))

    assert ticket.sla_policy.name in shown
    assert "Answer by" in shown and "Solve by" in shown
    assert "in 3 hours, 20 minutes" in shown
    assert "in 2 days, 2 hours" in shown
    assert "overdue" not in shown and "text-danger" not in shown
    assert 'class="progress-bar' in shown


def test_a_breached_clock_is_overdue_in_red(agent, anna, client_for):
    now = timezone.now()
    ticket = clocks(
        open_ticket(anna),
        first_response_due_at=now - 2 * HOUR,
        first_response_breached_at=now - 2 * HOUR,
    )

    shown = card(client_for(agent).get(ticket.get_absolute_url()))

    overdue = shown.split('data-clock="overdue"')[1].split("data-clock")[0]
    assert "overdue for 2 hours" in overdue
    assert "text-danger" in overdue and "bg-red" in overdue


def test_the_solution_clock_is_paused_while_waiting_on_the_customer(
    agent, anna, client_for
):
    ticket = open_ticket(anna)
    services.ticket_update(actor=agent, ticket=ticket, status="waiting_customer")

    shown = card(client_for(agent).get(ticket.get_absolute_url()))

    assert 'data-clock="paused"' in shown
    assert "paused while waiting on the customer" in shown


def test_an_answered_and_solved_ticket_says_so(agent, anna, client_for):
    ticket = open_ticket(anna)
    clocks(ticket, first_response_at=timezone.now())
    services.ticket_update(actor=agent, ticket=ticket, status="solved")

    shown = card(client_for(agent).get(ticket.get_absolute_url()))

    assert "answered" in shown and "solved" in shown
    assert 'data-clock="running"' not in shown
    assert reverse("service:ticket_escalate", args=[ticket.pk]) not in shown


def test_a_ticket_no_level_fits_says_so(agent, anna, client_for):
    SlaPolicy.objects.update(is_active=False)
    ticket = open_ticket(anna)

    shown = card(client_for(agent).get(ticket.get_absolute_url()))

    assert "No service level applies." in shown
    assert "Answer by" not in shown


# --- escalating -----------------------------------------------------------------------


def test_escalating_goes_to_the_team_lead_then_the_owner_then_nobody(
    agent, anna, queue, manager_nord, admin, client_for
):
    ticket = open_ticket(anna)
    client = client_for(agent)
    url = reverse("service:ticket_escalate", args=[ticket.pk])

    first = client.post(url, {"reason": "Kunde droht mit Anwalt"})
    ticket.refresh_from_db()
    assert first.status_code == 302
    assert first["Location"] == ticket.get_absolute_url()
    assert (ticket.escalation_level, ticket.assignee) == (1, manager_nord)
    assert ticket.entries.get(kind="note").body == (
        f"Escalated to {manager_nord}: Kunde droht mit Anwalt."
    )
    page = card(client.get(ticket.get_absolute_url()))
    assert "Escalated to the team lead on" in page

    second = client.post(url, {"reason": ""})
    ticket.refresh_from_db()
    assert second.status_code == 302
    assert (ticket.escalation_level, ticket.assignee) == (2, admin)
    page = card(client.get(ticket.get_absolute_url()))
    assert "Escalated to the escalation owner on" in page
    assert url not in page  # nobody above: no button

    third = client.post(url, {"reason": "noch mal"})
    ticket.refresh_from_db()
    assert third.status_code == 422
    assert "There is nobody above" in text(third)
    assert (ticket.escalation_level, ticket.assignee) == (2, admin)
    assert ticket.entries.filter(kind="note").count() == 2


@pytest.mark.parametrize("who", ["read_only_nord", "marketing_user"])
def test_readers_and_marketing_may_not_escalate(who, request, anna, queue, client_for):
    ticket = open_ticket(anna)
    client = client_for(request.getfixturevalue(who))

    response = client.post(reverse("service:ticket_escalate", args=[ticket.pk]))

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0
    assert reverse("service:ticket_escalate", args=[ticket.pk]) not in (
        client.get(ticket.get_absolute_url()).content.decode()
    )


def test_a_ticket_one_may_not_see_cannot_be_escalated(
    anna, queue, sales_sued, client_for
):
    ticket = open_ticket(anna)

    response = client_for(sales_sued).post(
        reverse("service:ticket_escalate", args=[ticket.pk])
    )

    assert response.status_code == 404


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_the_nearer_clock_and_sorts_by_it(agent, anna, client_for):
    now = timezone.now()
    later = clocks(open_ticket(anna, "Später"), first_response_due_at=now + 5 * HOUR)
    clocks(open_ticket(anna, "Bald"), first_response_due_at=now + HOUR)
    clocks(
        open_ticket(anna, "Beantwortet"),
        first_response_at=now,
        first_response_due_at=now - HOUR,  # answered: the solution's clock counts
        resolution_due_at=now + 3 * HOUR,
    )
    clocks(
        open_ticket(anna, "Überfällig"),
        first_response_due_at=now - 2 * HOUR,
        first_response_breached_at=now - 2 * HOUR,
    )
    clocks(
        open_ticket(anna, "Ohne Frist"),
        sla_policy=None,
        first_response_due_at=None,
        resolution_due_at=None,
    )
    waiting = open_ticket(anna, "Wartet")
    clocks(waiting, first_response_at=now)
    services.ticket_update(actor=agent, ticket=waiting, status="waiting_customer")
    client = client_for(agent)

    response = client.get(reverse("service:ticket_list"), {"sort": "due"})

    assert listed(response) == [
        "Überfällig", "Bald", "Beantwortet", "Später",
        "Ohne Frist", "Wartet",  # no clock running: last, oldest first
    ]  # fmt: skip
    page = text(response)
    assert "overdue for 2 hours" in page
    row = page.split(f'href="{later.get_absolute_url()}"')[1].split("</tr>")[0]
    assert "in 4 hours" in row and "text-danger" not in row


def test_tickets_without_a_clock_come_last_whatever_their_age(agent, anna, client_for):
    now = timezone.now()
    clocks(
        open_ticket(anna, "Alt, ohne Frist"),
        sla_policy=None,
        first_response_due_at=None,
        resolution_due_at=None,
        created_at=now - 100 * HOUR,
    )
    clocks(open_ticket(anna, "Neu"), first_response_due_at=now + 100 * HOUR)

    response = client_for(agent).get(reverse("service:ticket_list"), {"sort": "due"})

    assert listed(response) == ["Neu", "Alt, ohne Frist"]


def test_the_overdue_filter_shows_open_tickets_with_a_breached_clock(
    agent, anna, client_for
):
    now = timezone.now()
    clocks(open_ticket(anna, "Antwort überfällig"), first_response_breached_at=now)
    clocks(
        open_ticket(anna, "Lösung überfällig"),
        first_response_at=now,
        resolution_breached_at=now,
    )
    solved = clocks(open_ticket(anna, "Erledigt"), first_response_breached_at=now)
    services.ticket_update(actor=agent, ticket=solved, status="solved")
    open_ticket(anna, "Im Plan")
    client = client_for(agent)

    overdue = client.get(reverse("service:ticket_list"), {"due": "overdue"})
    everything = client.get(
        reverse("service:ticket_list"), {"due": "overdue", "status": "all"}
    )

    assert listed(overdue) == ["Lösung überfällig", "Antwort überfällig"]
    assert listed(everything) == listed(overdue)
    assert 'value="overdue" selected' in overdue.content.decode()
    nonsense = client.get(reverse("service:ticket_list"), {"due": "soon"})
    assert len(listed(nonsense)) == 3  # the open ones


def test_the_list_makes_as_many_queries_for_30_tickets_as_for_3_sorted_by_due(
    agent, sales_nord, make_contact, client_for
):
    client = client_for(agent)
    client.get(reverse("service:ticket_list"))  # the session's first request writes
    customers = [make_contact(sales_nord) for _ in range(3)]
    query = {"sort": "due", "due": "overdue"}

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("service:ticket_list"), query)
        assert response.status_code == 200
        return len(queries)

    def overdue_tickets(count):
        for i in range(count):
            ticket = open_ticket(customers[i % 3], f"T{i}", assignee=sales_nord)
            clocks(ticket, first_response_breached_at=timezone.now())

    overdue_tickets(3)
    few = count_queries()
    overdue_tickets(27)

    assert few == count_queries() == TICKET_LIST


# --- service levels -------------------------------------------------------------------


def level(**fields):
    return {
        "name": "Notfall",
        "priority": "urgent",
        "category": "",
        "channel": "phone",
        "answer_hours": "0.5",
        "solve_hours": "4",
        "business_hours": "",
        "position": "1",
        "is_active": "on",
        **fields,
    }


def test_only_admins_manage_service_levels(agent, manager_nord, client_for):
    policy = SlaPolicy.objects.first()

    for user in (agent, manager_nord):
        client = client_for(user)
        for response in (
            client.get(reverse("service:sla_policy_list")),
            client.get(reverse("service:sla_policy_create")),
            client.post(reverse("service:sla_policy_create"), level()),
            client.get(reverse("service:sla_policy_edit", args=[policy.pk])),
            client.post(reverse("service:sla_policy_delete", args=[policy.pk])),
        ):
            assert response.status_code == 403
    assert SlaPolicy.objects.count() == 4


def test_the_list_shows_the_levels_in_working_time(boss, client_for):
    response = client_for(boss).get(reverse("service:sla_policy_list"))

    page = text(response)
    assert response.status_code == 200
    normal = page.split(">Normal</a>")[1].split("</tr>")[0]
    assert "1 working day" in normal and "5 working days" in normal
    assert "in business hours" in normal
    urgent = page.split(">Dringend / Urgent</a>")[1].split("</tr>")[0]
    assert "1 h" in urgent and "Urgent" in urgent
    link = f'href="{reverse("service:sla_policy_list")}"'
    for url in (reverse("service:queue_list"), reverse("service:ticket_list")):
        assert link in client_for(boss).get(url).content.decode()


def test_an_admin_creates_edits_and_deletes_a_service_level(boss, anna, client_for):
    client = client_for(boss)

    created = client.post(reverse("service:sla_policy_create"), level())
    policy = SlaPolicy.objects.get(name="Notfall")
    form = client.get(reverse("service:sla_policy_edit", args=[policy.pk]))
    edited = client.post(
        reverse("service:sla_policy_edit", args=[policy.pk]),
        level(name="Notfall am Telefon", solve_hours="1.5"),
    )
    policy.refresh_from_db()

    assert created.status_code == edited.status_code == 302
    assert created["Location"] == reverse("service:sla_policy_list")
    assert form.context["form"].initial["answer_hours"] == "0.5"
    assert (policy.name, policy.priority, policy.category, policy.channel) == (
        "Notfall am Telefon", "urgent", "", "phone",
    )  # fmt: skip
    assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 90)
    assert not policy.business_hours and policy.is_active and policy.position == 1
    page = text(client.get(reverse("service:sla_policy_list")))
    row = page.split(">Notfall am Telefon</a>")[1].split("</tr>")[0]
    assert "30 min" in row and "1.5 h" in row and "around the clock" in row
    ticket = services.ticket_open(
        actor=None, contact=anna, subject="Notfall", channel="phone", priority="urgent"
    )
    assert ticket.sla_policy == policy

    deleted = client.post(reverse("service:sla_policy_delete", args=[policy.pk]))

    assert deleted.status_code == 302
    assert not SlaPolicy.objects.filter(pk=policy.pk).exists()
    ticket.refresh_from_db()
    assert ticket.sla_policy is None and ticket.resolution_due_at is not None
    actions = set(
        AuditEntry.objects.filter(
            object_type="service.slapolicy", object_id=str(policy.pk)
        ).values_list("action", flat=True)
    )
    assert len(actions) == 3  # created, changed, deleted


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"answer_hours": "0"}, "answer_hours"),
        ({"answer_hours": ""}, "answer_hours"),
        ({"solve_hours": "-2"}, "solve_hours"),
        ({"answer_hours": "8", "solve_hours": "4"}, "solve_hours"),
        ({"priority": "panic"}, "priority"),
    ],
)
def test_a_bad_service_level_is_refused_naming_the_field(
    fields, field, boss, client_for
):
    response = client_for(boss).post(
        reverse("service:sla_policy_create"), level(**fields)
    )

    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert SlaPolicy.objects.count() == 4


# --- business hours -------------------------------------------------------------------


def hours(**fields):
    return {
        "form": "hours",
        "work_days": ["1", "2", "3", "4", "5", "6"],
        "work_start": "07:30",
        "work_end": "16:00",
        "holiday_region": "BY",
        **fields,
    }


def test_an_admin_sets_the_business_hours(boss, client_for):
    client = client_for(boss)
    before = ServiceSettings.current()

    response = client.post(reverse("service:queue_list"), hours())

    assert response.status_code == 302
    saved = ServiceSettings.current()
    assert saved.work_days == "123456"
    assert (saved.work_start, saved.work_end) == (dt.time(7, 30), dt.time(16))
    assert saved.holiday_region == "BY"
    # the shop switches are another form and stay as they were
    assert saved.open_on_late_shipment == before.open_on_late_shipment
    page = client.get(reverse("service:queue_list"))
    assert page.context["hours_form"].initial["work_days"] == list("123456")
    today = timezone.localdate()
    coming = [(d, name) for d, name in holidays_in("BY", today.year) if d >= today]
    assert page.context["holidays"] == coming
    if coming:  # none left in the last days of December
        assert coming[-1][1] in page.content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"work_end": "07:30"}, "work_end"),
        ({"work_end": "06:00"}, "work_end"),
        ({"work_days": []}, "work_days"),
        ({"work_days": ["8"]}, "work_days"),
        ({"work_start": "25:00"}, "work_start"),
        ({"holiday_region": "XX"}, "holiday_region"),
    ],
)
def test_bad_business_hours_are_refused_naming_the_field(
    fields, field, boss, client_for
):
    response = client_for(boss).post(reverse("service:queue_list"), hours(**fields))

    assert response.status_code == 422
    assert list(response.context["hours_form"].errors) == [field]
    assert not response.context["settings_form"].errors
    assert ServiceSettings.current().work_days == "12345"


# --- the queue's team lead ------------------------------------------------------------


def test_the_queue_form_saves_the_team_lead(boss, manager_nord, client_for):
    client = client_for(boss)
    queue = Queue.objects.get()
    url = reverse("service:queue_edit", args=[queue.pk])

    form = client.get(url)
    response = client.post(
        url, {"name": queue.name, "team_lead": manager_nord.pk, "is_default": "on"}
    )

    assert "team_lead" in form.context["form"].fields
    assert response.status_code == 302
    queue.refresh_from_db()
    assert queue.team_lead == manager_nord
    assert client.get(url).context["form"].initial["team_lead"] == manager_nord.pk
    queues = client.get(reverse("service:queue_list")).content.decode()
    assert str(manager_nord) in queues
    assert AuditEntry.objects.filter(
        object_type="service.queue", object_id=str(queue.pk), field="team_lead"
    ).exists()
