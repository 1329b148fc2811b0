"""Search-as-you-type: tolerant of typos and umlauts; names, emails, phones, firms."""

import pytest

from kundig.contacts.selectors import (
    contact_quick_search,
    contact_search,
    contacts_visible_to,
)
from kundig.contacts.services import CompanyLinkData, contact_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def juergen(sales_nord, make_contact, make_company):
    contact = make_contact(
        sales_nord,
        first_name="Jürgen",
        last_name="Müller",
        email="j.mueller@web.de",
        phone="0151 23456789",
    )
    company = make_company(sales_nord, name="Schreinerei Größer KG")
    contact_update(
        actor=sales_nord, contact=contact, companies=[CompanyLinkData(company.pk)]
    )
    make_contact(
        sales_nord, first_name="Anna", last_name="Schmidt", email="anna@example.de"
    )
    make_contact(
        sales_nord, first_name="Bernd", last_name="Weber", email="bernd@example.de"
    )
    return contact


@pytest.mark.parametrize(
    "query",
    [
        "Müller",
        "mueller",
        "MUELLER",
        "Muller",  # umlaut dropped
        "Mueler",  # letter missing
        "Jurgen Muller",
        "jürg",  # as you type
        "j.mueller@web",
        "0151 2345",
        "+49151234",
        "Größer",
        "groesser",
    ],
)
def test_it_finds_the_contact_however_the_name_is_typed(sales_nord, juergen, query):
    found = contact_quick_search(user=sales_nord, query=query)

    assert found and found[0] == juergen, query


def test_a_close_misspelling_finds_a_similar_name(sales_nord, juergen):
    found = list(contact_search(contacts_visible_to(sales_nord), "Schmitt"))

    assert [c.last_name for c in found] == ["Schmidt"]


def test_unrelated_words_find_nothing(sales_nord, juergen):
    assert contact_quick_search(user=sales_nord, query="Zyxwvut") == []


def test_search_never_shows_contacts_of_another_team(sales_sued, juergen):
    assert contact_quick_search(user=sales_sued, query="Müller") == []


def test_the_sqlite_search_index_comes_back_after_a_table_rebuild(
    sales_nord, make_contact
):
    from django.db import connection

    from kundig.contacts.search import FTS_TABLES, ensure_sqlite_search_index

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its trigram index through schema changes")
    with connection.cursor() as cursor:  # what SQLite's table rebuild does to triggers
        for fts in FTS_TABLES.values():
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER {fts}_{suffix}")
    contact = make_contact(sales_nord, first_name="Jürgen", last_name="Müller")

    assert ensure_sqlite_search_index(connection) is True
    assert ensure_sqlite_search_index(connection) is False
    assert contact_quick_search(user=sales_nord, query="Mueler") == [contact]


# --- ranking: the name first ------------------------------------------------------


@pytest.fixture
def weber_and_a_weber_employee(sales_nord, make_contact, make_company):
    """Anna Weber, and Aaron Abel, who works at Weber GmbH and mails from there."""
    weber = make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )
    employee = make_contact(
        sales_nord, first_name="Aaron", last_name="Abel", email="abel@weber-gmbh.de"
    )
    company = make_company(sales_nord, name="Weber GmbH")
    contact_update(
        actor=sales_nord, contact=employee, companies=[CompanyLinkData(company.pk)]
    )
    return weber, employee


def test_a_match_in_the_name_outranks_one_in_the_company_or_email(
    sales_nord, weber_and_a_weber_employee
):
    weber, employee = weber_and_a_weber_employee

    assert contact_quick_search(user=sales_nord, query="Weber") == [weber, employee]
    ranked = contact_search(contacts_visible_to(sales_nord), "Weber").order_by(
        "-rank", "sort_name", "id"
    )
    assert list(ranked) == [weber, employee]


def test_a_misspelt_name_finds_the_person_before_a_colleague_at_their_company(
    sales_nord, make_contact, make_company
):
    """At a million contacts "Mueler" showed "Schüler" first: his company and
    email held "mueller", right next to "schueler" in the search key."""
    schueler = make_contact(
        sales_nord,
        first_name="Fabian",
        last_name="Schüler",
        email="f.schueler@muellermalerbetrieb.example",
    )
    company = make_company(sales_nord, name="Müller Malerbetrieb KG")
    contact_update(
        actor=sales_nord, contact=schueler, companies=[CompanyLinkData(company.pk)]
    )
    mueller = make_contact(sales_nord, first_name="Zoe", last_name="Müller")

    found = contact_quick_search(user=sales_nord, query="Mueler")

    assert found[0] == mueller
    ranked = contact_search(contacts_visible_to(sales_nord), "Mueler").order_by(
        "-rank", "sort_name", "id"
    )
    assert ranked[0] == mueller


def test_the_exact_surname_comes_before_longer_ones(sales_nord, make_contact):
    longer = make_contact(sales_nord, first_name="Anna", last_name="Webermann")
    exact = make_contact(sales_nord, first_name="Zoe", last_name="Weber")

    assert contact_quick_search(user=sales_nord, query="Weber") == [exact, longer]


def test_people_with_the_surname_come_before_people_with_the_first_name(
    sales_nord, make_contact
):
    first_name = make_contact(sales_nord, first_name="Jürgen", last_name="Abel")
    surname = make_contact(sales_nord, first_name="Zoe", last_name="Jürgens")

    assert contact_quick_search(user=sales_nord, query="jürg") == [surname, first_name]


@pytest.mark.parametrize("query", ["Jürgen Müller", "Müller Jürgen", "jürgen mü"])
def test_first_and_last_name_find_the_person_in_either_order(
    sales_nord, juergen, make_contact, query
):
    make_contact(sales_nord, first_name="Jürgen", last_name="Abel")
    make_contact(sales_nord, first_name="Anna", last_name="Müllerschön")

    assert contact_quick_search(user=sales_nord, query=query)[0] == juergen


def test_a_renamed_contact_is_found_by_a_misspelling_of_the_new_name(
    sales_nord, juergen
):
    contact_update(actor=sales_nord, contact=juergen, fields={"last_name": "Quellmalz"})

    assert contact_quick_search(user=sales_nord, query="Quelmalz") == [juergen]


@pytest.mark.parametrize("query", ["Mueler", "Muller", "jürg", "Jürgen Müller"])
def test_no_way_of_typing_shows_contacts_of_another_team(sales_sued, juergen, query):
    assert contact_quick_search(user=sales_sued, query=query) == []
