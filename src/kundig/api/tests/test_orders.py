"""Orders and products over the API: the same services as the shop webhooks."""

import datetime as dt

import pytest
from django.utils import timezone

from .conftest import walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(admin, api_as):
    return api_as(admin)


def order_body(**extra):
    body = {
        "source": "pos-berlin",
        "external_id": "B-1",
        "number": "B-1",
        "channel": "store",
        "placed_at": (timezone.now() - dt.timedelta(days=1)).isoformat(),
        "buyer": {
            "email": "kasse@example.de",
            "first_name": "Ida",
            "last_name": "Kasse",
        },
        "lines": [{"sku": "X1", "name": "Becher", "quantity": 2, "unit_price": "9.95"}],
    }
    body.update(extra)
    return body


def test_an_order_is_created_then_updated_by_its_external_id(api):
    created = api.post("/orders", order_body())
    again = api.post("/orders", order_body(status="paid"))

    assert created.status_code == 201, created.json()
    order = created.json()
    assert (order["total"], order["status"], order["channel"]) == (
        "19.90",
        "placed",
        "store",
    )
    assert order["contact"]["display_name"] == "Ida Kasse"
    assert again.status_code == 200
    assert again.json()["id"] == order["id"]
    assert again.json()["status"] == "paid"
    by_external = api.get("/orders/external/pos-berlin/B-1")
    assert by_external.json()["id"] == order["id"]


def test_shipments_returns_revocations_and_refunds_by_either_id(api):
    order = api.post("/orders", order_body()).json()
    shipped = api.post(
        f"/orders/{order['id']}/shipments",
        {"external_id": "S1", "carrier": "DHL", "tracking_number": "0034"},
    )
    returned = api.post(
        "/orders/external/pos-berlin/B-1/returns",
        {"external_id": "R1", "reason": "size", "status": "received"},
    )
    revoked = api.post(f"/orders/{order['id']}/revocations", {})
    refunded = api.post(
        f"/orders/{order['id']}/refunds", {"external_id": "F1", "amount": "9.95"}
    )
    refunded_again = api.post(
        f"/orders/{order['id']}/refunds", {"external_id": "F1", "amount": "9.95"}
    )

    assert shipped.status_code == 200, shipped.json()
    assert returned.json()["status"] == "received"
    assert revoked.json()["refund_due_on"]
    assert refunded.json()["id"] == refunded_again.json()["id"]
    full = api.get(f"/orders/{order['id']}").json()
    assert full["status"] == "shipped"
    assert full["refunded_total"] == "9.95"
    assert [
        len(full[k]) for k in ("shipments", "returns", "revocations", "refunds")
    ] == [
        1,
        1,
        1,
        1,
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total": "viel"}, "total"),
        ({"channel": "fax"}, "channel"),
        ({"lines": [{"name": "X", "quantity": -1}]}, "lines.0.quantity"),
        ({"buyer": {}}, "buyer"),
        ({"color": "red"}, "color"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, change, field):
    response = api.post("/orders", order_body(**change))

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert api.get("/orders").json()["results"] == []


def test_orders_of_invisible_customers_are_404_and_not_listed(api, api_as, sales_sued):
    order = api.post("/orders", order_body()).json()  # no owner: admins see it
    other = api_as(sales_sued)

    assert other.get(f"/orders/{order['id']}").status_code == 404
    assert other.get("/orders").json()["results"] == []
    assert (
        other.post(f"/orders/{order['id']}/shipments", {"external_id": "S"}).status_code
        == 404
    )
    # and recording it again does not reveal the customer
    again = other.post("/orders", order_body())
    assert again.status_code == 400
    assert "external_id" in again.json()["fields"]


def test_read_only_users_may_not_record(api_as, read_only_nord):
    assert api_as(read_only_nord).post("/orders", order_body()).status_code == 403


def test_the_list_pages_through_every_order(api):
    for n in range(5):
        api.post("/orders", order_body(external_id=f"B-{n}", number=f"B-{n}"))

    found = walk(api, "/orders", {"page_size": 2})

    assert sorted(o["number"] for o in found) == [f"B-{n}" for n in range(5)]


def test_products_are_put_by_sku(api):
    created = api.put("/products/WS-1", {"name": "Wanderschuh", "price": "129.90"})
    changed = api.put("/products/WS-1", {"stock_state": "out_of_stock"})

    assert created.status_code == 201
    assert changed.status_code == 200
    assert changed.json()["name"] == "Wanderschuh"
    assert api.get("/products/WS-1").json()["stock_state"] == "out_of_stock"
    assert api.get("/products/nope").status_code == 404


def test_a_partial_update_keeps_the_fields_it_leaves_out(api):
    api.post("/orders", order_body(shipping_total="4.95"))
    changed = api.post(
        "/orders", {"source": "pos-berlin", "external_id": "B-1", "status": "paid"}
    ).json()

    assert (changed["number"], changed["channel"]) == ("B-1", "store")
    assert (changed["shipping_total"], changed["status"]) == ("4.95", "paid")


def test_refunds_shipments_and_returns_need_their_own_id(api):
    order = api.post("/orders", order_body()).json()
    for part, body in (
        ("refunds", {"amount": "5.00"}),
        ("shipments", {"carrier": "DHL"}),
        ("returns", {"reason": "size"}),
    ):
        answer = api.post(f"/orders/{order['id']}/{part}", body)
        assert answer.status_code == 400, part
        assert "external_id" in answer.json()["fields"], part
