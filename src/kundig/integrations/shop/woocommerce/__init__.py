"""WooCommerce: REST API webhooks (``order.created``, ``order.updated``).

WooCommerce signs the raw body with the webhook's secret (base64
HMAC-SHA256 in ``X-WC-Webhook-Signature``). Its delivery ID changes on each
attempt, so the event ID here is the topic, the order and its
``date_modified_gmt``: the same state of the same order is one event.
"""

from __future__ import annotations

from kundig.commerce import services as commerce

from ..base import Adapter, get, matches_base64, moment, money, need, text

# "failed" is a failed payment the buyer may still retry: the order stays
# placed (a cancelled order could never become paid again).
STATUSES = {
    "cancelled": "cancelled",
    "completed": "completed",
    "refunded": "refunded",
}
PAID = {"processing", "completed", "refunded"}


class WooCommerceAdapter(Adapter):
    platform = "woocommerce"

    def verify(self, *, headers, body, secret) -> bool:
        return matches_base64(headers.get("X-WC-Webhook-Signature"), secret, body)

    def identify(self, *, headers, payload) -> tuple[str, str]:
        topic = headers.get("X-WC-Webhook-Topic", "")
        version = payload.get("date_modified_gmt") or payload.get("date_modified", "")
        return f"{topic}:{need(payload, 'id')}:{version}", topic

    def apply(self, *, connection, topic, payload) -> str:
        if not topic.startswith("order."):
            return f"ignored: {topic}"
        return record_order(connection, payload)


def order_data(payload: dict, *, channel: str) -> commerce.OrderData:
    billing = get(payload, "billing", default={})
    status = get(payload, "status", default="pending")
    lines = [
        commerce.LineData(
            sku=text(get(item, "sku", default="")),
            name=text(get(item, "name", default="")),
            quantity=need(item, "quantity", what=f"line_items.{i}.quantity"),
            unit_price=money(get(item, "price", default=0), f"line_items.{i}.price"),
            total=money(get(item, "total", default=0), f"line_items.{i}.total"),
            tax=money(get(item, "total_tax", default=0), f"line_items.{i}.total_tax"),
        )
        for i, item in enumerate(get(payload, "line_items", default=[]))
    ]
    modified = moment(get(payload, "date_modified_gmt"), "date_modified_gmt")
    customer_id = get(payload, "customer_id", default=0)
    return commerce.OrderData(
        external_id=text(need(payload, "id")),
        number=text(get(payload, "number", default="")),
        channel=channel,
        status=STATUSES.get(status, "placed"),
        currency=text(get(payload, "currency", default="")),
        discount_total=money(
            get(payload, "discount_total", default=0), "discount_total"
        ),
        shipping_total=money(
            get(payload, "shipping_total", default=0), "shipping_total"
        ),
        tax_total=money(get(payload, "total_tax", default=0), "total_tax"),
        total=money(need(payload, "total"), "total"),
        coupon_codes=[
            text(c.get("code"))
            for c in get(payload, "coupon_lines", default=[])
            if c.get("code")
        ],
        placed_at=moment(get(payload, "date_created_gmt"), "date_created_gmt"),
        paid_at=moment(get(payload, "date_paid_gmt"), "date_paid_gmt")
        if status in PAID or get(payload, "date_paid_gmt")
        else None,
        cancelled_at=modified if status == "cancelled" else None,
        updated_at=modified,
        buyer=commerce.BuyerData(
            # 0 is WooCommerce's guest checkout: no customer account.
            customer_ref=text(customer_id) if customer_id else "",
            email=text(get(billing, "email", default="")),
            first_name=text(get(billing, "first_name", default="")),
            last_name=text(get(billing, "last_name", default="")),
            company=text(get(billing, "company", default="")),
            street=text(get(billing, "address_1", default="")),
            postcode=text(get(billing, "postcode", default="")),
            city=text(get(billing, "city", default="")),
            country=text(get(billing, "country", default="")),
        ),
        lines=lines,
    )


def record_order(connection, payload: dict) -> str:
    result = commerce.order_record(
        actor=None,
        source=connection.source,
        data=order_data(payload, channel=connection.channel),
    )
    for refund in get(payload, "refunds", default=[]):
        amount = -money(get(refund, "total", default=0), "refunds.total")
        if amount > 0:
            commerce.refund_record(
                actor=None,
                source=connection.source,
                order=result.order,
                data=commerce.RefundData(
                    external_id=text(need(refund, "id", what="refunds.id")),
                    amount=amount,
                    reason=text(get(refund, "reason", default="")),
                ),
            )
    return "order created" if result.created else "order updated"
