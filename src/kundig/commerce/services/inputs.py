"""What the commerce services take: plain dataclasses, checked field by field.

Every way in (API, shop webhooks, pull sync, CSV import) maps its own format
to these, so that one set of checks and one error shape (``lines.2.quantity``)
serves them all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.contacts.services import FieldErrors

from ..choices import (
    ItemCondition,
    OrderStatus,
    ReturnReason,
    ReturnStatus,
    RevocationStatus,
    StockState,
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_MONEY = Decimal("999999999999.99")


@dataclass
class BuyerData:
    customer_ref: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    salutation: str = ""
    phone: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    company: str = ""


@dataclass
class LineData:
    name: str
    sku: str = ""
    quantity: Decimal | int | str = 1
    unit_price: Decimal | int | str = 0
    discount: Decimal | int | str = 0
    tax_rate: Decimal | int | str | None = None
    tax: Decimal | int | str = 0
    total: Decimal | int | str | None = None
    unavailable: bool = False


@dataclass
class OrderData:
    external_id: str = ""
    number: str = ""
    # None (and "" or an empty list) leaves a stored order's value as it is;
    # a new order gets the default (web shop, 0).
    channel: str | None = None
    status: str = OrderStatus.PLACED
    currency: str = ""
    subtotal: Decimal | int | str | None = None
    discount_total: Decimal | int | str | None = None
    shipping_total: Decimal | int | str | None = None
    tax_total: Decimal | int | str | None = None
    total: Decimal | int | str | None = None
    coupon_codes: list[str] = field(default_factory=list)
    placed_at: dt.datetime | None = None
    paid_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    buyer: BuyerData = field(default_factory=BuyerData)
    lines: list[LineData] | None = None


@dataclass
class ShipmentData:
    external_id: str = ""
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    sent_at: dt.datetime | None = None
    promised_for: dt.date | None = None
    delivered_at: dt.datetime | None = None


@dataclass
class ReturnLineData:
    sku: str = ""
    name: str = ""
    quantity: Decimal | int | str = 1


@dataclass
class ReturnData:
    external_id: str = ""
    rma_number: str = ""
    reason: str = ReturnReason.OTHER
    comment: str = ""
    status: str = ReturnStatus.ANNOUNCED
    condition: str = ""
    announced_at: dt.datetime | None = None
    lines: list[ReturnLineData] | None = None


@dataclass
class RevocationData:
    external_id: str = ""
    received_on: dt.date | None = None
    status: str = RevocationStatus.RECEIVED
    comment: str = ""


@dataclass
class RefundData:
    amount: Decimal | int | str
    external_id: str = ""
    currency: str = ""
    refunded_at: dt.datetime | None = None
    reason: str = ""
    return_external_id: str = ""


@dataclass
class ProductData:
    sku: str
    name: str = ""
    category: str = ""
    price: Decimal | int | str | None = None
    currency: str = ""
    stock_state: str = StockState.IN_STOCK
    external_id: str = ""


class Errors(FieldErrors):
    """The contacts services' per-field collector, with shop-data value checks."""

    def money(self, value, name: str, *, required: bool = False) -> Decimal | None:
        if value is None or value == "":
            if required:
                self.add(name, _("Enter an amount."))
            return None
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            self.add(name, _("Enter an amount such as 19.99."))
            return None
        if not amount.is_finite() or abs(amount) > MAX_MONEY:
            self.add(name, _("Enter an amount such as 19.99."))
            return None
        if amount != amount.quantize(Decimal("0.01")):
            self.add(name, _("At most two decimal places."))
            return None
        return amount.quantize(Decimal("0.01"))

    def quantity(self, value, name: str) -> Decimal | None:
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            self.add(name, _("Enter a quantity such as 2."))
            return None
        if not amount.is_finite() or amount <= 0 or amount > Decimal("999999999"):
            self.add(name, _("Enter a quantity greater than 0."))
            return None
        if amount != amount.quantize(Decimal("0.001")):
            self.add(name, _("At most three decimal places."))
            return None
        return amount

    def text(self, value, name: str, *, max_length: int, required=False) -> str:
        text = " ".join(str(value or "").split())
        if required and not text:
            self.add(name, _("This field is required."))
        if len(text) > max_length:
            self.add(name, _("At most %(n)d characters.") % {"n": max_length})
            return text[:max_length]
        return text

    def choice(self, value, choices, name: str) -> str:
        if value not in choices.values:
            self.add(
                name,
                _("Unknown value %(value)s; use one of: %(choices)s.")
                % {
                    "value": value,
                    "choices": ", ".join(v for v in choices.values if v),
                },
            )
        return value

    def currency(self, value, name: str, default: str) -> str:
        code = (value or default or "").strip().upper()
        if not _CURRENCY.match(code):
            self.add(name, _("Enter a three-letter currency code such as EUR."))
        return code

    def moment(self, value, name: str) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time(12))
        if not isinstance(value, dt.datetime):
            self.add(name, _("Enter a date and time."))
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if value > timezone.now() + dt.timedelta(days=1):
            self.add(name, _("This lies in the future."))
        return value

    def email(self, value, name: str) -> str:
        email = (value or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.add(name, _("Enter a valid email address."))
                return ""
        return email


def clean_condition(value: str, errors: Errors, name: str) -> str:
    return errors.choice(value or "", ItemCondition, name)
