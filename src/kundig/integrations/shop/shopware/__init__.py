"""Shopware 6: app-system webhooks.

Shopware signs the raw body with the app secret (hex HMAC-SHA256 in the
``shopware-shop-signature`` header) and puts the event's ID in
``source.eventId``. Order events (``checkout.order.placed``,
``state_enter.order_transaction.state.paid``,
``state_enter.order_delivery.state.shipped``, ``state_enter.order.state.cancelled``,
…) carry the whole order in ``data.payload.order``; the adapter records that
snapshot, so whichever message arrives first, the order ends up right.
"""

from __future__ import annotations

from kundig.commerce import services as commerce

from ..base import (
    Adapter,
    MappingError,
    day,
    get,
    matches_hex,
    moment,
    money,
    need,
    text,
)

SALUTATIONS = {"mr": "herr", "mrs": "frau", "ms": "frau", "diverse": "divers"}
ORDER_STATES = {"cancelled": "cancelled", "completed": "completed"}


class ShopwareAdapter(Adapter):
    platform = "shopware"

    def verify(self, *, headers, body, secret) -> bool:
        return matches_hex(headers.get("shopware-shop-signature"), secret, body)

    def identify(self, *, headers, payload) -> tuple[str, str]:
        return (
            text(need(payload, "source", "eventId")),
            text(need(payload, "data", "event")),
        )

    def apply(self, *, connection, topic, payload) -> str:
        data = need(payload, "data", "payload")
        order = data.get("order") if isinstance(data, dict) else None
        if not isinstance(order, dict):
            return f"ignored: {topic} carries no order"
        return record_order(connection, order)


def order_data(order: dict, *, channel: str) -> commerce.OrderData:
    customer = get(order, "orderCustomer", default={})
    address = get(order, "billingAddress", default={})
    lines, discounts, coupons = [], money(0, "discount"), []
    for i, item in enumerate(get(order, "lineItems", default=[])):
        if item.get("type") == "promotion":
            discounts -= money(get(item, "totalPrice", default=0), f"lineItems.{i}")
            code = get(item, "payload", "code") or get(item, "referencedId")
            if code:
                coupons.append(text(code))
            continue
        taxes = get(item, "price", "calculatedTaxes", default=[])
        lines.append(
            commerce.LineData(
                sku=text(get(item, "payload", "productNumber", default="")),
                name=text(get(item, "label", default="")),
                quantity=need(item, "quantity", what=f"lineItems.{i}.quantity"),
                unit_price=money(
                    need(item, "unitPrice", what=f"lineItems.{i}.unitPrice"),
                    f"lineItems.{i}.unitPrice",
                ),
                total=money(get(item, "totalPrice", default=0), f"lineItems.{i}"),
                tax=sum((money(t.get("tax", 0), "tax") for t in taxes), money(0, "")),
                tax_rate=taxes[0].get("taxRate") if taxes else None,
            )
        )
    transactions = get(order, "transactions", default=[])
    paid = [
        t
        for t in transactions
        if get(t, "stateMachineState", "technicalName")
        in ("paid", "refunded", "refunded_partially")
    ]
    state = get(order, "stateMachineState", "technicalName", default="open")
    total = money(need(order, "amountTotal"), "amountTotal")
    shipping = money(get(order, "shippingTotal", default=0), "shippingTotal")
    return commerce.OrderData(
        external_id=text(need(order, "id")),
        number=text(get(order, "orderNumber", default="")),
        channel=channel,
        status=ORDER_STATES.get(state, "placed"),
        currency=text(get(order, "currency", "isoCode", default="")),
        subtotal=None,  # the product lines' sum; positionPrice is after promotions
        discount_total=discounts,
        shipping_total=shipping,
        tax_total=sum(
            (
                money(t.get("tax", 0), "price.calculatedTaxes")
                for t in get(order, "price", "calculatedTaxes", default=[])
            ),
            money(0, ""),
        ),
        total=total,
        coupon_codes=coupons,
        placed_at=moment(
            get(order, "orderDateTime") or get(order, "createdAt"), "orderDateTime"
        ),
        paid_at=moment(
            get(paid[0], "updatedAt")
            or get(order, "updatedAt")
            or get(order, "createdAt"),
            "transactions.updatedAt",
        )
        if paid
        else None,
        cancelled_at=moment(
            get(order, "updatedAt") or get(order, "createdAt"), "updatedAt"
        )
        if state == "cancelled"
        else None,
        updated_at=moment(get(order, "updatedAt"), "updatedAt"),
        buyer=commerce.BuyerData(
            customer_ref=text(
                get(customer, "customerId")
                or get(customer, "customerNumber", default="")
            ),
            email=text(get(customer, "email", default="")),
            first_name=text(get(customer, "firstName", default="")),
            last_name=text(get(customer, "lastName", default="")),
            salutation=SALUTATIONS.get(
                get(customer, "salutation", "salutationKey", default=""), ""
            ),
            company=text(get(customer, "company", default="")),
            street=text(get(address, "street", default="")),
            postcode=text(get(address, "zipcode", default="")),
            city=text(get(address, "city", default="")),
            country=text(get(address, "country", "iso", default="")),
        ),
        lines=lines,
    )


def record_order(connection, order: dict) -> str:
    """Record a Shopware order snapshot: the order, its deliveries, returns, refunds."""
    if not isinstance(order, dict):
        raise MappingError("order is not an object")
    result = commerce.order_record(
        actor=None,
        source=connection.source,
        data=order_data(order, channel=connection.channel),
    )
    recorded = result.order
    done = ["order created" if result.created else "order updated"]
    for i, delivery in enumerate(get(order, "deliveries", default=[])):
        state = get(delivery, "stateMachineState", "technicalName", default="open")
        if state not in (
            "shipped",
            "shipped_partially",
            "returned",
            "returned_partially",
        ):
            continue
        codes = get(delivery, "trackingCodes", default=[])
        commerce.shipment_record(
            actor=None,
            source=connection.source,
            order=recorded,
            data=commerce.ShipmentData(
                external_id=text(need(delivery, "id", what=f"deliveries.{i}.id")),
                carrier=text(get(delivery, "shippingMethod", "name", default="")),
                tracking_number=text(codes[0]) if codes else "",
                sent_at=moment(get(delivery, "updatedAt"), f"deliveries.{i}.updatedAt"),
                promised_for=day(
                    get(delivery, "shippingDateLatest"), "shippingDateLatest"
                ),
            ),
        )
        done.append("shipment")
        if state.startswith("returned"):
            commerce.return_record(
                actor=None,
                source=connection.source,
                order=recorded,
                data=commerce.ReturnData(
                    external_id=f"{delivery['id']}-return",
                    status="received",
                    reason="other",
                ),
            )
            done.append("return")
    for i, transaction in enumerate(get(order, "transactions", default=[])):
        if get(transaction, "stateMachineState", "technicalName") != "refunded":
            continue
        transaction_id = need(transaction, "id", what=f"transactions.{i}.id")
        commerce.refund_record(
            actor=None,
            source=connection.source,
            order=recorded,
            data=commerce.RefundData(
                external_id=f"{transaction_id}-refund",
                amount=money(
                    get(transaction, "amount", "totalPrice", default=recorded.total),
                    f"transactions.{i}.amount",
                ),
                refunded_at=moment(
                    get(transaction, "updatedAt"), "transactions.updatedAt"
                ),
            ),
        )
        done.append("refund")
    return ", ".join(done)
