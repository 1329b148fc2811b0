"""The outbox's queries keep to their indexes while a big send churns the table.

PostgreSQL only: the tables are tiny here, so the planner is told to avoid
scanning and sorting them, and must then find the index the code means.
Each of these plans once read a whole table of a million messages.
"""

import pytest
from django.db import connection
from django.utils import timezone

from kundig.messaging import outbox

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def plan(queryset, *settings: str) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_sort", *settings):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_claim_walks_the_due_index_in_order():
    # a plain index scan, which marks the entries of sent messages dead
    found = plan(outbox._due(timezone.now())[:200], "enable_bitmapscan")

    assert "Index Scan using messaging_message_due_idx" in found


def test_claimed_messages_are_read_by_their_ids():
    found = plan(outbox._claimed([1, 2, 3], "token"))

    assert "messaging_message_pkey" in found
    assert "mailbox" not in found


def test_the_left_over_sent_messages_are_found_by_their_partial_index():
    found = plan(outbox._left_over(timezone.now())[:200])

    assert "messaging_message_unrecorded" in found
