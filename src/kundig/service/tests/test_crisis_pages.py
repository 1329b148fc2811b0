"""The crisis plan's card on a ticket, goodwill in two clicks, the approvals page,
and the crisis plans for administrators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kundig.core.models import AuditEntry
from kundig.service import services
from kundig.service.models import CrisisPlan, GoodwillOffer, ServiceSettings, StepDone
from kundig.service.tests.conftest import english
from kundig.service.tests.test_crisis import offer
from kundig.service.tests.test_sla_pages import text

pytestmark = pytest.mark.django_db


def card(response) -> str:
    page = text(response)
    return page[page.index('id="crisis-plan"') :].split('id="change"')[0]


def offer_form(option_kind="voucher", amount="10", key="k1", **extra):
    label = {"voucher": "Gutschein", "partial_refund": "Teilerstattung"}
    return {
        "kind": option_kind, "label": label.get(option_kind, ""), "amount": amount,
        "key": key, "reason": "", **extra,
    }  # fmt: skip


# --- the card -------------------------------------------------------------------------


def test_a_ticket_shows_its_categorys_plan(agent, late, client_for):
    shown = card(client_for(agent).get(late.get_absolute_url()))

    assert "Lieferverzug" in shown
    assert "Sendungsverfolgung prüfen" in shown and "0/4" in shown
    assert "Plan: solve by" in shown
    assert "you grant up to 25.00" in shown
    for option in ("Gutschein", "Kostenlose Rücksendung", "Teilerstattung"):
        assert option in shown
    assert "Start the reply from the plan's answer" in shown


def test_a_ticket_without_a_plan_shows_no_card(agent, anna, desk, client_for):
    from kundig.service.tests.test_pages import open_ticket

    question = open_ticket(anna, "Frage", category="question")

    page = text(client_for(agent).get(question.get_absolute_url()))

    assert 'id="crisis-plan"' not in page


def test_who_only_reads_sees_the_plan_without_buttons(
    read_only_nord, anna, late, client_for
):
    late.assignee = read_only_nord  # (assigned, so they see it)
    late.save()

    shown = card(client_for(read_only_nord).get(late.get_absolute_url()))

    assert "Sendungsverfolgung prüfen" in shown
    assert "<button" not in shown and "Goodwill" not in shown


def test_the_page_makes_as_many_queries_with_many_offers_as_with_one(
    agent, lead, late, client_for
):
    client = client_for(agent)
    client.get(late.get_absolute_url())  # the session's first request writes

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(late.get_absolute_url()).status_code == 200
        return len(queries)

    offer(agent, late)
    one = count_queries()
    for amount in ("5", "6", "60", "70"):
        offer(agent, late, "partial_refund", amount)

    assert count_queries() == one


def test_the_team_lead_sees_many_requests_in_as_many_queries_as_one(
    agent, lead, anna, late, client_for
):
    client = client_for(lead)
    client.get(late.get_absolute_url())  # the session's first request writes
    other = services.ticket_open(
        actor=None, contact=anna, subject="Defekt", channel="web", category="handling"
    )

    def count_queries(url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    offer(agent, late, "partial_refund", "50")
    offer(agent, other, "replacement", "40")
    approvals = reverse("service:goodwill_approvals")
    one = count_queries(late.get_absolute_url()), count_queries(approvals)
    for amount in ("51", "52", "53"):
        offer(agent, late, "partial_refund", amount)
        offer(agent, other, "replacement", amount)

    assert len(client.get(approvals).context["waiting"]) == 8
    assert (count_queries(late.get_absolute_url()), count_queries(approvals)) == one


def test_ticking_a_step_by_htmx_returns_the_card(agent, late, client_for):
    step = CrisisPlan.objects.get(category="late_delivery").steps.first()
    url = reverse("service:ticket_step", args=[late.pk, step.pk])

    response = client_for(agent).post(url, {"done": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert (
        response.content.decode()
        .lstrip()
        .startswith('<div class="card mb-3" id="crisis-plan">')
    )
    assert "1/4" in response.content.decode()
    assert StepDone.objects.filter(ticket=late, step=step).exists()


def test_ticking_without_htmx_comes_back_to_the_card(agent, late, client_for):
    step = CrisisPlan.objects.get(category="late_delivery").steps.first()
    url = reverse("service:ticket_step", args=[late.pk, step.pk])

    response = client_for(agent).post(url, {"done": "1"})

    assert response.url.endswith("#crisis-plan")


def test_the_plans_answer_fills_the_reply(agent, late, client_for):
    response = client_for(agent).get(late.get_absolute_url(), {"answer": "plan"})

    reply = response.context["reply_form"]
    assert reply.initial["text"].startswith("Guten Tag Anna Weber,")
    # no order on this ticket: a gap to fill in, and a word why
    assert "Ihre Bestellung [order.number] noch nicht" in reply.initial["text"]
    assert "This ticket has no order." in text(response)


# --- goodwill in two clicks -----------------------------------------------------------


def test_an_agent_grants_a_voucher_and_sees_its_code(agent, late, client_for):
    client = client_for(agent)

    response = client.post(
        reverse("service:ticket_goodwill", args=[late.pk]), offer_form(), follow=True
    )

    granted = GoodwillOffer.objects.get()
    assert granted.status == "granted"
    page = text(response)
    assert f"Code {granted.code}." in page
    assert f'<code class="user-select-all">{granted.code}</code>' in page


def test_a_refund_above_the_limit_goes_to_the_team_lead(agent, lead, late, client_for):
    client = client_for(agent)
    client.post(
        reverse("service:ticket_goodwill", args=[late.pk]),
        offer_form("partial_refund", "50", reason="5 Tage zu spät"),
    )
    asked = GoodwillOffer.objects.get()
    assert (asked.status, asked.approver) == ("pending", lead)

    # the team lead finds it on the ticket and on the approvals page …
    lea = client_for(lead)
    assert "Approve" in card(lea.get(late.get_absolute_url()))
    approvals = lea.get(reverse("service:goodwill_approvals"))
    assert [o.pk for o in approvals.context["waiting"]] == [asked.pk]
    assert "5 Tage zu spät" in text(approvals)
    # … the agent does not
    assert "Approve" not in card(client.get(late.get_absolute_url()))
    assert client.get(reverse("service:goodwill_approvals")).context["waiting"] == []

    response = lea.post(
        reverse("service:goodwill_decide", args=[asked.pk]),
        {
            "decision": "approve",
            "note": "ok",
            "next": reverse("service:goodwill_approvals"),
        },
    )

    assert response.url == reverse("service:goodwill_approvals")
    asked.refresh_from_db()
    assert (asked.status, asked.decided_by) == ("granted", lead)


def test_a_bad_amount_is_shown_at_the_field(agent, late, client_for):
    response = client_for(agent).post(
        reverse("service:ticket_goodwill", args=[late.pk]), offer_form(amount="zehn")
    )

    assert response.status_code == 422
    assert "Give an amount such as 10 or 12.50." in text(response)
    assert not GoodwillOffer.objects.exists()


def test_a_double_click_offers_once(agent, late, client_for):
    client = client_for(agent)
    url = reverse("service:ticket_goodwill", args=[late.pk])

    for _ in range(2):
        assert client.post(url, offer_form(key="twice")).status_code == 302

    assert GoodwillOffer.objects.count() == 1


def test_someone_who_may_not_see_the_customer_cannot_decide(
    agent, late, sales_sued, client_for
):
    asked = offer(agent, late, "partial_refund", "50")
    client = client_for(sales_sued)

    assert client.get(reverse("service:goodwill_approvals")).context["waiting"] == []
    response = client.post(
        reverse("service:goodwill_decide", args=[asked.pk]), {"decision": "approve"}
    )

    assert response.status_code == 404
    assert GoodwillOffer.objects.get().status == "pending"


def test_a_next_address_elsewhere_is_not_followed(agent, lead, late, client_for):
    asked = offer(agent, late, "partial_refund", "50")

    response = client_for(lead).post(
        reverse("service:goodwill_decide", args=[asked.pk]),
        {"decision": "reject", "next": "https://evil.example/"},
    )

    assert response.url == late.get_absolute_url()


def test_the_approvals_page_says_when_nothing_waits(agent, client_for):
    page = text(client_for(agent).get(reverse("service:goodwill_approvals")))

    assert "Nothing waits for you." in page
    assert "You have not offered goodwill yet." in page


# --- plans for administrators ---------------------------------------------------------


def test_the_plans_list_shows_the_plans_and_the_categories_without_one(
    admin, client_for
):
    page = text(client_for(english(admin)).get(reverse("service:crisis_plan_list")))

    assert "Lieferverzug" in page and "Beschwerde" in page
    assert "Categories without a plan" in page and "Warranty" in page


def test_an_administrator_creates_a_plan_with_its_catalogue(admin, client_for):
    data = {
        "category": "warranty", "name": "Garantie", "responsible": "",
        "solution_hours": "24", "steps": "Kaufbeleg prüfen\nHersteller fragen",
        "response_de": "{{ salutation }},", "response_en": "",
        "agent_limit": "20", "team_lead_limit": "80", "is_active": "on",
        "options-TOTAL_FORMS": "2", "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0", "options-MAX_NUM_FORMS": "20",
        "options-0-kind": "replacement", "options-0-label": "Ersatz",
        "options-0-amount": "49.90", "options-1-kind": "", "options-1-label": "",
        "options-1-amount": "",
    }  # fmt: skip

    response = client_for(admin).post(reverse("service:crisis_plan_create"), data)

    assert response.status_code == 302
    plan = CrisisPlan.objects.get(category="warranty")
    assert [s.text for s in plan.steps.all()] == [
        "Kaufbeleg prüfen",
        "Hersteller fragen",
    ]
    assert [(o.kind, o.label, o.amount) for o in plan.options.all()] == [
        ("replacement", "Ersatz", Decimal("49.90"))
    ]


def test_a_plan_form_with_errors_names_them(admin, client_for):
    plan = CrisisPlan.objects.get(category="late_delivery")
    data = {
        "category": "late_delivery", "name": "Lieferverzug", "steps": "",
        "response_de": "{{ kunde }}", "response_en": "", "agent_limit": "30",
        "team_lead_limit": "10", "options-TOTAL_FORMS": "1",
        "options-INITIAL_FORMS": "0", "options-0-kind": "voucher",
        "options-0-amount": "",
    }  # fmt: skip

    response = client_for(english(admin)).post(plan.get_absolute_url(), data)

    assert response.status_code == 422
    page = text(response)
    assert "Give the amount it suggests." in page
    plan.refresh_from_db()
    assert plan.options.count() == 3 and plan.steps.count() == 4


def test_the_plan_form_shows_the_plan_and_deleting_removes_it(admin, client_for):
    plan = CrisisPlan.objects.get(category="complaint")
    client = client_for(admin)

    form = client.get(plan.get_absolute_url())
    assert "Kunde anrufen" in text(form)
    assert form.context["options"].initial[0]["label"] == "Gutschein"

    client.post(reverse("service:crisis_plan_delete", args=[plan.pk]))
    assert not CrisisPlan.objects.filter(pk=plan.pk).exists()
    assert AuditEntry.objects.filter(object_id=plan.pk, action="delete").exists()


def test_agents_may_not_set_plans_up(agent, client_for):
    client = client_for(agent)

    assert client.get(reverse("service:crisis_plan_list")).status_code == 403
    assert client.post(reverse("service:crisis_plan_create"), {}).status_code == 403


def test_valued_customers_are_set_on_the_queues_page(admin, client_for):
    response = client_for(admin).post(
        reverse("service:queue_list"),
        {"form": "valued", "valued_revenue": "500", "valued_factor": "1.5"},
    )

    assert response.status_code == 302
    current = ServiceSettings.current()
    assert (current.valued_revenue, current.valued_factor) == (
        Decimal("500.00"), Decimal("1.50"),
    )  # fmt: skip


def test_a_factor_below_one_is_refused(admin, client_for):
    response = client_for(admin).post(
        reverse("service:queue_list"),
        {"form": "valued", "valued_revenue": "500", "valued_factor": "0.5"},
    )

    assert response.status_code == 422
    assert ServiceSettings.current().valued_factor == Decimal("2.00")
