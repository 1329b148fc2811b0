"""Shop data in the JSON API: orders with their shipments, returns, revocations
and refunds, and products.

Every write goes through ``commerce.services`` — the same path as the shop
webhooks and imports — so the API records the same events, timeline entries
and figures. An order is addressed by our ``id`` or by the shop's
``source`` and ``external_id``; sending the same record again updates it
rather than adding a second one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kundig.contacts.api.common import (
    DEFAULT_PAGE_SIZE,
    ContactRef,
    CursorParam,
    Input,
    Moment,
    PageSize,
    Params,
    RecordId,
    contact_ref,
    keyset_page,
    plain,
    reject_unknown_params,
)
from kundig.contacts.selectors import contact_get
from kundig.core.visibility import can_see

from . import selectors, services
from .choices import (
    ItemCondition,
    OrderStatus,
    ReturnReason,
    ReturnStatus,
    RevocationStatus,
    SalesChannel,
    StockState,
)
from .models import Order, Product, Return

Money = Decimal | int | str
SOURCE = Field(
    "api",
    max_length=40,
    pattern=r"^[A-Za-z0-9_.:-]+$",
    description="The system the external IDs belong to, e.g. `api` or `shopware-3`.",
)


# --- Schemas ----------------------------------------------------------------------


class BuyerIn(Input):
    customer_ref: str = Field("", max_length=100, description="The shop's customer ID.")
    email: str = Field("", max_length=254)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    salutation: str = Field("", description="herr, frau, divers or empty.")
    company: str = Field("", max_length=200)
    street: str = Field("", max_length=200)
    postcode: str = Field("", max_length=12)
    city: str = Field("", max_length=100)
    country: str = Field("", max_length=2)


class LineIn(Input):
    name: str = Field("", max_length=255)
    sku: str = Field("", max_length=64)
    quantity: Money = 1
    unit_price: Money = 0
    discount: Money = 0
    tax_rate: Money | None = None
    tax: Money = 0
    total: Money | None = Field(None, description="quantity × unit price − discount")
    unavailable: bool = Field(False, description="The item cannot ship.")


class OrderIn(Input):
    source: str = SOURCE
    external_id: str = Field(
        "", max_length=100, description="The shop's order ID; sending it again updates."
    )
    number: str = Field("", max_length=64)
    channel: SalesChannel | None = Field(
        None,
        description="web_shop (default for a new order), marketplace, store, phone.",
    )
    status: OrderStatus = OrderStatus.PLACED
    currency: str = Field("", description="ISO 4217, e.g. EUR (default: EUR).")
    subtotal: Money | None = None
    discount_total: Money | None = None
    shipping_total: Money | None = None
    tax_total: Money | None = None
    total: Money | None = Field(
        None, description="Computed from the lines if left out."
    )
    coupon_codes: list[str] = []
    placed_at: datetime | None = None
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    updated_at: datetime | None = Field(
        None, description="The shop's change time; an older message changes nothing."
    )
    contact_id: RecordId | None = Field(
        None, description="The customer, if known; else matched from `buyer`."
    )
    buyer: BuyerIn = BuyerIn()
    lines: list[LineIn] | None = Field(None, description="Replaces the lines if sent.")


class ShipmentIn(Input):
    source: str = SOURCE
    external_id: str = Field(
        min_length=1,
        max_length=100,
        description="The shipment's ID; sending it again updates it, adds nothing.",
    )
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    sent_at: datetime | None = None
    promised_for: date | None = Field(None, description="The promised delivery day.")
    delivered_at: datetime | None = None


class ReturnLineIn(Input):
    sku: str = ""
    name: str = ""
    quantity: Money = 1


class ReturnIn(Input):
    source: str = SOURCE
    external_id: str = Field(
        min_length=1,
        max_length=100,
        description="The return's ID; sending it again updates it, adds nothing.",
    )
    rma_number: str = ""
    reason: ReturnReason = ReturnReason.OTHER
    comment: str = Field("", max_length=5000)
    status: ReturnStatus = ReturnStatus.ANNOUNCED
    condition: ItemCondition = ItemCondition.UNKNOWN
    announced_at: datetime | None = None
    lines: list[ReturnLineIn] | None = None


class RevocationIn(Input):
    source: str = SOURCE
    external_id: str = Field("", max_length=100)
    received_on: date | None = Field(None, description="Default: today.")
    status: RevocationStatus = RevocationStatus.RECEIVED
    comment: str = Field("", max_length=5000)


class RefundIn(Input):
    source: str = SOURCE
    external_id: str = Field(
        min_length=1,
        max_length=100,
        description="The refund's ID; sending the same ID again adds nothing.",
    )
    amount: Money
    currency: str = ""
    refunded_at: datetime | None = None
    reason: str = Field("", max_length=255)
    return_external_id: str = ""


class ProductIn(Input):
    name: str = Field("", max_length=255)
    category: str = Field("", max_length=120)
    price: Money | None = None
    currency: str = ""
    stock_state: StockState = StockState.IN_STOCK
    external_id: str = Field("", max_length=100)


class LineOut(Schema):
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    unavailable: bool


class ShipmentOut(Schema):
    id: int
    source: str
    external_id: str
    carrier: str
    tracking_number: str
    tracking_url: str
    sent_at: Moment | None
    promised_for: date | None
    delivered_at: Moment | None
    late: bool


class ReturnOut(Schema):
    id: int
    source: str
    external_id: str
    rma_number: str
    reason: str
    status: str
    condition: str
    announced_at: Moment
    received_at: Moment | None
    decided_at: Moment | None


class RevocationOut(Schema):
    id: int
    source: str
    external_id: str
    received_on: date
    refund_due_on: date
    status: str


class RefundOut(Schema):
    id: int
    source: str
    external_id: str
    amount: Decimal
    currency: str
    refunded_at: Moment
    reason: str


class OrderOut(Schema):
    id: int
    source: str
    external_id: str
    number: str
    channel: str
    status: str
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    refunded_total: Decimal
    coupon_codes: list[str]
    placed_at: Moment
    paid_at: Moment | None
    cancelled_at: Moment | None
    contact: ContactRef | None
    url: str
    lines: list[LineOut]
    shipments: list[ShipmentOut]
    returns: list[ReturnOut]
    revocations: list[RevocationOut]
    refunds: list[RefundOut]


class OrderPage(Schema):
    results: list[OrderOut]
    next: str | None


class OrderListParams(Params):
    contact: RecordId | None = Field(None, description="Orders of this contact id.")
    source: str | None = None
    external_id: str | None = None
    status: OrderStatus | None = None
    cursor: CursorParam = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


class ProductOut(Schema):
    sku: str
    name: str
    category: str
    price: Decimal | None
    currency: str
    stock_state: str
    external_id: str


class ProductPage(Schema):
    results: list[ProductOut]
    next: str | None


class ProductListParams(Params):
    cursor: CursorParam = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


# --- Helpers ----------------------------------------------------------------------


def _with_parts(qs):
    return qs.select_related("contact").prefetch_related(
        "lines",
        "shipments",
        Prefetch("returns", queryset=Return.objects.all()),
        "revocations",
        "refunds",
    )


def _order_out(order: Order, user) -> dict:
    return {
        **{
            name: getattr(order, name)
            for name in (
                "id",
                "source",
                "external_id",
                "number",
                "channel",
                "status",
                "currency",
                "subtotal",
                "discount_total",
                "shipping_total",
                "tax_total",
                "total",
                "refunded_total",
                "coupon_codes",
                "placed_at",
                "paid_at",
                "cancelled_at",
            )
        },
        # A buyer matched to a contact the caller may not see stays hidden.
        "contact": contact_ref(order.contact) if can_see(user, order.contact) else None,
        "url": order.get_absolute_url(),
        "lines": list(order.lines.all()),
        "shipments": [
            {**_fields(s, ShipmentOut), "late": s.is_late}
            for s in order.shipments.all()
        ],
        "returns": [_fields(r, ReturnOut) for r in order.returns.all()],
        "revocations": [_fields(r, RevocationOut) for r in order.revocations.all()],
        "refunds": [_fields(r, RefundOut) for r in order.refunds.all()],
    }


def _fields(record, schema) -> dict:
    return {
        name: getattr(record, name)
        for name in schema.model_fields
        if hasattr(record, name) and name != "late"
    }


def _answer(user, order_pk: int, *, created: bool):
    order = _with_parts(Order.objects).get(pk=order_pk)
    return Status(201 if created else 200, _order_out(order, user))


def _visible_order(user, **lookup) -> Order:
    order = selectors.orders_visible_to(user).filter(**lookup).first()
    if order is None:
        raise Http404
    return order


def _order_data(payload: OrderIn) -> services.OrderData:
    data = payload.model_dump()
    buyer = data.pop("buyer")
    lines = data.pop("lines")
    for name in ("source", "contact_id"):
        data.pop(name)
    return services.OrderData(
        **{key: plain(value) for key, value in data.items()},
        buyer=services.BuyerData(**buyer),
        lines=None
        if lines is None
        else [
            services.LineData(**{k: plain(v) for k, v in line.items()})
            for line in lines
        ],
    )


def _record(request, payload: OrderIn):
    user = request.auth
    contact = None
    if payload.contact_id is not None:
        try:
            contact = contact_get(user=user, pk=payload.contact_id)
        except Http404:
            raise ValidationError(
                {"contact_id": [_("There is no such contact, or you may not see it.")]}
            ) from None
    if payload.external_id:
        existing = selectors.order_by_external_id(
            source=payload.source, external_id=payload.external_id
        )
        if existing is not None and not can_see(user, existing.contact):
            raise ValidationError(
                {
                    "external_id": [
                        _("This order belongs to a customer you may not see.")
                    ]
                }
            )
    result = services.order_record(
        actor=user, source=payload.source, data=_order_data(payload), contact=contact
    )
    return _answer(user, result.order.pk, created=result.created)


# --- Routes -----------------------------------------------------------------------

orders_router = Router(tags=["Orders"])
products_router = Router(tags=["Products"])


@orders_router.get(
    "", response=OrderPage, summary="List orders", operation_id="list_orders"
)
def list_orders(request, params: Query[OrderListParams]):
    """The orders of the customers the caller may see, newest id last."""
    reject_unknown_params(request, OrderListParams.model_fields)
    qs = selectors.orders_visible_to(request.auth)
    for name, lookup in (
        ("contact", "contact_id"),
        ("source", "source"),
        ("external_id", "external_id"),
        ("status", "status"),
    ):
        value = getattr(params, name)
        if value is not None:
            qs = qs.filter(**{lookup: plain(value)})
    rows, next_cursor = keyset_page(
        _with_parts(qs), order=("id",), cursor=params.cursor, size=params.page_size
    )
    return {"results": [_order_out(o, request.auth) for o in rows], "next": next_cursor}


@orders_router.post(
    "",
    response={200: OrderOut, 201: OrderOut},
    summary="Record an order",
    operation_id="record_order",
)
def record_order(request, payload: OrderIn):
    """Create an order, or update it when `source` + `external_id` is known.

    The buyer is matched to a contact (shop customer ID, email, name and
    postcode) or created, unless `contact_id` names the customer. Answers
    201 when created, 200 when an existing order was updated.
    """
    return _record(request, payload)


@orders_router.get(
    "/{int:order_id}",
    response=OrderOut,
    summary="Get an order",
    operation_id="get_order",
)
def get_order(request, order_id: int):
    """One order with its lines, shipments, returns, revocations and refunds."""
    order = _visible_order(request.auth, pk=order_id)
    return _answer(request.auth, order.pk, created=False)


@orders_router.get(
    "/external/{source}/{external_id}",
    response=OrderOut,
    summary="Get an order by the shop's ID",
    operation_id="get_order_by_external_id",
)
def get_order_external(request, source: str, external_id: str):
    """The order a shop knows as `external_id`, in the system `source`."""
    order = _visible_order(request.auth, source=source, external_id=external_id)
    return _answer(request.auth, order.pk, created=False)


def _part(kind: str, schema, record, build):
    def view(request, order, payload):
        data = payload.model_dump()
        source = data.pop("source")
        instance = record(
            actor=request.auth,
            source=source,
            order=order,
            data=build(**{k: plain(v) for k, v in data.items()}),
        )
        out = _fields(instance, schema)
        if kind == "shipments":
            out["late"] = instance.is_late
        return out

    return view


_PARTS = {
    "shipments": (
        ShipmentIn,
        ShipmentOut,
        services.shipment_record,
        services.ShipmentData,
    ),
    "returns": (ReturnIn, ReturnOut, services.return_record, None),
    "revocations": (
        RevocationIn,
        RevocationOut,
        services.revocation_record,
        services.RevocationData,
    ),
    "refunds": (RefundIn, RefundOut, services.refund_record, services.RefundData),
}


def _return_data(**data) -> services.ReturnData:
    lines = data.pop("lines")
    return services.ReturnData(
        **data,
        lines=None
        if lines is None
        else [services.ReturnLineData(**line) for line in lines],
    )


def _views(writer, schema_in):
    def by_id(request, order_id: int, payload):
        return writer(request, _visible_order(request.auth, pk=order_id), payload)

    def by_external(request, source: str, external_id: str, payload):
        order = _visible_order(request.auth, source=source, external_id=external_id)
        return writer(request, order, payload)

    by_id.__annotations__["payload"] = schema_in
    by_external.__annotations__["payload"] = schema_in
    return by_id, by_external


def _register_parts() -> None:
    for kind, (schema_in, schema_out, record, build) in _PARTS.items():
        writer = _part(kind, schema_out, record, build or _return_data)
        by_id, by_external = _views(writer, schema_in)
        singular = kind.rstrip("s")
        orders_router.post(
            f"/{{int:order_id}}/{kind}",
            response=schema_out,
            summary=f"Record a {singular} of an order",
            operation_id=f"record_{singular}",
            description=f"Creates the {singular}, or updates it when its `external_id` "
            "is known. Events and timeline entries happen once.",
        )(by_id)
        orders_router.post(
            f"/external/{{source}}/{{external_id}}/{kind}",
            response=schema_out,
            summary=f"Record a {singular} of an order given by the shop's ID",
            operation_id=f"record_{singular}_by_external_id",
            description="As above, for the order a shop knows as `external_id`.",
        )(by_external)


_register_parts()


@products_router.get(
    "", response=ProductPage, summary="List products", operation_id="list_products"
)
def list_products(request, params: Query[ProductListParams]):
    """Every product, a page at a time (products are shared by all users)."""
    reject_unknown_params(request, ProductListParams.model_fields)
    rows, next_cursor = keyset_page(
        Product.objects.all(),
        order=("id",),
        cursor=params.cursor,
        size=params.page_size,
    )
    return {"results": rows, "next": next_cursor}


@products_router.get(
    "/{sku}", response=ProductOut, summary="Get a product", operation_id="get_product"
)
def get_product(request, sku: str):
    """The product with this SKU."""
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise Http404
    return product


@products_router.put(
    "/{sku}",
    response={200: ProductOut, 201: ProductOut},
    summary="Create or update a product",
    operation_id="put_product",
)
def put_product(request, sku: str, payload: ProductIn):
    """Create the product `sku`, or change it; a stock change is an event."""
    existed = Product.objects.filter(sku=sku).exists()
    data = {k: plain(v) for k, v in payload.model_dump().items()}
    product = services.product_record(
        actor=request.auth, source="api", data=services.ProductData(sku=sku, **data)
    )
    return Status(200 if existed else 201, product)
