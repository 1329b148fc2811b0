"""The service desk in a real headless browser: on a late-delivery ticket,
tick a plan's step, grant a voucher in two clicks, ask for a refund above the
limit, and the team lead approves it; the dashboard draws its charts."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from kundig.core.choices import Role
from kundig.service import services
from kundig.service.models import (
    ArticleCategory,
    GoodwillOffer,
    Queue,
    StepDone,
    Ticket,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where a test leaves a picture of what it saw (ignored by git).
SCREENSHOTS = Path(tempfile.gettempdir()) / "kundig-screenshots"
SCREENSHOTS.mkdir(exist_ok=True)


@pytest.fixture
def desk_db():
    """The default queue and plans, as the migrations leave them."""
    _default_plans_and_queue()


def _default_plans_and_queue() -> None:
    """What the data migrations made (a transactional test's flush removes it)."""
    for name in ("0002_default_queue", "0008_default_crisis_plans"):
        importlib.import_module(f"kundig.service.migrations.{name}").create(apps, None)


def test_an_agent_offers_goodwill_and_the_team_lead_approves(
    page, sign_in_as, persona_password, make_contact, sales_nord, service_agent, admin
):
    _default_plans_and_queue()
    lead = type(service_agent).objects.create_user(
        email="lea@kundig.test", password=persona_password, role=Role.SERVICE,
        first_name="Lea", last_name="Lead",
    )  # fmt: skip
    queue = Queue.objects.get(is_default=True)
    queue.team_lead, queue.escalation_owner = lead, admin
    queue.save()
    anna = make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )
    ticket = services.ticket_open(
        actor=None, contact=anna, subject="Wo bleibt mein Paket?", channel="web",
        category="late_delivery",
    )  # fmt: skip
    sign_in_as(service_agent)
    page.goto(ticket.get_absolute_url())
    plan = page.locator("#crisis-plan")
    expect(plan).to_contain_text("Sendungsverfolgung prüfen")

    # a step ticked off by htmx, without leaving the page
    plan.locator("form[action*='/steps/'] button").first.click()
    expect(page.locator("#crisis-plan")).to_contain_text("1/4")
    assert StepDone.objects.count() == 1

    # two clicks: the voucher, then Offer
    page.locator("#goodwill summary", has_text="Gutschein").click()
    page.locator("#goodwill details[open] button.btn-primary").click()
    expect(page.locator("#offers code")).to_be_visible()
    voucher = GoodwillOffer.objects.get()
    assert voucher.status == "granted"
    expect(page.locator("#offers")).to_contain_text(voucher.code)

    # the refund of 50 € is above the agent's 25 €
    page.locator("#goodwill summary", has_text="Teilerstattung").click()
    page.locator("#goodwill details[open] input[name=reason]").fill("5 Tage zu spät")
    page.locator("#goodwill details[open] button.btn-primary").click()
    expect(page.locator("#offers [data-offer=pending]")).to_be_visible()

    # the team lead approves it from the approvals page
    page.context.clear_cookies()
    sign_in_as(lead)
    page.goto(reverse("service:goodwill_approvals"))
    expect(page.locator("[data-offer]")).to_contain_text("5 Tage zu spät")
    page.locator("button[name=decision][value=approve]").click()
    expect(page.locator("[data-offer]")).to_have_count(0)
    refund = GoodwillOffer.objects.get(kind="partial_refund")
    assert (refund.status, refund.decided_by) == ("granted", lead)


def test_the_dashboard_draws_its_charts(page, sign_in_as, service_agent, make_contact,
                                        sales_nord):  # fmt: skip
    _default_plans_and_queue()
    anna = make_contact(sales_nord, first_name="Anna", last_name="Weber")
    for n in range(3):
        services.ticket_open(
            actor=None, contact=anna, subject=f"Frage {n}", channel="web",
            category="question",
        )  # fmt: skip
    sign_in_as(service_agent)

    page.goto(reverse("service:dashboard"))

    chart = page.locator("[data-chart]").first
    expect(chart.locator("svg")).to_be_visible()
    expect(page.locator("#kpis")).to_contain_text("3")
    page.screenshot(path=str(SCREENSHOTS / "service-dashboard.png"), full_page=True)


def test_the_chat_widget_on_a_shop_page(page, live_server, service_agent, desk_db):
    category = ArticleCategory.objects.create(name="Versand", language="de")
    services.article_save(
        actor=service_agent, category=category, language="de",
        title="Wann kommt mein Paket?", slug="paket",
        body="Meist nach zwei bis drei Werktagen.", is_published=True,
    )  # fmt: skip
    page.set_content(
        "<html><body><h1>Bergfreunde</h1>"
        f'<script src="{live_server.url}/chat/widget.js" data-lang="de"></script>'
        "</body></html>"
    )

    page.click("#kundig-chat-button")
    chat = page.frame_locator("#kundig-chat-frame")
    chat.locator("#question").fill("Meine Lieferung ist noch nicht da")
    chat.locator("#ask button").click()
    expect(chat.locator("#articles")).to_contain_text("Wann kommt mein Paket?")
    chat.locator("#person").click()
    chat.locator("#name").fill("Max Muster")
    chat.locator("#email").fill("max@example.de")
    chat.locator("#start button").click()
    expect(chat.locator("#log")).to_contain_text("Meine Lieferung ist noch nicht da")

    ticket = Ticket.objects.get(channel="chat")
    services.ticket_reply(
        actor=service_agent, ticket=ticket, text="Ich schaue gleich nach.", key="b1"
    )
    expect(chat.locator("#log")).to_contain_text("Ich schaue gleich nach.")

    chat.locator("#text").fill('<img src=x onerror="window.pwned=1">')
    chat.locator("#send button").click()
    expect(chat.locator("#log .visitor").last).to_contain_text("<img src=x")
    assert chat.locator("#log img").count() == 0
