"""Shopify: Admin API webhooks.

Topics: ``orders/create``, ``orders/updated``, ``orders/paid``,
``orders/cancelled``, ``fulfillments/create``, ``fulfillments/update``,
``refunds/create``.

Shopify signs the raw body with the app's client secret (base64 HMAC-SHA256
in ``X-Shopify-Hmac-Sha256``) and sends the same ``X-Shopify-Webhook-Id`` on
every retry of one webhook.
"""

from __future__ import annotations

from kundig.commerce import selectors as commerce_selectors
from kundig.commerce import services as commerce

from ..base import (
    Adapter,
    MappingError,
    NotYetKnown,
    get,
    matches_base64,
    moment,
    money,
    need,
    text,
)


class ShopifyAdapter(Adapter):
    platform = "shopify"

    def verify(self, *, headers, body, secret) -> bool:
        return matches_base64(headers.get("X-Shopify-Hmac-Sha256"), secret, body)

    def identify(self, *, headers, payload) -> tuple[str, str]:
        event_id = headers.get("X-Shopify-Webhook-Id") or headers.get(
            "X-Shopify-Event-Id"
        )
        if not event_id:
            raise MappingError("missing header X-Shopify-Webhook-Id")
        return event_id, headers.get("X-Shopify-Topic", "")

    def apply(self, *, connection, topic, payload) -> str:
        if topic.startswith("orders/"):
            return record_order(connection, payload)
        if topic.startswith("fulfillments/"):
            order = _order(connection, need(payload, "order_id"))
            _fulfillment(connection, order, payload)
            return "shipment"
        if topic == "refunds/create":
            order = _order(connection, need(payload, "order_id"))
            _refund(connection, order, payload)
            return "refund"
        return f"ignored: {topic}"


def _order(connection, order_id):
    order = commerce_selectors.order_by_external_id(
        source=connection.source, external_id=text(order_id)
    )
    if order is None:
        raise NotYetKnown(f"order {order_id} is not here yet")
    return order


def order_data(payload: dict, *, channel: str) -> commerce.OrderData:
    customer = get(payload, "customer", default={})
    address = get(payload, "billing_address") or get(payload, "shipping_address") or {}
    lines = [
        commerce.LineData(
            sku=text(get(item, "sku", default="")),
            name=text(get(item, "title", default="") or get(item, "name", default="")),
            quantity=need(item, "quantity", what=f"line_items.{i}.quantity"),
            unit_price=money(
                need(item, "price", what=f"line_items.{i}.price"), "price"
            ),
            discount=money(get(item, "total_discount", default=0), "total_discount"),
            tax=sum(
                (
                    money(t.get("price", 0), "tax_lines")
                    for t in get(item, "tax_lines", default=[])
                ),
                money(0, ""),
            ),
        )
        for i, item in enumerate(get(payload, "line_items", default=[]))
    ]
    financial = get(payload, "financial_status", default="pending")
    fulfilment = get(payload, "fulfillment_status")
    status = "placed"
    if payload.get("cancelled_at"):
        status = "cancelled"
    elif fulfilment == "fulfilled":
        status = "shipped"
    updated = moment(get(payload, "updated_at"), "updated_at")
    return commerce.OrderData(
        external_id=text(need(payload, "id")),
        number=text(
            get(payload, "name", default="") or get(payload, "order_number", default="")
        ),
        channel=channel,
        status=status,
        currency=text(get(payload, "currency", default="")),
        subtotal=money(get(payload, "subtotal_price", default=0), "subtotal_price"),
        discount_total=money(
            get(payload, "total_discounts", default=0), "total_discounts"
        ),
        shipping_total=sum(
            (
                money(s.get("price", 0), "shipping_lines")
                for s in get(payload, "shipping_lines", default=[])
            ),
            money(0, ""),
        ),
        tax_total=money(get(payload, "total_tax", default=0), "total_tax"),
        total=money(need(payload, "total_price"), "total_price"),
        coupon_codes=[
            text(d.get("code"))
            for d in get(payload, "discount_codes", default=[])
            if d.get("code")
        ],
        placed_at=moment(get(payload, "created_at"), "created_at"),
        paid_at=(
            moment(
                get(payload, "processed_at") or get(payload, "updated_at"),
                "processed_at",
            )
            if financial in ("paid", "partially_refunded", "refunded")
            else None
        ),
        cancelled_at=moment(get(payload, "cancelled_at"), "cancelled_at"),
        updated_at=updated,
        buyer=commerce.BuyerData(
            customer_ref=text(get(customer, "id", default="")),
            email=text(get(payload, "email") or get(customer, "email", default="")),
            first_name=text(
                get(customer, "first_name") or get(address, "first_name", default="")
            ),
            last_name=text(
                get(customer, "last_name") or get(address, "last_name", default="")
            ),
            street=text(get(address, "address1", default="")),
            postcode=text(get(address, "zip", default="")),
            city=text(get(address, "city", default="")),
            country=text(get(address, "country_code", default="")),
            company=text(get(address, "company", default="")),
        ),
        lines=lines,
    )


def record_order(connection, payload: dict) -> str:
    result = commerce.order_record(
        actor=None,
        source=connection.source,
        data=order_data(payload, channel=connection.channel),
    )
    for fulfillment in get(payload, "fulfillments", default=[]):
        _fulfillment(connection, result.order, fulfillment)
    for refund in get(payload, "refunds", default=[]):
        _refund(connection, result.order, refund)
    return "order created" if result.created else "order updated"


def _fulfillment(connection, order, data: dict) -> None:
    delivered = get(data, "shipment_status") == "delivered"
    commerce.shipment_record(
        actor=None,
        source=connection.source,
        order=order,
        data=commerce.ShipmentData(
            external_id=text(need(data, "id", what="fulfillment.id")),
            carrier=text(get(data, "tracking_company", default="")),
            tracking_number=text(get(data, "tracking_number", default="")),
            tracking_url=text(get(data, "tracking_url", default="")),
            sent_at=moment(get(data, "created_at"), "fulfillment.created_at"),
            delivered_at=moment(get(data, "updated_at"), "fulfillment.updated_at")
            if delivered
            else None,
        ),
    )


def _refund(connection, order, data: dict) -> None:
    amount = sum(
        (
            money(t.get("amount", 0), "refund.transactions.amount")
            for t in get(data, "transactions", default=[])
            if t.get("kind", "refund") == "refund"
        ),
        money(0, ""),
    )
    if amount <= 0:
        return  # a refund of items only (restock), no money back
    commerce.refund_record(
        actor=None,
        source=connection.source,
        order=order,
        data=commerce.RefundData(
            external_id=text(need(data, "id", what="refund.id")),
            amount=amount,
            refunded_at=moment(get(data, "created_at"), "refund.created_at"),
            reason=text(get(data, "note", default="")),
        ),
    )
