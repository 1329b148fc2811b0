"""Shop webhooks: signatures, one effect per event, the shops' own formats."""

import base64
import hashlib
import hmac
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection as db_connection
from django.test import Client

from kundig.activity.models import TimelineEntry
from kundig.commerce.models import Order, Refund, Shipment
from kundig.core.models import DomainEvent
from kundig.integrations import services
from kundig.integrations.models import ShopConnection, WebhookDelivery

PAYLOADS = Path(__file__).parent / "payloads"
Contact = apps.get_model("contacts", "Contact")
SECRET = "shop-secret-for-tests-0123456789"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def hex_signature(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def b64_signature(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), body, hashlib.sha256).digest()
    ).decode()


@pytest.fixture
def shopware(db):
    return ShopConnection.objects.create(
        name="Wanderladen", platform="shopware", secret=SECRET
    )


@pytest.fixture
def shopify(db):
    return ShopConnection.objects.create(
        name="Teestube", platform="shopify", secret=SECRET
    )


@pytest.fixture
def woocommerce(db):
    return ShopConnection.objects.create(
        name="Kerzen", platform="woocommerce", secret=SECRET
    )


def post_shopware(shop, body: bytes, signature: str | None = "sign"):
    headers = {}
    if signature == "sign":
        headers["HTTP_SHOPWARE_SHOP_SIGNATURE"] = hex_signature(body)
    elif signature:
        headers["HTTP_SHOPWARE_SHOP_SIGNATURE"] = signature
    return Client().post(
        shop.webhook_path(), body, content_type="application/json", **headers
    )


def process_all():
    for pk in WebhookDelivery.objects.filter(status="pending").values_list(
        "pk", flat=True
    ):
        services.delivery_process(pk)


def test_a_shopware_order_lands_on_the_customers_timeline(shopware):
    answer = post_shopware(shopware, payload("shopware_order_placed.json"))
    assert answer.status_code == 202, answer.content
    process_all()

    order = Order.objects.get()
    assert (order.number, str(order.total), order.currency) == ("10042", "84.85", "EUR")
    assert order.coupon_codes == ["HERBST5"]
    assert [line.sku for line in order.lines.all()] == ["WS-ALP-39", "SO-MER-2"]
    contact = order.contact
    assert (contact.first_name, contact.last_name, contact.salutation) == (
        "Lena",
        "Schäfer",
        "frau",
    )
    assert contact.addresses.get().postcode == "50674"
    assert TimelineEntry.objects.filter(contact=contact, kind="order").exists()
    assert WebhookDelivery.objects.get().status == "processed"


