"""Crisis plans and goodwill: limits per role, approval, codes, the checklist,
the plan's answer, and saving plans."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kundig.activity.models import TimelineEntry
from kundig.contacts import services as contacts
from kundig.core import events as domain_events
from kundig.core.models import AuditEntry, DomainEvent, Notification
from kundig.service import services
from kundig.service.models import (
    CrisisPlan,
    GoodwillOffer,
    ServiceSettings,
    StepDone,
    Ticket,
)
from kundig.service.services import crisis
from kundig.service.tests.test_pages import open_ticket
from kundig.service.tests.test_tickets import late_parcel

pytestmark = pytest.mark.django_db

CODE = re.compile(r"^KD-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")


def offer(actor, ticket, kind="voucher", amount="10", key=None, **extra):
    return services.goodwill_offer(
        actor=actor, ticket=ticket, kind=kind, amount=amount,
        key=key or f"k-{GoodwillOffer.objects.count()}-{kind}-{amount}", **extra,
    )  # fmt: skip


def bought(contact, revenue: str) -> None:
    contacts.contact_figures_set(
        contact_id=contact.pk, first_order_at=None, last_order_at=None,
        orders_count=3, revenue=Decimal(revenue), currency="EUR",
        orders_with_returns=0,
    )  # fmt: skip


def events(name):
    return list(DomainEvent.objects.filter(name=name))


# --- within the limit -----------------------------------------------------------------


def test_an_agent_grants_a_voucher_within_their_limit_with_a_unique_code(agent, late):
    granted = offer(agent, late, "voucher", "10", label="Gutschein")

    assert granted.status == "granted"
    assert CODE.match(granted.code)
    assert (granted.decided_by, granted.amount) == (agent, Decimal("10.00"))
    note = late.entries.get(kind="note")
    assert "Gutschein" in note.body and granted.code in note.body
    entry = TimelineEntry.objects.get(kind="goodwill")
    assert entry.contact_id == late.contact_id and granted.code in entry.summary
    (event,) = events("goodwill.granted")
    assert event.payload | {"actor": None} == event.payload | {
        "actor": None,
        "contact_id": late.contact_id,
        "ticket_id": late.pk,
        "kind": "voucher",
        "amount": "10.00",
        "currency": "EUR",
        "code": granted.code,
    }
    assert AuditEntry.objects.filter(object_id=granted.pk).exists()


def test_goodwill_without_a_code_kind_gets_none(agent, late):
    granted = offer(agent, late, "free_return", "5.90")

    assert granted.status == "granted" and granted.code == ""


def test_the_same_form_key_offers_once(agent, late):
    first = offer(agent, late, key="same")
    again = offer(agent, late, "partial_refund", "80", key="same")

    assert again == first
    assert GoodwillOffer.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="goodwill").count() == 1


def test_a_key_used_on_another_ticket_is_refused(agent, anna, late):
    offer(agent, late, key="same")
    other = open_ticket(anna, "Noch eins", category="late_delivery")

    with pytest.raises(ValidationError) as error:
        offer(agent, other, key="same")

    assert "key" in error.value.message_dict


def test_codes_differ_and_a_clash_draws_again(agent, late, monkeypatch):
    first = offer(agent, late, "voucher", "5")
    drawn = iter([first.code, "KD-AAAA-BBBB"])
    monkeypatch.setattr(crisis, "_new_code", lambda: next(drawn))

    second = offer(agent, late, "voucher", "6")

    assert second.code == "KD-AAAA-BBBB"
    assert GoodwillOffer.objects.filter(code=first.code).count() == 1


# --- above the limit ------------------------------------------------------------------


def test_above_the_agent_limit_it_waits_for_the_team_lead(agent, lead, late):
    asked = offer(agent, late, "partial_refund", "50", reason="Paket 5 Tage zu spät")

    assert (asked.status, asked.approver, asked.code) == ("pending", lead, "")
    assert asked.decided_by is None
    (note,) = Notification.objects.filter(user=lead)
    assert late.number in note.title and "Paket 5 Tage zu spät" in note.body
    assert events("goodwill.requested") and not events("goodwill.granted")
    assert "approval" in TimelineEntry.objects.get(kind="goodwill").summary


def test_above_the_team_lead_limit_it_waits_for_the_escalation_owner(
    agent, admin, late
):
    asked = offer(agent, late, "partial_refund", "150")

    assert (asked.status, asked.approver) == ("pending", admin)


def test_a_team_lead_grants_up_to_their_limit_themselves(lead, late):
    assert offer(lead, late, "partial_refund", "100").status == "granted"
    assert offer(lead, late, "partial_refund", "100.01").status == "pending"


def test_without_anyone_set_up_the_administrators_are_asked(agent, admin, anna):
    ticket = open_ticket(anna, "Wo ist es?", category="late_delivery")

    asked = offer(agent, ticket, "partial_refund", "50")

    assert asked.approver is None
    assert Notification.objects.filter(user=admin).count() == 1


def test_valued_customers_get_higher_limits(agent, anna, late):
    bought(anna, "1500")

    assert offer(agent, late, "partial_refund", "50").status == "granted"
    assert offer(agent, late, "partial_refund", "50.01").status == "pending"
    plan = CrisisPlan.objects.get(category="late_delivery")
    assert services.goodwill_limit(user=agent, ticket=late, plan=plan) == 50


def test_the_valued_revenue_and_factor_are_settings(agent, admin, anna, late):
    bought(anna, "300")
    services.service_settings_save(
        actor=admin, valued_revenue=Decimal("250"), valued_factor=Decimal("3")
    )

    assert ServiceSettings.current().valued_factor == 3
    assert offer(agent, late, "partial_refund", "75").status == "granted"


# --- deciding -------------------------------------------------------------------------


def test_the_team_lead_approves_and_the_agent_is_told(agent, lead, late):
    asked = offer(agent, late, "voucher", "40")

    granted = services.goodwill_decide(
        actor=lead, offer=asked, approve=True, note="Stammkundin"
    )

    assert (granted.status, granted.decided_by) == ("granted", lead)
    assert CODE.match(granted.code)
    assert granted.decision_note == "Stammkundin"
    told = Notification.objects.get(user=agent)
    assert "approved" in told.title and granted.code in told.body
    assert [e.payload["code"] for e in events("goodwill.granted")] == [granted.code]
    assert TimelineEntry.objects.filter(kind="goodwill").count() == 2


def test_a_rejection_is_recorded_and_told(agent, lead, late):
    asked = offer(agent, late, "partial_refund", "60")

    rejected = services.goodwill_decide(actor=lead, offer=asked, approve=False)

    assert (rejected.status, rejected.code) == ("rejected", "")
    assert events("goodwill.rejected") and not events("goodwill.granted")
    assert "rejected" in Notification.objects.get(user=agent).title


def test_a_team_lead_may_not_approve_above_their_limit(agent, lead, admin, late):
    asked = offer(agent, late, "partial_refund", "150")

    with pytest.raises(PermissionDenied):
        services.goodwill_decide(actor=lead, offer=asked, approve=True)
    assert services.goodwill_decide(actor=admin, offer=asked, approve=True).status == (
        "granted"
    )


def test_nobody_approves_their_own_request(lead, late):
    asked = offer(lead, late, "partial_refund", "150")

    with pytest.raises(PermissionDenied):
        services.goodwill_decide(actor=lead, offer=asked, approve=True)


def test_a_decision_is_taken_once(agent, lead, late):
    asked = offer(agent, late, "partial_refund", "50")
    services.goodwill_decide(actor=lead, offer=asked, approve=True)

    with pytest.raises(ValidationError, match="already decided"):
        services.goodwill_decide(actor=lead, offer=asked, approve=False)
    assert len(events("goodwill.granted")) == 1


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["zehn", "0", "-5", "1e9", "NaN", ""])
def test_a_bad_amount_is_refused_and_nothing_is_written(agent, late, amount):
    with pytest.raises(ValidationError) as error:
        offer(agent, late, "voucher", amount)

    assert "amount" in error.value.message_dict
    assert not GoodwillOffer.objects.exists()
    assert not TimelineEntry.objects.filter(kind="goodwill").exists()


def test_a_german_decimal_comma_is_understood(agent, late):
    assert offer(agent, late, "free_return", "5,90").amount == Decimal("5.90")


def test_a_kind_outside_the_plans_catalogue_is_refused(agent, late):
    with pytest.raises(ValidationError) as error:
        offer(agent, late, "replacement", "20")

    assert "catalogue" in error.value.message_dict["kind"][0]


def test_without_a_plan_there_is_no_goodwill(agent, anna, desk):
    question = open_ticket(anna, "Frage", category="question")

    with pytest.raises(ValidationError, match="no active crisis plan"):
        offer(agent, question)


def test_a_user_without_the_service_desk_may_not_offer(read_only_nord, late):
    with pytest.raises(PermissionDenied):
        offer(read_only_nord, late)


# --- the checklist and the answer -----------------------------------------------------


def test_a_step_is_ticked_once_and_can_be_taken_back(agent, late):
    step = CrisisPlan.objects.get(category="late_delivery").steps.first()

    for _ in range(2):
        services.crisis_step_toggle(actor=agent, ticket=late, step=step, done=True)
    assert StepDone.objects.get().done_by == agent
    assert len(events("ticket.step_done")) == 1

    services.crisis_step_toggle(actor=agent, ticket=late, step=step, done=False)
    assert not StepDone.objects.exists()


def test_a_step_of_another_plan_is_refused(agent, late):
    step = CrisisPlan.objects.get(category="complaint").steps.first()

    with pytest.raises(ValidationError):
        services.crisis_step_toggle(actor=agent, ticket=late, step=step, done=True)


def test_the_plans_answer_is_written_for_the_customer(desk):
    placed, _shipment = late_parcel()
    domain_events.dispatch_pending()  # the late parcel opens its ticket
    ticket = Ticket.objects.get(order=placed)
    plan = services.crisis_plan_for(ticket)

    text, problem = services.plan_response(ticket=ticket, plan=plan)

    assert problem == ""
    assert text.startswith("Guten Tag Erika Mustermann,")
    assert f"Ihre Bestellung {placed.number} noch nicht" in text


def test_a_record_the_ticket_lacks_leaves_a_gap_to_fill(anna, late):
    plan = services.crisis_plan_for(late)  # the answer names the order; none here

    text, problem = services.plan_response(ticket=late, plan=plan)

    assert text.startswith("Guten Tag Anna Weber,")
    assert "Ihre Bestellung [order.number] noch nicht" in text
    assert problem == "This ticket has no order."


def test_an_answer_that_cannot_be_rendered_comes_back_as_written(admin, late):
    plan = CrisisPlan.objects.get(category="late_delivery")
    CrisisPlan.objects.filter(pk=plan.pk).update(response_de="{{ salutation + 1 }}")
    plan.refresh_from_db()

    text, problem = services.plan_response(ticket=late, plan=plan)

    assert text == "{{ salutation + 1 }}" and problem


# --- plans ----------------------------------------------------------------------------


def test_a_plan_is_saved_with_its_steps_and_catalogue(admin):
    plan = services.crisis_plan_save(
        actor=admin, category="question", name="Fragen", solution_hours=8,
        steps=["Lesen", "", "  Antworten "], response_de="{{ salutation }},",
        options=[{"kind": "voucher", "label": "", "amount": "5"}],
        agent_limit=Decimal("10"), team_lead_limit=Decimal("20"),
    )  # fmt: skip

    assert [s.text for s in plan.steps.all()] == ["Lesen", "Antworten"]
    assert [(o.kind, o.amount) for o in plan.options.all()] == [
        ("voucher", Decimal("5.00"))
    ]
    assert AuditEntry.objects.filter(object_id=plan.pk, action="create").exists()


def test_changing_the_steps_keeps_the_ticks_of_steps_that_stay(admin, agent, late):
    plan = CrisisPlan.objects.get(category="late_delivery")
    kept, dropped = plan.steps.all()[0], plan.steps.all()[1]
    for step in (kept, dropped):
        services.crisis_step_toggle(actor=agent, ticket=late, step=step, done=True)

    services.crisis_plan_save(actor=admin, plan=plan, steps=["Neu zuerst", kept.text])

    assert [s.text for s in plan.steps.all()] == ["Neu zuerst", kept.text]
    assert list(StepDone.objects.values_list("step_id", flat=True)) == [kept.pk]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"response_de": "{{ kunde.name }}"}, "response_de"),
        ({"response_en": "{% for %}"}, "response_en"),
        ({"agent_limit": Decimal("200")}, "team_lead_limit"),
        ({"options": [{"kind": "voucher", "amount": "-1"}]}, "options"),
        ({"options": [{"kind": "gold", "amount": "1"}]}, "options"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(admin, data, field):
    plan = CrisisPlan.objects.get(category="late_delivery")
    before = plan.updated_at

    with pytest.raises(ValidationError) as error:
        services.crisis_plan_save(actor=admin, plan=plan, **data)

    assert field in error.value.message_dict
    plan.refresh_from_db()
    assert plan.updated_at == before and plan.options.count() == 3


def test_an_unknown_merge_field_is_refused_with_its_line(admin):
    with pytest.raises(ValidationError) as error:
        services.crisis_plan_save(
            actor=admin, category="praise", name="Lob",
            response_de="Hallo,\n{{ kunde.name }}",
        )  # fmt: skip

    assert error.value.message_dict["response_de"] == [
        "Line 2: Unknown merge field “kunde”."
    ]


def test_only_administrators_set_plans_up(agent):
    with pytest.raises(PermissionDenied):
        services.crisis_plan_save(actor=agent, category="praise", name="Lob")


def test_a_deleted_plan_leaves_its_offers(admin, agent, late):
    granted = offer(agent, late)

    services.crisis_plan_delete(
        actor=admin, plan=CrisisPlan.objects.get(category="late_delivery")
    )

    granted.refresh_from_db()
    assert granted.status == "granted"
