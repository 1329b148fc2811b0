"""The tour a new user takes, in a real headless browser (see README, "Done when").

Find a customer by a misspelled name, open the 360° page, add a note and a
follow-up task for tomorrow and see both on the timeline; a contact created
through the API appears in the UI, and a sales user of another team cannot
see it.
"""

import httpx
import pytest
from playwright.sync_api import expect

from kundig.activity.models import Task, TimelineEntry
from kundig.conftest import sign_in
from kundig.core.services import token_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_a_customer_by_a_misspelled_name_and_note_and_plan_a_follow_up(
    page, sales_nord, make_contact
):
    # given a customer "Jürgen Müller"
    make_contact(
        sales_nord, first_name="Jürgen", last_name="Müller", phone="0151 23456789"
    )
    make_contact(sales_nord, first_name="Anna", last_name="Schmidt")
    sign_in(page, sales_nord)

    # when the user types a misspelled name into the search box
    page.fill("#global-search", "Mueler")
    result = page.locator("#search-results a.dropdown-item", has_text="Jürgen Müller")
    expect(result).to_be_visible()
    result.click()

    # then the 360° page opens
    expect(page.locator("h1")).to_contain_text("Jürgen Müller")

    # when they write a note and save it (two clicks: tab, save)
    page.get_by_role("button", name="Notiz").click()
    page.locator("#log-form textarea[name=body]").fill(
        "Wünscht Rückruf wegen der Lieferung."
    )
    page.locator("#log-form button[type=submit]").click()
    expect(page.locator("#timeline-entries")).to_contain_text("Wünscht Rückruf")

    # and add a follow-up task for tomorrow
    page.get_by_role("button", name="Aufgabe").first.click()
    page.locator("#task-form input[name=title]").fill("Rückruf Lieferung")
    page.locator("#task-form label", has_text="Morgen").click()
    page.locator("#task-form button[type=submit]").click()

    # then both are on the timeline, and stay there after a reload
    expect(page.locator("#upcoming")).to_contain_text("Rückruf Lieferung")
    page.reload()
    expect(page.locator("#upcoming")).to_contain_text("Rückruf Lieferung")
    expect(page.locator("#timeline-entries")).to_contain_text("Wünscht Rückruf")
    assert TimelineEntry.objects.filter(kind="note").count() == 1
    assert Task.objects.get().assignee == sales_nord


def test_a_contact_created_through_the_api_is_visible_to_its_team_only(
    page, live_server, sales_nord, sales_sued, browser
):
    # given an API token of a sales user in team Nord
    _token, plain = token_create(user=sales_nord, name="Shop")

    # when a contact is created through the API over real HTTP
    response = httpx.post(
        f"{live_server.url}/api/v1/contacts",
        headers={"Authorization": f"Bearer {plain}"},
        json={
            "first_name": "Björn",
            "last_name": "Schäfer",
            "salutation": "Herr",
            "email": "bjoern.schaefer@example.de",
            "phone": "+49 30 1234567",
        },
    )
    assert response.status_code == 201, response.text
    contact_id = response.json()["id"]

    # then the creator finds it in the UI
    sign_in(page, sales_nord)
    page.goto("/contacts/?q=Schaefer")
    expect(page.locator("#contact-results")).to_contain_text("Björn Schäfer")

    # and a sales user of another team cannot see it anywhere
    other = browser.new_context(base_url=live_server.url, locale="de-DE")
    try:
        tab = other.new_page()
        sign_in(tab, sales_sued)
        tab.goto("/contacts/?q=Schaefer")
        expect(tab.locator("#contact-results")).not_to_contain_text("Björn")
        answer = tab.goto(f"/contacts/{contact_id}/")
        assert answer.status == 404
    finally:
        other.close()


def test_the_contact_page_works_on_a_phone(
    browser, live_server, sales_nord, make_contact
):
    contact = make_contact(sales_nord, first_name="Jürgen", last_name="Müller")
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    try:
        tab = context.new_page()
        sign_in(tab, sales_nord)
        tab.goto(f"/contacts/{contact.pk}/")
        expect(tab.locator("h1")).to_contain_text("Jürgen Müller")
        # nothing is wider than the screen
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # the menu opens from the burger button
        tab.locator(".navbar-toggler").click()
        expect(tab.get_by_role("link", name="Kontakte")).to_be_visible()
    finally:
        context.close()