def test_the_same_webhook_again_changes_nothing(shopware):
    body = payload("shopware_order_placed.json")
    assert post_shopware(shopware, body).status_code == 202
    again = post_shopware(shopware, body)
    process_all()

    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert WebhookDelivery.objects.count() == 1
    assert Order.objects.count() == 1
    assert DomainEvent.objects.filter(name="order.placed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_five_deliveries_at_once_are_one(shopware):
    if db_connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    body = payload("shopware_order_placed.json")
    answers = []

    def deliver():
        answers.append(post_shopware(shopware, body).status_code)
        db_connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    process_all()

    assert sorted(answers) == [200, 200, 200, 200, 202]
    assert Order.objects.count() == 1


def test_a_shipment_update_before_the_order_still_ends_right(shopware):
    post_shopware(shopware, payload("shopware_delivery_shipped.json"))
    post_shopware(shopware, payload("shopware_order_placed.json"))
    process_all()

    order = Order.objects.get()
    assert order.status == "shipped"  # the older "placed" snapshot changed nothing
    assert order.paid_at is not None
    shipment = Shipment.objects.get()
    assert (shipment.carrier, shipment.tracking_number) == (
        "DHL Paket",
        "00340434161094042557",
    )
    assert DomainEvent.objects.filter(name="shipment.sent").count() == 1


@pytest.mark.parametrize("signature", [None, "0" * 64, hex_signature(b"other body")])
def test_a_bad_or_missing_signature_is_401_and_stores_nothing(shopware, signature):
    answer = post_shopware(shopware, payload("shopware_order_placed.json"), signature)

    assert answer.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert not Order.objects.exists()


def test_an_unknown_connection_is_404(db):
    answer = Client().post("/hooks/shop/nope/", b"{}", content_type="application/json")

    assert answer.status_code == 404


def test_a_signed_body_that_is_not_json_is_kept_as_failed(shopware):
    answer = post_shopware(shopware, b"{not json")

    assert answer.status_code == 400
    assert "not JSON" in answer.json()["error"]
    failed = WebhookDelivery.objects.get()
    assert failed.status == "failed"


def test_a_mapping_failure_is_listed_and_replays_after_the_fix(
    shopware, admin, client_for
):
    data = json.loads(payload("shopware_order_placed.json"))
    data["data"]["payload"]["order"]["amountTotal"] = "viel"
    body = json.dumps(data).encode()
    assert post_shopware(shopware, body).status_code == 202
    process_all()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "amountTotal" in delivery.error

    page = client_for(admin).get("/integrations/deliveries/?status=failed")
    assert page.status_code == 200
    assert "amountTotal" in page.content.decode()

    fixed = json.loads(delivery.body)
    fixed["data"]["payload"]["order"]["amountTotal"] = 84.85
    WebhookDelivery.objects.filter(pk=delivery.pk).update(body=json.dumps(fixed))
    answer = client_for(admin).post(f"/integrations/deliveries/{delivery.pk}/replay/")

    assert answer.status_code == 302
    assert WebhookDelivery.objects.get().status == "processed"
    assert Order.objects.count() == 1


def test_only_admins_see_the_deliveries(shopware, sales_nord, client_for):
    assert client_for(sales_nord).get("/integrations/deliveries/").status_code == 403


def test_a_shopify_order_and_its_refund(shopify):
    order_body = payload("shopify_orders_create.json")
    refund_body = payload("shopify_refunds_create.json")

    def post(body, topic, webhook_id):
        return Client().post(
            shopify.webhook_path(),
            body,
            content_type="application/json",
            HTTP_X_SHOPIFY_HMAC_SHA256=b64_signature(body),
            HTTP_X_SHOPIFY_TOPIC=topic,
            HTTP_X_SHOPIFY_WEBHOOK_ID=webhook_id,
        )

    # The refund first: it waits for its order.
    assert post(refund_body, "refunds/create", "wh-2").status_code == 202
    process_all()
    assert WebhookDelivery.objects.get(event_id="wh-2").status == "deferred"
    assert post(order_body, "orders/create", "wh-1").status_code == 202
    process_all()
    WebhookDelivery.objects.filter(event_id="wh-2").update(next_attempt_at=None)
    services.delivery_process(WebhookDelivery.objects.get(event_id="wh-2").pk)

    order = Order.objects.get()
    assert (order.number, str(order.total), order.coupon_codes) == (
        "#1057",
        "48.90",
        ["WELCOME5"],
    )
    assert order.paid_at is not None
    assert Refund.objects.get().amount == Decimal("12.50")
    assert Contact.objects.get().figures.revenue == Decimal("36.40")


def test_a_woocommerce_guest_order(woocommerce):
    body = payload("woocommerce_order_created.json")
    answer = Client().post(
        woocommerce.webhook_path(),
        body,
        content_type="application/json",
        HTTP_X_WC_WEBHOOK_SIGNATURE=b64_signature(body),
        HTTP_X_WC_WEBHOOK_TOPIC="order.created",
        HTTP_X_WC_WEBHOOK_DELIVERY_ID="1",
    )
    assert answer.status_code == 202
    process_all()

    order = Order.objects.get()
    assert order.customer_ref == ""  # customer_id 0: a guest
    assert order.contact.emails.get().email == "juergen.weiss@example.org"
    assert order.status == "paid"


def post_woo(shop, data: dict):
    body = json.dumps(data).encode()
    return Client().post(
        shop.webhook_path(),
        body,
        content_type="application/json",
        HTTP_X_WC_WEBHOOK_SIGNATURE=b64_signature(body),
        HTTP_X_WC_WEBHOOK_TOPIC="order.updated",
    )


def test_a_failed_woocommerce_payment_retried_ends_paid(woocommerce):
    data = json.loads(payload("woocommerce_order_created.json"))
    failed = {**data, "status": "failed", "date_paid_gmt": None}
    failed["date_modified_gmt"] = "2026-11-18T08:41:13"
    post_woo(woocommerce, failed)
    post_woo(woocommerce, data)  # paid on the second try
    process_all()

    order = Order.objects.get()
    assert (order.status, order.cancelled_at) == ("paid", None)
    assert order.contact.figures.orders_count == 1


def test_a_signature_with_odd_characters_is_a_401_not_a_crash(shopware):
    answer = post_shopware(
        shopware, payload("shopware_order_placed.json"), signature="ä" * 64
    )

    assert answer.status_code == 401


def test_a_crash_in_processing_fails_the_delivery_instead_of_blocking(
    shopware, monkeypatch
):
    from kundig.integrations.shop import shopware as adapter

    def broken(connection, order):
        raise AttributeError("a bug")

    monkeypatch.setattr(adapter, "record_order", broken)
    post_shopware(shopware, payload("shopware_order_placed.json"))
    process_all()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "AttributeError: a bug" in delivery.error
