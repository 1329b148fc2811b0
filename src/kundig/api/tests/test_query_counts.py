"""Query counts: a page of 20 records costs the same queries as a page of one.

The numbers are pinned so that a new N+1 (or a lost prefetch) fails here.
Each request is made once before it is measured, so that the token's
"last used" stamp (written at most once a minute) does not count.
"""

import pytest
from django.db import connection

from kundig.activity.services import task_create, timeline_add
from kundig.contacts.services import (
    CompanyLinkData,
    EmailData,
    PhoneData,
    contact_create,
)
from kundig.core.models import CustomFieldDefinition
from kundig.core.services import custom_field_save


@pytest.fixture
def api(sales_nord, api_as, admin):
    custom_field_save(
        definition=CustomFieldDefinition(
            entity="contact", key="vip", label="VIP", field_type="boolean"
        ),
        actor=admin,
    )
    return api_as(sales_nord)


@pytest.fixture
def rich_contact(sales_nord, make_company):
    """Create a contact with everything a row shows: emails, phones, companies, tags."""
    counter = iter(range(10_000))

    def make():
        n = next(counter)
        companies = [make_company(sales_nord) for _ in range(2)]
        return contact_create(
            actor=sales_nord,
            fields={"first_name": "Anna", "last_name": f"Muster{n}"},
            emails=[EmailData(f"a{n}@x.de", is_primary=True), EmailData(f"b{n}@x.de")],
            phones=[PhoneData(f"+4915112345{n:03d}")],
            companies=[CompanyLinkData(c.pk) for c in companies],
            tags=["A", "B"],
            custom={"vip": True},
        )

    return make


def queries_of(django_assert_num_queries, api, path, expected, params=None):
    assert api.get(path, params).status_code == 200  # warm up the token
    with django_assert_num_queries(expected):
        response = api.get(path, params)
    assert response.status_code == 200
    return response.json()


# token, the filter's owner choices, contacts, primary emails, primary phones,
# visible company links, tags, custom field definitions
CONTACT_LIST = 7
CONTACT_LIST_FILTERED = CONTACT_LIST + 1  # the tag filter checks its tag names
# PostgreSQL looks the search words up in its dictionary of names first.
SEARCH_WORDS = 1 if connection.vendor == "postgresql" else 0
# token, owner choices, companies, tags, addresses, custom field definitions
COMPANY_LIST = 5
TASK_LIST = 2  # token, tasks with their people and records
TIMELINE_LIST = 2  # token, entries with their actors and records
CONTACT_TIMELINE = 3  # token, contact, entries
# token, contact, emails, phones, addresses, tags, company links, definitions
CONTACT_DETAIL = 8


@pytest.mark.parametrize("rows", [1, 20])
def test_the_contact_list_costs_the_same_for_1_or_20_rows(
    django_assert_num_queries, api, rich_contact, rows
):
    for _ in range(rows):
        rich_contact()

    body = queries_of(django_assert_num_queries, api, "/contacts", CONTACT_LIST)

    assert len(body["results"]) == rows
    assert all(len(row["companies"]) == 2 for row in body["results"])


@pytest.mark.parametrize("rows", [1, 20])
def test_a_searched_and_filtered_contact_list_costs_the_same(
    django_assert_num_queries, api, rich_contact, rows
):
    for _ in range(rows):
        rich_contact()

    body = queries_of(
        django_assert_num_queries,
        api,
        "/contacts",
        CONTACT_LIST_FILTERED + SEARCH_WORDS,
        {"q": "anna", "tag": "A", "stage": "lead", "sort": "name"},
    )

    assert len(body["results"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_the_company_list_costs_the_same_for_1_or_20_rows(
    django_assert_num_queries, api, sales_nord, make_company, rows
):
    for _ in range(rows):
        api.post(
            "/companies",
            {
                "name": "Firma",
                "tags": ["X"],
                "addresses": [{"street": "A 1", "postcode": "10115", "city": "B"}],
            },
        )

    body = queries_of(django_assert_num_queries, api, "/companies", COMPANY_LIST)

    assert len(body["results"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_the_task_list_costs_the_same_for_1_or_20_rows(
    django_assert_num_queries,
    api,
    sales_nord,
    rich_contact,
    make_company,
    tomorrow,
    rows,
):
    contact, company = rich_contact(), make_company(sales_nord)
    for _ in range(rows):
        task_create(
            actor=sales_nord,
            title="T",
            due_at=tomorrow,
            contact=contact,
            company=company,
        )

    body = queries_of(django_assert_num_queries, api, "/tasks", TASK_LIST)

    assert len(body["results"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_the_timelines_cost_the_same_for_1_or_20_entries(
    django_assert_num_queries, api, sales_nord, rich_contact, rows
):
    contact = rich_contact()
    for _ in range(rows):
        timeline_add(actor=sales_nord, kind="note", contact=contact, body="Notiz")

    nested = queries_of(
        django_assert_num_queries,
        api,
        f"/contacts/{contact.pk}/timeline",
        CONTACT_TIMELINE,
    )
    everywhere = queries_of(django_assert_num_queries, api, "/timeline", TIMELINE_LIST)

    assert len(nested["results"]) == len(everywhere["results"]) == rows


@pytest.mark.parametrize("links", [1, 8])
def test_a_contacts_detail_costs_the_same_however_much_it_holds(
    django_assert_num_queries, api, sales_nord, make_company, links
):
    companies = [make_company(sales_nord) for _ in range(links)]
    contact = contact_create(
        actor=sales_nord,
        fields={"last_name": "Voll"},
        emails=[EmailData(f"{i}@x.de") for i in range(links)],
        phones=[PhoneData(f"+4915112345{i:03d}") for i in range(links)],
        companies=[CompanyLinkData(c.pk) for c in companies],
        tags=[f"T{i}" for i in range(links)],
    )

    body = queries_of(
        django_assert_num_queries, api, f"/contacts/{contact.pk}", CONTACT_DETAIL
    )

    assert len(body["companies"]) == len(body["emails"]) == links
