"""The service dashboard: its figures, who sees which, the page and its charts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.service import reports
from kundig.service.models import Queue, Survey, Ticket, TicketEntry
from kundig.service.tests.test_pages import open_ticket

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def past(ticket, **fields) -> Ticket:
    """``ticket`` as it stands after time passed (the read side only reads)."""
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


def replies(ticket, n: int) -> None:
    for _ in range(n):
        TicketEntry.objects.create(ticket=ticket, kind="reply", body="Antwort")


def rated(contact, kind: str, score: int, ticket=None) -> Survey:
    return Survey.objects.create(
        kind=kind, contact=contact, ticket=ticket, key=f"{kind}:{score}:{ticket}",
        token_hash=f"t-{Survey.objects.count()}", expires_at=NOW + DAY, score=score,
        answered_at=NOW - HOUR,
    )  # fmt: skip


@pytest.fixture
def week_of_service(anna, queue):
    """Three tickets solved this week, two open in two queues, ratings, an order."""
    opened = NOW - 2 * DAY
    quick = past(
        open_ticket(anna, "Schnell gelöst", category="question"),
        status="solved", created_at=opened, first_response_at=opened + HOUR,
        first_response_due_at=opened + 2 * HOUR, resolution_due_at=opened + DAY,
        solved_at=opened + 3 * HOUR,
    )  # fmt: skip
    replies(quick, 1)
    slow = past(
        open_ticket(anna, "Zu spät", category="complaint"),
        status="solved", created_at=opened, first_response_at=opened + 5 * HOUR,
        first_response_due_at=opened + 2 * HOUR,
        first_response_breached_at=opened + 2 * HOUR,
        resolution_due_at=opened + DAY, solved_at=opened + 30 * HOUR,
    )  # fmt: skip
    replies(slow, 2)
    again = past(
        open_ticket(anna, "Wieder offen gewesen", category="complaint"),
        status="solved", created_at=opened, first_response_at=opened + HOUR,
        solved_at=opened + 10 * HOUR, reopened=1, first_response_due_at=None,
        resolution_due_at=None,  # (no service level applied)
    )  # fmt: skip
    replies(again, 1)
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("6001")
    ).order
    commerce.return_announce(
        actor=None, order=placed, lines={placed.lines.get().pk: 1}, reason="size",
        key="r-6001",
    )  # fmt: skip
    past(open_ticket(placed.contact, "Neu", category="late_delivery", order=placed))
    returns = Queue.objects.create(name="Retouren")
    past(
        open_ticket(anna, "Alt", category="return", queue=returns),
        created_at=NOW - 10 * DAY, resolution_breached_at=NOW - DAY,
    )  # fmt: skip
    rated(anna, "csat", 5, quick)
    rated(anna, "csat", 2, slow)
    for score in (10, 9, 3):
        rated(anna, "nps", score)
    return placed


def test_the_figures_of_a_week(agent, week_of_service):
    data = reports.dashboard(user=agent, weeks=4)

    totals = data.totals
    assert totals.solved == 3
    assert totals.sla_rate == 50.0  # of the two with a service level, one met it
    assert totals.fcr_rate == 33.3  # one reply and never reopened: "quick" only
    assert totals.response_median == 1.0
    assert totals.resolution_median == 10.0
    assert totals.csat_average == 3.5
    assert totals.nps_score == 33.3  # two promoters, one detractor of three
    assert sum(w.solved for w in data.weeks) == 3 and len(data.weeks) == 4
    assert (data.open_total, data.overdue) == (2, 1)
    by_queue = {row["queue__name"]: row for row in data.open_by_queue}
    assert (by_queue["Service"]["day"], by_queue["Retouren"]["older"]) == (1, 1)
    assert dict(data.categories)["Complaint"] == 2
    assert data.products == [("T-Shirt", 1)]
    assert data.return_reasons == [
        {"product": "T-Shirt", "reason": "Does not fit", "quantity": 1, "returns": 1}
    ]


def test_one_queue_only(agent, week_of_service):
    returns = Queue.objects.get(name="Retouren")

    data = reports.dashboard(user=agent, weeks=4, queue=returns)

    assert (data.open_total, data.totals.solved) == (1, 0)
    assert data.totals.csat == [] and data.totals.nps == []


def test_nobody_counts_what_they_may_not_see(sales_sued, week_of_service):
    data = reports.dashboard(user=sales_sued, weeks=4)

    assert (data.open_total, data.totals.solved) == (0, 0)
    assert data.totals.csat == [] and data.totals.nps == []
    assert data.categories == [] and data.products == []
    assert data.return_reasons == []


def test_the_net_promoter_score():
    assert reports.nps([10, 9, 8, 7, 6]) == 20.0
    assert reports.nps([0, 1]) == -100.0
    assert reports.nps([]) is None


def test_the_page_draws_its_charts(agent, week_of_service, client_for):
    response = client_for(agent).get(reverse("service:dashboard"), {"weeks": "4"})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("data-chart") == 7
    assert "echarts.common.min.js" in page
    assert response.context["totals"].solved == 3


def test_a_new_desk_shows_empty_states(agent, client_for):
    response = client_for(agent).get(reverse("service:dashboard"))

    page = response.content.decode()
    assert "data-chart" not in page
    assert response.context["data"].open_total == 0


def test_unknown_filters_fall_back(agent, client_for):
    response = client_for(agent).get(
        reverse("service:dashboard"), {"weeks": "9999", "queue": "x"}
    )

    assert (response.context["weeks"], response.context["queue"]) == (12, None)


def test_the_page_makes_as_many_queries_for_many_tickets_as_for_few(
    agent, anna, queue, client_for
):
    client = client_for(agent)
    client.get(reverse("service:dashboard"))  # the session's first request writes

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("service:dashboard")).status_code == 200
        return len(queries)

    def solved(n):
        for i in range(n):
            ticket = open_ticket(anna, f"T{i}")
            past(ticket, status="solved", solved_at=NOW - HOUR)
            replies(ticket, 1)
            rated(anna, "csat", 4, ticket)

    solved(2)
    few = count_queries()
    solved(10)

    assert count_queries() == few
