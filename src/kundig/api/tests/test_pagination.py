"""Cursor pagination: every record once, in a stable order, come what may."""

import datetime as dt

import pytest
from django.utils import timezone

from kundig.activity.services import task_create, timeline_add

from .conftest import walk


@pytest.fixture
def contacts(sales_nord, make_contact):
    names = ["Weber", "Abel", "Meier", "Abel", "Zorn", "Huber", "Meier"]
    return [make_contact(sales_nord, last_name=name) for name in names]


def test_the_default_page_size_is_50(sales_nord, api_as, make_contact):
    for _ in range(51):
        make_contact(sales_nord)
    api = api_as(sales_nord)

    first = api.get("/contacts").json()
    second = api.get("/contacts", {"cursor": first["next"]}).json()

    assert len(first["results"]) == 50
    assert len(second["results"]) == 1
    assert second["next"] is None


def test_walking_the_pages_returns_every_contact_once_in_id_order(
    sales_nord, api_as, contacts
):
    rows = walk(api_as(sales_nord), "/contacts", {"page_size": 3})

    assert [row["id"] for row in rows] == [c.pk for c in contacts]


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-updated", "stage"])
def test_walking_a_sorted_list_returns_every_contact_once_in_that_order(
    sales_nord, api_as, contacts, sort
):
    api = api_as(sales_nord)
    everything = api.get("/contacts", {"sort": sort, "page_size": 200}).json()

    rows = walk(api, "/contacts", {"sort": sort, "page_size": 2})

    assert [row["id"] for row in rows] == [r["id"] for r in everything["results"]]
    assert sorted(row["id"] for row in rows) == sorted(c.pk for c in contacts)


def test_records_added_or_removed_between_pages_cause_no_repeats_or_gaps(
    sales_nord, manager_nord, api_as, contacts, make_contact
):
    api = api_as(sales_nord)
    first = api.get("/contacts", {"sort": "name", "page_size": 3}).json()
    seen = [row["id"] for row in first["results"]]

    # when someone deletes a seen contact and adds one that sorts first
    api_as(manager_nord).delete(f"/contacts/{seen[0]}")
    make_contact(sales_nord, last_name="Aaron")
    rest = walk(
        api, "/contacts", {"sort": "name", "page_size": 3, "cursor": first["next"]}
    )

    # then the walk goes on after the last seen row, without repeats or gaps
    remaining = {c.pk for c in contacts} - set(seen)
    assert {row["id"] for row in rest} == remaining
    assert not set(seen) & {row["id"] for row in rest}


def test_a_cursor_of_another_sort_order_is_refused(sales_nord, api_as, contacts):
    api = api_as(sales_nord)
    cursor = api.get("/contacts", {"sort": "name", "page_size": 2}).json()["next"]

    response = api.get("/contacts", {"sort": "-created", "cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


@pytest.mark.parametrize(
    "cursor", ["x", "e30", "eyJvIjoiaWQiLCJ2IjpbImFiYyJdfQ", "bnVsbA", "W10"]
)
def test_a_forged_cursor_is_refused_not_a_crash(sales_nord, api_as, contacts, cursor):
    response = api_as(sales_nord).get("/contacts", {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


def test_companies_and_tasks_page_the_same_way(
    sales_nord, api_as, make_company, tomorrow
):
    companies = [make_company(sales_nord) for _ in range(5)]
    tasks = [
        task_create(
            actor=sales_nord, title=f"T{i}", due_at=tomorrow - dt.timedelta(hours=i)
        )
        for i in range(5)
    ]
    api = api_as(sales_nord)

    assert [r["id"] for r in walk(api, "/companies", {"page_size": 2})] == [
        c.pk for c in companies
    ]
    assert [r["id"] for r in walk(api, "/tasks", {"page_size": 2})] == [
        t.pk for t in tasks
    ]
    assert [r["id"] for r in walk(api, "/tasks", {"page_size": 2, "sort": "due"})] == [
        t.pk for t in reversed(tasks)
    ]


def test_the_timeline_pages_newest_first_across_equal_times(
    sales_nord, api_as, make_contact
):
    contact = make_contact(sales_nord)
    moment = timezone.now() - dt.timedelta(hours=1)
    entries = [
        timeline_add(actor=sales_nord, kind="call", contact=contact, occurred_at=moment)
        for _ in range(5)
    ]
    api = api_as(sales_nord)

    nested = walk(api, f"/contacts/{contact.pk}/timeline", {"page_size": 2})
    everywhere = walk(api, "/timeline", {"page_size": 2})

    expected = [e.pk for e in reversed(entries)]
    assert [row["id"] for row in nested] == expected
    assert [row["id"] for row in everywhere] == expected


def test_a_forged_timeline_cursor_is_refused(sales_nord, api_as, make_contact):
    contact = make_contact(sales_nord)

    response = api_as(sales_nord).get(
        f"/contacts/{contact.pk}/timeline", {"cursor": "eyJ0IjoiamEifQ"}
    )

    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


def test_a_forged_cursor_beyond_the_id_range_gives_an_empty_page(
    sales_nord, api_as, contacts
):
    huge = "eyJvIjoiaWQiLCJ2IjpbMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMF19"

    response = api_as(sales_nord).get("/contacts", {"cursor": huge})

    assert response.status_code == 200
    assert response.json() == {"results": [], "next": None}


def test_a_forged_cursor_with_a_bad_date_is_refused(sales_nord, api_as, contacts):
    bad_date = "eyJvIjoiY3JlYXRlZF9hdCxpZCIsInYiOlsiZ2VzdGVybiIsMV19"

    response = api_as(sales_nord).get(
        "/contacts", {"sort": "created", "cursor": bad_date}
    )

    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]
