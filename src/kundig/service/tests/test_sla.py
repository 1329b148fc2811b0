"""Service levels: the clocks a ticket gets, the scan that marks them, escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kundig.core.models import DomainEvent, Notification
from kundig.service import services
from kundig.service.models import Queue, ServiceSettings, SlaPolicy, Ticket
from kundig.service.services import sla

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def anna(make_contact, sales_nord):
    return make_contact(sales_nord, first_name="Anna", email="anna@example.de")


def call(actor, contact, **extra):
    return services.ticket_open(
        actor=actor, contact=contact, subject="Anruf", channel="phone", **extra
    )


def hours() -> object:
    return ServiceSettings.current().business_hours()


def test_a_new_ticket_gets_the_clocks_of_its_priority(service_agent, anna):
    ticket = call(service_agent, anna)  # normal: a working day, five to solve

    assert ticket.sla_policy.priority == "normal"
    assert ticket.first_response_due_at == hours().add(ticket.created_at, 600)
    assert ticket.first_response_warn_at == hours().add(ticket.created_at, 480)
    assert ticket.resolution_due_at == hours().add(ticket.created_at, 3000)


def test_a_round_the_clock_level_counts_every_minute(service_agent, anna):
    SlaPolicy.objects.create(
        name="Notfall", priority="urgent", first_response_minutes=30,
        resolution_minutes=240, business_hours=False, position=1,
    )  # fmt: skip

    ticket = call(service_agent, anna, priority="urgent")

    assert ticket.first_response_due_at == ticket.created_at + dt.timedelta(minutes=30)
    assert ticket.resolution_due_at == ticket.created_at + 4 * HOUR


def test_a_more_urgent_ticket_gets_the_shorter_clocks(service_agent, anna):
    ticket = call(service_agent, anna)

    ticket = services.ticket_update(
        actor=service_agent, ticket=ticket, priority="urgent"
    )

    assert ticket.sla_policy.priority == "urgent"
    assert ticket.first_response_due_at == hours().add(ticket.created_at, 60)


def test_a_ticket_no_level_fits_has_no_clock(service_agent, anna):
    SlaPolicy.objects.update(is_active=False)

    ticket = call(service_agent, anna)

    assert ticket.sla_policy is None and ticket.resolution_due_at is None


def test_waiting_on_the_customer_stops_the_solutions_clock(service_agent, anna):
    ticket = call(service_agent, anna)
    due = ticket.resolution_due_at
    services.ticket_update(
        actor=service_agent, ticket=ticket, status="waiting_customer"
    )
    paused_at = timezone.now() - 3 * HOUR  # as if it had waited three hours
    Ticket.objects.filter(pk=ticket.pk).update(sla_paused_at=paused_at)

    ticket = services.ticket_update(actor=service_agent, ticket=ticket, status="open")

    waited = hours().between(paused_at, ticket.updated_at)
    assert ticket.sla_paused_at is None
    assert ticket.sla_paused_minutes == pytest.approx(waited, abs=1)
    assert ticket.resolution_due_at == hours().add(
        ticket.created_at, 3000 + ticket.sla_paused_minutes
    )
    assert ticket.resolution_due_at >= due


# --- the scan -------------------------------------------------------------------------


def overdue(ticket, clock: str, stage: str = "due"):
    Ticket.objects.filter(pk=ticket.pk).update(
        **{f"{clock}_{stage}_at": timezone.now() - HOUR}
    )


def test_a_clock_close_to_its_end_warns_the_assignee_once(service_agent, anna):
    ticket = call(service_agent, anna)
    overdue(ticket, "first_response", "warn")

    first = services.sla_scan()
    again = services.sla_scan()

    assert (first.warned, again.warned) == (1, 0)
    ticket.refresh_from_db()
    assert ticket.first_response_warned_at is not None
    assert DomainEvent.objects.filter(name="ticket.sla_warning").count() == 1
    note = Notification.objects.get(user=service_agent)  # in her language
    assert note.title == "Bald antworten: 1 Ticket ist kurz vor seiner Frist"


def test_an_overdue_answer_goes_to_the_team_lead(service_agent, anna, queue):
    ticket = call(service_agent, anna)
    overdue(ticket, "first_response")

    result = services.sla_scan()

    assert (result.breached, result.escalated) == (1, 1)
    ticket.refresh_from_db()
    assert ticket.assignee == queue.team_lead and ticket.escalation_level == 1
    assert ticket.first_response_breached_at is not None
    # written in the team lead's language (German here)
    assert ticket.entries.get(kind="note").body == (
        f"Eskaliert an {queue.team_lead}: die Antwort ist überfällig."
    )
    assert Notification.objects.get(user=queue.team_lead).title == (
        "1 Ticket an Sie eskaliert"
    )
    assert DomainEvent.objects.filter(name="ticket.sla_breached").count() == 1
    assert DomainEvent.objects.filter(name="ticket.escalated").count() == 1


def test_an_overdue_solution_goes_to_the_escalation_owner(service_agent, anna, queue):
    ticket = call(service_agent, anna)
    overdue(ticket, "resolution")

    services.sla_scan()

    ticket.refresh_from_db()
    assert ticket.assignee == queue.escalation_owner and ticket.escalation_level == 2


def test_an_answered_ticket_is_not_overdue_for_its_answer(
    service_agent, anna, mailbox, smtp
):
    ticket = call(service_agent, anna)
    services.ticket_reply(
        actor=service_agent, ticket=ticket, text="Wir kümmern uns.",
        key=services.new_form_key(), status="open",
    )  # fmt: skip
    overdue(ticket, "first_response")

    assert services.sla_scan().breached == 0


def test_a_ticket_waiting_on_the_customer_is_not_overdue_for_its_solution(
    service_agent, anna
):
    ticket = call(service_agent, anna)
    services.ticket_update(
        actor=service_agent, ticket=ticket, status="waiting_customer"
    )
    overdue(ticket, "resolution")

    assert services.sla_scan().breached == 0


def test_the_scan_costs_the_same_queries_for_3_and_30_breaches(
    service_agent, anna, queue
):
    def scan_with(count):
        for _ in range(count):
            overdue(call(service_agent, anna), "first_response")
        with CaptureQueriesContext(connection) as captured:
            assert services.sla_scan().breached == count
        return len(captured)

    assert scan_with(3) == scan_with(30)


def test_a_scan_cut_off_half_way_resumes_without_doubles(
    service_agent, anna, queue, monkeypatch
):
    tickets = [call(service_agent, anna) for _ in range(5)]
    for ticket in tickets:
        overdue(ticket, "first_response")
    monkeypatch.setattr(sla, "SCAN_BATCH", 2)
    real = sla.emit_many
    calls = []

    def die_on_the_second_batch(events, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # warnings are none; breaches: 1st batch, its escalation
            raise RuntimeError("worker killed")
        return real(events, **kwargs)

    monkeypatch.setattr(sla, "emit_many", die_on_the_second_batch)
    with pytest.raises(RuntimeError):
        services.sla_scan()
    monkeypatch.setattr(sla, "emit_many", real)

    services.sla_scan()

    assert DomainEvent.objects.filter(name="ticket.sla_breached").count() == 5
    assert DomainEvent.objects.filter(name="ticket.escalated").count() == 5
    assert Ticket.objects.filter(escalation_level=1).count() == 5


# --- escalating by hand ---------------------------------------------------------------


def test_escalating_by_hand_goes_one_level_up_at_a_time(service_agent, anna, queue):
    ticket = call(service_agent, anna)

    ticket = services.ticket_escalate(actor=service_agent, ticket=ticket, reason="laut")
    assert (ticket.escalation_level, ticket.assignee) == (1, queue.team_lead)
    ticket = services.ticket_escalate(actor=service_agent, ticket=ticket)
    assert (ticket.escalation_level, ticket.assignee) == (2, queue.escalation_owner)

    with pytest.raises(ValidationError, match="nobody above"):
        services.ticket_escalate(actor=service_agent, ticket=ticket)
    assert (
        ticket.entries.filter(kind="note", body__startswith="Escalated to").count() == 2
    )


def test_without_a_team_lead_the_escalation_owner_takes_it(service_agent, anna, admin):
    Queue.objects.filter(is_default=True).update(escalation_owner=admin)
    ticket = call(service_agent, anna)

    ticket = services.ticket_escalate(actor=service_agent, ticket=ticket)

    assert (ticket.escalation_level, ticket.assignee) == (2, admin)
