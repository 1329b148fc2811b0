"""The queries that must stay fast at a million contacts can use their indexes.

Expression indexes (migration 0007) serve only a query with exactly the same
expression; these tests fail when the code and the index part. PostgreSQL
only: the tables are tiny here, so the planner is told to avoid scanning and
sorting them (fully or incrementally), and must then find the index.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from kundig.contacts.api.common import _after
from kundig.contacts.filters import ContactFilter
from kundig.contacts.search import postgres
from kundig.contacts.selectors import contacts_visible_to

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def plan(sql: str, params=()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        # Else an index on another column plus an incremental sort may win
        # once autovacuum has analysed the tables other tests filled.
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_stage_order_is_served_by_its_index(sales_nord):
    for sort, index in (
        ("stage", "contacts_contact_stage_order_idx"),
        ("-stage", "contacts_contact_stage_order_desc_idx"),
    ):
        filterset = ContactFilter(
            QueryDict(f"sort={sort}"), queryset=contacts_visible_to(sales_nord)
        )
        sql, params = filterset.qs[:50].query.sql_with_params()

        assert index in plan(sql, params), sort


@pytest.mark.parametrize(
    ("words", "index"),
    [
        (["mueller"], "contacts_contact_name_c_idx"),
        (["juerg"], "contacts_contact_first_name_c_idx"),
    ],
)
def test_the_name_lookups_of_search_as_you_type_use_the_name_indexes(
    sales_nord, words, index
):
    visible = postgres._visibility(contacts_visible_to(sales_nord))
    arms = postgres._name_steps(visible, words, limit=8, tier=1)[0]
    sql = " UNION ALL ".join(arm_sql for arm_sql, _params in arms)
    params = [param for _sql, arm_params in arms for param in arm_params]

    assert index in plan(sql, params)


def test_a_later_api_page_starts_reading_the_name_index_at_the_cursor(sales_nord):
    after = _after(("sort_name", "id"), ["mueller anna", 7])
    qs = contacts_visible_to(sales_nord).filter(after).order_by("sort_name", "id")
    sql, params = qs[:50].query.sql_with_params()

    assert "Index Cond: ((sort_name)::text >= " in plan(sql, params)


def test_buyer_matching_by_name_and_postcode_finds_candidates_by_the_name_index():
    # At a million contacts the case-insensitive name comparison alone read
    # every contact: 120 ms for each order of a new buyer.
    from django.test.utils import CaptureQueriesContext

    from kundig.contacts.selectors import (
        contact_by_name_and_postcode,
        contacts_by_names_and_postcodes,
    )

    with CaptureQueriesContext(connection) as queries:
        contact_by_name_and_postcode(
            first_name="Erika", last_name="Müller", postcode="10115"
        )
        contacts_by_names_and_postcodes([("Erika", "Müller", "10115")])

    assert len(queries) == 2
    for query in queries:
        assert "contacts_contact_name_idx" in plan(query["sql"]), query["sql"]
