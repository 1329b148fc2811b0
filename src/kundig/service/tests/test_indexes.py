"""The ticket list's sorts and search keep to their indexes.

PostgreSQL only: the tables are tiny here, so the planner is told to avoid
scanning and sorting them, and must then find the index the code means. An
index serves only the very expression it holds: these plans once sorted or
scanned all of 100,000 tickets (ADR 22).
"""

import pytest
from django.db import connection

from kundig.messaging.tests.test_outbox_indexes import plan
from kundig.service import selectors

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]

DEFAULTS = {
    "status": "open", "queue": None, "assignee": "", "priority": "", "category": "",
    "channel": "", "contact": None, "q": "", "due": "", "sort": "newest",
}  # fmt: skip


def first_page(user, **filters):
    return selectors.tickets_filtered(user=user, filters={**DEFAULTS, **filters})[:50]


@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("priority", "service_ticket_prio_idx"),
        ("due", "service_ticket_due_idx"),
        ("changed", "service_ticket_changed_idx"),
    ],
)
def test_each_sort_of_the_open_tickets_walks_its_index(admin, sort, index):
    found = plan(first_page(admin, sort=sort))

    assert f"Index Scan using {index}" in found
    assert "Sort" not in found


def test_a_word_is_looked_up_in_the_subjects_trigram_index(admin):
    # (as the list counts its matches)
    matches = selectors.tickets_filtered(
        user=admin, filters={**DEFAULTS, "q": "Rechnung", "status": "all"}
    )
    found = plan(matches.order_by().values("pk"), "enable_indexscan")

    assert "Bitmap Index Scan on service_ticket_subject_trgm" in found


def test_who_sees_every_contact_has_no_visibility_subquery(admin, sales_nord):
    sql = str(selectors.tickets_visible_to(admin).query)

    assert "contacts_contact" not in sql
    assert "contacts_contact" in str(selectors.tickets_visible_to(sales_nord).query)
