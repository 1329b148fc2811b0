"""Importing a shop's order history through its REST API, against a local fake
shop that serves recorded pages over real HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from kundig.commerce.models import Order, Refund, Shipment
from kundig.core.jobs import runner
from kundig.core.jobs.services import job_cancel
from kundig.core.models import DomainEvent, Job
from kundig.integrations import sync
from kundig.integrations.models import ShopConnection
from kundig.integrations.shop import rest
from kundig.integrations.shop.shopify import client as shopify_client
from kundig.integrations.shop.shopware import client as shopware_client
from kundig.integrations.shop.woocommerce import client as woocommerce_client

from .fakeshop import PAYLOADS, FakeShop, recording, self_signed_certificate

# The worker closes connections between tasks, which must not end a test's
# transaction: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "/api/search/order"
SHOPIFY_ORDERS = "/admin/api/2024-10/orders.json"
WOO_ORDERS = "/wp-json/wc/v3/orders"


def run_worker() -> None:
    call_command("worker", "--batch", "--verbosity", "0")


@pytest.fixture
def admin(admin):
    """The admin, reading English: the job's texts are in its creator's language."""
    admin.language = "en"
    admin.save(update_fields=["language"])
    return admin


@pytest.fixture(autouse=True)
def recorded_page_size(monkeypatch):
    """The recordings were made with two orders a page, to have several pages."""
    monkeypatch.setattr(shopware_client, "PAGE_SIZE", 2)
    monkeypatch.setattr(shopify_client, "PAGE_SIZE", 2)
    monkeypatch.setattr(woocommerce_client, "PAGE_SIZE", 2)
    shopware_client._tokens.clear()


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    """Note the pauses between retries instead of waiting them out."""
    noted: list[float] = []
    monkeypatch.setattr(rest, "sleep", noted.append)
    return noted


@pytest.fixture
def fake_shop():
    started: list[FakeShop] = []

    def start(platform: str, recorded: dict | None = None, **options) -> FakeShop:
        shop = FakeShop(platform, recorded, **options).start()
        started.append(shop)
        return shop

    yield start
    for shop in started:
        shop.stop()


def connect(shop: FakeShop, **credentials) -> ShopConnection:
    return ShopConnection.objects.create(
        name=f"Testladen {shop.platform}",
        platform=shop.platform,
        api_url=shop.url,
        **{**shop.credentials, **credentials},
    )


def start_import(client, connection: ShopConnection):
    return client.post(reverse("integrations:shop_sync_start", args=[connection.pk]))


def the_job() -> Job:
    return Job.objects.get(kind="integrations.shop_sync")


# --- Each platform's API --------------------------------------------------------------


def test_a_shopware_history_comes_in_three_pages_with_a_bearer_token(
    fake_shop, admin, client_for
):
    shop = fake_shop("shopware")
    connection = connect(shop)
    client = client_for(admin)

    response = start_import(client, connection)

    job = the_job()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.status == "queued"

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.percent) == ("done", 5, 5, 100)
    assert job.counters == {"created": 5}
    orders = Order.objects.order_by("placed_at")
    assert [o.number for o in orders] == ["10001", "10002", "10003", "10004", "10005"]
    assert {o.source for o in orders} == {connection.source}
    assert orders.get(number="10002").coupon_codes == ["FRUEHLING10"]
    assert orders.get(number="10005").status == "cancelled"
    assert Shipment.objects.filter(order__number="10001").get().tracking_number == (
        "00340434161094011111"
    )
    assert Refund.objects.filter(order__number="10004").exists()
    assert orders.get(number="10003").contact.salutation == "frau"
    assert DomainEvent.objects.filter(name="order.placed").count() == 5
    # One token for the whole import, then the count and three pages.
    assert [(seen.method, seen.path) for seen in shop.requests] == [
        ("POST", "/api/oauth/token"),
        ("POST", "/api/search-ids/order"),
        ("POST", SEARCH),
        ("POST", SEARCH),
        ("POST", SEARCH),
    ]
    token = shop.requests[0].json
    assert token["grant_type"] == "client_credentials"
    assert token["client_id"] == connection.api_key
    pages = shop.pages(SEARCH)
    assert [seen.json["page"] for seen in pages] == [1, 2, 3]
    first = pages[0]
    assert first.json["limit"] == 2
    assert first.json["total-count-mode"] == 1
    assert first.json["sort"][0] == {"field": "createdAt", "order": "ASC"}
    assert {"lineItems", "deliveries", "transactions", "orderCustomer"} <= set(
        first.json["associations"]
    )
    assert first.headers["Accept"] == "application/json"
    assert first.headers["Authorization"].startswith("Bearer eyJ")
    # The job's page tells the admin what happened.
    page = client.get(job.get_absolute_url())
    assert "5 orders read from Testladen shopware: 5 new, 0 known." in (
        page.content.decode()
    )


def test_a_shopify_history_follows_the_link_header(fake_shop, admin, client_for):
    shop = fake_shop("shopify")
    connection = connect(shop)

    start_import(client_for(admin), connection)
    run_worker()

    job = the_job()
    assert (job.status, job.total, job.done) == ("done", 3, 3)
    assert Order.objects.count() == 3
    cursor = recording("shopify")["interactions"][2]["request"]["query"]
    pages = shop.pages(SHOPIFY_ORDERS)
    assert [seen.query for seen in pages] == [
        {"status": "any", "limit": "2"},
        {"limit": "2", "page_info": cursor["page_info"]},  # from the Link header
    ]
    assert all(
        seen.headers["X-Shopify-Access-Token"] == connection.api_secret
        for seen in shop.requests
    )
    assert all("Authorization" not in seen.headers for seen in shop.requests)
    assert Refund.objects.get().amount == Decimal("12.50")
    assert Shipment.objects.get().tracking_number == "00340434161094033333"
    assert Order.objects.get(number="#1013").status == "cancelled"


def test_a_woocommerce_history_pages_by_number_with_basic_auth(
    fake_shop, admin, client_for
):
    shop = fake_shop("woocommerce")
    connection = connect(shop)

    start_import(client_for(admin), connection)
    run_worker()

    job = the_job()
    assert (job.status, job.total, job.done) == ("done", 3, 3)
    assert sorted(Order.objects.values_list("number", flat=True)) == [
        "701",
        "702",
        "703",
    ]
    pages = [seen for seen in shop.pages(WOO_ORDERS) if "page" in seen.query]
    assert [seen.query["page"] for seen in pages] == ["1", "2"]
    assert pages[0].query["orderby"] == "date"
    assert pages[0].query["order"] == "asc"
    expected = base64.b64encode(
        f"{connection.api_key}:{connection.api_secret}".encode()
    ).decode()
    assert all(
        seen.headers["Authorization"] == f"Basic {expected}" for seen in shop.requests
    )
    assert all("consumer_secret" not in seen.query for seen in shop.requests)
    assert Refund.objects.get().amount == Decimal("24.80")
    # Sabine's two orders are one customer's.
    sabine = Order.objects.get(number="701").contact
    assert Order.objects.get(number="703").contact == sabine


def test_woocommerce_behind_a_server_that_drops_the_header_gets_the_key_in_the_query(
    fake_shop, admin, client_for, tmp_path, monkeypatch
):
    pytest.importorskip("cryptography")
    # given a shop on https whose server does not pass Authorization on
    certificate, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", certificate)  # trust the test shop
    shop = fake_shop("woocommerce", tls=(certificate, key), drops_authorization=True)
    connection = connect(shop)
    assert connection.api_url.startswith("https://")
    # when its history is imported
    start_import(client_for(admin), connection)
    run_worker()
    # then the 401 to Basic auth made the key go in the query, as WooCommerce allows
    job = the_job()
    assert (job.status, job.done) == ("done", 3)
    assert "consumer_secret" not in shop.requests[0].query
    assert shop.requests[1].query["consumer_secret"] == connection.api_secret
    assert connection.api_secret not in json.dumps(job.state)


def test_woocommerce_over_plain_http_never_puts_the_key_in_the_query(
    fake_shop, admin, client_for
):
    shop = fake_shop("woocommerce", drops_authorization=True)

    start_import(client_for(admin), connect(shop))
    run_worker()

    job = the_job()
    assert job.status == "failed"
    assert "refused the API credentials" in job.error
    assert all("consumer_secret" not in seen.query for seen in shop.requests)


# --- Resuming -------------------------------------------------------------------------


def test_a_worker_killed_mid_sync_resumes_from_its_cursor_without_duplicates(
    fake_shop, admin, client_for, monkeypatch
):
    # given a worker that dies while it records the second page
    shop = fake_shop("shopware")
    connection = connect(shop)
    start_import(client_for(admin), connection)
    job = the_job()
    real = sync.order_recorder
    calls = {"n": 0}

    def dying_recorder(platform):
        record = real(platform)

        def record_then_die(connection, order):
            calls["n"] += 1
            note = record(connection, order)
            if calls["n"] == 3:  # the first order of page 2 is written…
                raise SystemExit("worker killed")  # …and the worker dies
            return note

        return record_then_die

    monkeypatch.setattr(sync, "order_recorder", dying_recorder)
    with pytest.raises(SystemExit):
        runner.job_run(job_id=job.pk)
    monkeypatch.setattr(sync, "order_recorder", real)
    # then only the first page is in, with its cursor
    job.refresh_from_db()
    assert (job.status, job.cursor, job.done) == ("running", 1, 2)
    assert job.state["next"] == {"page": 2}
    assert Order.objects.count() == 2
    # and another task leaves the job alone while its lease looks alive
    assert runner.job_run(job_id=job.pk)["ran"] is False
    # when the stale job is queued again and a worker finishes it
    later = timezone.now() + runner.STALE_AFTER + dt.timedelta(minutes=1)
    assert runner.jobs_requeue_stale(now=later) == 1
    run_worker()
    # then it went on at page 2: every order once, every event once
    job.refresh_from_db()
    assert (job.status, job.done, job.requeues) == ("done", 5, 1)
    assert [seen.json["page"] for seen in shop.pages(SEARCH)] == [1, 2, 2, 3]
    assert Order.objects.count() == 5
    assert Order.objects.values("external_id").distinct().count() == 5
    assert DomainEvent.objects.filter(name="order.placed").count() == 5
    assert Shipment.objects.filter(order__number="10001").count() == 1


def test_a_run_goes_on_at_the_next_page_after_its_time_slice(
    fake_shop, admin, client_for
):
    # given an import that handed the worker back after its first page
    shop = fake_shop("shopware")
    start_import(client_for(admin), connect(shop))
    job = the_job()
    runner.job_run(job_id=job.pk, time_slice=dt.timedelta(0))
    job.refresh_from_db()
    assert (job.status, job.cursor, job.done) == ("queued", 1, 2)
    # when the worker runs the queued continuation
    run_worker()
    # then the import ends with each page fetched once and each order once
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 5)
    assert [seen.json["page"] for seen in shop.pages(SEARCH)] == [1, 2, 3]
    assert DomainEvent.objects.filter(name="order.placed").count() == 5


def test_an_import_stopped_while_a_page_is_fetched_records_nothing_of_it(
    fake_shop, admin, client_for
):
    # given an admin who stops the import while the shop sends page 2
    shop = fake_shop("shopware")
    start_import(client_for(admin), connect(shop))
    job = the_job()

    def stop_at_page_two(seen):
        if seen.path == SEARCH and seen.json["page"] == 2:
            job_cancel(job=job, actor=admin)
            db_connection.close()  # this runs in the server's thread

    shop.on_request = stop_at_page_two
    # when the worker gets page 2
    run_worker()
    # then the run lost the job and page 2 was not recorded
    job.refresh_from_db()
    assert (job.status, job.cursor, job.done) == ("cancelled", 1, 2)
    assert Order.objects.count() == 2
    assert [seen.json["page"] for seen in shop.pages(SEARCH)] == [1, 2]


def test_importing_the_history_again_changes_nothing(fake_shop, admin, client_for):
    shop = fake_shop("woocommerce")
    connection = connect(shop)
    client = client_for(admin)
    start_import(client, connection)
    run_worker()

    start_import(client, connection)
    run_worker()

    second = Job.objects.filter(kind="integrations.shop_sync").order_by("-pk").first()
    assert (second.status, second.done, second.counters) == (
        "done",
        3,
        {"updated": 3},
    )
    assert Order.objects.count() == 3
    assert DomainEvent.objects.filter(name="order.placed").count() == 3
    assert Refund.objects.count() == 1


# --- When the shop misbehaves ---------------------------------------------------------


def test_a_500_is_tried_again_and_the_import_goes_on(
    fake_shop, admin, client_for, waits
):
    shop = fake_shop("shopware")
    shop.fail(SEARCH, 500, times=1, body=b"<h1>Internal Server Error</h1>")

    start_import(client_for(admin), connect(shop))
    run_worker()

    job = the_job()
    assert (job.status, job.done) == ("done", 5)
    assert [seen.json["page"] for seen in shop.pages(SEARCH)] == [1, 1, 2, 3]
    assert waits == [rest.BACKOFF]
    assert Order.objects.count() == 5


def test_a_429_waits_as_long_as_the_shop_asks(fake_shop, admin, client_for, waits):
    shop = fake_shop("shopify")
    shop.fail(SHOPIFY_ORDERS, 429, times=2, headers={"Retry-After": "7"})

    start_import(client_for(admin), connect(shop))
    run_worker()

    assert the_job().status == "done"
    assert waits == [7.0, 7.0]
    assert Order.objects.count() == 3


def test_a_shop_that_keeps_failing_fails_the_job_with_the_status(
    fake_shop, admin, client_for, waits
):
    shop = fake_shop("woocommerce")
    shop.fail(WOO_ORDERS, 502, times=10, body=b"Bad Gateway from nginx")

    start_import(client_for(admin), connect(shop))
    run_worker()

    job = the_job()
    assert job.status == "failed"
    assert "could not be read" in job.error
    assert "HTTP 502" in job.error
    assert "/wp-json/wc/v3/orders" in job.error
    assert "Bad Gateway from nginx" in job.error
    assert waits == [rest.BACKOFF, 2 * rest.BACKOFF, 4 * rest.BACKOFF]
    assert len(shop.requests) == 1 + rest.RETRIES
    assert not Order.objects.exists()


def test_wrong_credentials_fail_the_job_with_a_clear_message(
    fake_shop, admin, client_for, caplog
):
    shop = fake_shop("shopify")
    connection = connect(shop, api_secret="shpat_not-the-right-token-0000")
    caplog.set_level(logging.INFO)

    start_import(client_for(admin), connection)
    run_worker()

    job = the_job()
    assert job.status == "failed"
    assert "refused the API credentials" in job.error
    assert "HTTP 401" in job.error
    assert "Invalid API key or access token" in job.error
    assert "shpat_not-the-right-token" not in job.error
    assert "shpat_not-the-right-token" not in caplog.text
    assert not Order.objects.exists()
    assert admin.notifications.filter(title__contains="Failed").exists()


def test_wrong_shopware_credentials_stop_at_the_token(fake_shop, admin, client_for):
    shop = fake_shop("shopware")

    start_import(client_for(admin), connect(shop, api_secret="wrong-secret-1234567"))
    run_worker()

    job = the_job()
    assert job.status == "failed"
    assert "HTTP 401 from POST /api/oauth/token" in job.error
    assert "The user credentials were incorrect." in job.error
    assert "wrong-secret-1234567" not in job.error
    assert [seen.path for seen in shop.requests] == ["/api/oauth/token"]


def test_a_redirect_is_not_followed_but_named(fake_shop, admin, client_for):
    shop = fake_shop("woocommerce")
    shop.fail(
        WOO_ORDERS, 301, headers={"Location": "https://www.example.com/wp-json/x?k=1"}
    )

    start_import(client_for(admin), connect(shop))
    run_worker()

    job = the_job()
    assert job.status == "failed"
    assert "redirects to https://www.example.com/wp-json/x;" in job.error
    assert len(shop.requests) == 1


def test_a_malformed_order_is_counted_and_the_import_goes_on(
    fake_shop, admin, client_for
):
    recorded = recording("shopware")
    page_two = recorded["interactions"][3]["response"]["body"]["data"]
    page_two[0]["amountTotal"] = "viel"  # order 10003
    shop = fake_shop("shopware", recorded)
    client = client_for(admin)

    start_import(client, connect(shop))
    run_worker()

    job = the_job()
    assert (job.status, job.done, job.percent) == ("done", 4, 100)
    assert job.counters == {"created": 4, "skipped": 1}
    assert job.state["errors"] == ["Order 10003: amountTotal: not an amount: 'viel'"]
    assert sorted(Order.objects.values_list("number", flat=True)) == [
        "10001",
        "10002",
        "10004",
        "10005",
    ]
    assert "1 order could not be read" in sync.ShopSync().result(job)
    page = client.get(reverse("integrations:delivery_list")).content.decode()
    assert "Order 10003: amountTotal: not an amount" in page


def test_only_the_first_errors_are_kept(fake_shop, admin, client_for, monkeypatch):
    monkeypatch.setattr(sync, "MAX_ERRORS", 2)
    recorded = recording("woocommerce")
    for interaction in recorded["interactions"][1:]:
        for order in interaction["response"]["body"]:
            order["total"] = None

    start_import(client_for(admin), connect(fake_shop("woocommerce", recorded)))
    run_worker()

    job = the_job()
    assert (job.status, job.done, job.counters["skipped"]) == ("done", 0, 3)
    assert len(job.state["errors"]) == 2


# --- Who may start it, and the page ---------------------------------------------------


def test_only_admins_start_an_import(fake_shop, sales_nord, client_for):
    connection = connect(fake_shop("shopify"))

    response = start_import(client_for(sales_nord), connection)

    assert response.status_code == 403
    assert not Job.objects.exists()


def test_starting_needs_a_post(fake_shop, admin, client_for):
    connection = connect(fake_shop("shopify"))
    url = reverse("integrations:shop_sync_start", args=[connection.pk])

    assert client_for(admin).get(url).status_code == 405
    assert not Job.objects.exists()


def test_a_connection_without_an_api_address_cannot_be_imported(admin, client_for):
    connection = ShopConnection.objects.create(name="Nur Webhooks", platform="shopify")

    response = start_import(client_for(admin), connection)

    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:delivery_list")
    assert not Job.objects.exists()


def test_a_second_start_shows_the_running_import(fake_shop, admin, client_for):
    connection = connect(fake_shop("shopify"))
    client = client_for(admin)

    first = start_import(client, connection)
    second = start_import(client, connection)

    job = the_job()
    assert first["Location"] == second["Location"] == job.get_absolute_url()


def test_the_shop_list_offers_the_import_and_shows_the_last_one(
    fake_shop, admin, client_for
):
    shop = fake_shop("shopware")
    connection = connect(shop)
    ShopConnection.objects.create(name="Nur Webhooks", platform="shopify")
    client = client_for(admin)
    url = reverse("integrations:delivery_list")
    start = reverse("integrations:shop_sync_start", args=[connection.pk])

    before = client.get(url).content.decode()
    assert before.count('action="/integrations/shops/') == 1
    assert f'action="{start}"' in before
    assert shop.url in before
    assert connection.api_secret not in before
    assert connection.api_key not in before  # only its first characters

    start_import(client, connection)
    run_worker()

    after = client.get(url).content.decode()
    assert "5 orders read from Testladen shopware" in after
    assert the_job().get_absolute_url() in after


# --- The command ----------------------------------------------------------------------


def test_shop_add_takes_the_api_access_and_does_not_print_the_secret(db):
    out = io.StringIO()

    call_command(
        "shop",
        "add",
        "--platform",
        "woocommerce",
        "--name",
        "Kerzen",
        "--api-url",
        "https://kerzen.example.de/",
        "--api-key",
        "ck_4f1d3c2b0a9e8d7c6b5a",
        "--api-secret",
        "cs_9e8d7c6b5a4f3e2d1c0b",
        stdout=out,
    )

    connection = ShopConnection.objects.get()
    assert connection.api_url == "https://kerzen.example.de"
    assert connection.api_key == "ck_4f1d3c2b0a9e8d7c6b5a"
    assert connection.api_secret == "cs_9e8d7c6b5a4f3e2d1c0b"
    printed = out.getvalue()
    assert "https://kerzen.example.de" in printed
    assert "cs_9e8d7c6b5a4f3e2d1c0b" not in printed
    assert "ck_4f1d3c2b0a9e8d7c6b5a" not in printed
    assert "ck_4…" in printed


def test_shop_api_sets_the_access_of_a_connected_shop(db, monkeypatch):
    connection = ShopConnection.objects.create(name="Tee", platform="shopify")
    monkeypatch.setattr("sys.stdin", io.StringIO("shpat_from_stdin_0123456789\n"))

    call_command(
        "shop",
        "api",
        str(connection.pk),
        "--api-url",
        "https://tee.myshopify.com",
        "--api-secret",
        "-",
        stdout=io.StringIO(),
    )

    connection.refresh_from_db()
    assert connection.api_secret == "shpat_from_stdin_0123456789"
    assert connection.can_pull


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-url", "ftp://shop.example.de"], "--api-url"),
        (["--api-url", "https://shop.example.de", "--api-secret", "x" * 20], "key"),
        (["--api-url", "https://shop.example.de", "--api-key", "SWIA1234"], "secret"),
    ],
)
def test_shop_add_refuses_incomplete_api_access(db, args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("shop", "add", "--platform", "shopware", "--name", "W", *args)
    assert not ShopConnection.objects.exists()


def test_the_shopware_recording_has_the_webhooks_order_shape():
    page = recording("shopware")["interactions"][2]["response"]["body"]
    webhook = json.loads((PAYLOADS / "shopware_order_placed.json").read_text())

    assert set(page) == {"total", "data", "aggregations"}
    # The API's order has (at least) every field of the webhook's order.
    assert set(webhook["data"]["payload"]["order"]) <= set(page["data"][0])
