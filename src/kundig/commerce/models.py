"""Products, orders with lines, shipments, returns, revocations and refunds.

Every record that comes from a shop carries ``source`` (which system, e.g.
``api`` or ``shopware-3``) and that system's ``external_id``; the pair is
unique, so a record delivered again updates the one already here. Money is
``Decimal`` with a currency on every amount-carrying record.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    ItemCondition,
    MatchRule,
    OrderStatus,
    ReturnReason,
    ReturnStatus,
    RevocationStatus,
    SalesChannel,
    StockState,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


def _external_unique(model: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["source", "external_id"],
        condition=~Q(external_id=""),
        name=f"commerce_{model}_external_unique",
    )


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    category = models.CharField(_("category"), max_length=120, blank=True)
    price = models.DecimalField(_("price"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    stock_state = models.CharField(
        _("stock"),
        max_length=16,
        choices=StockState.choices,
        default=StockState.IN_STOCK,
    )
    source = models.CharField(_("source"), max_length=40, default="api")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [_external_unique("product")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Order(models.Model):
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.CASCADE,
        related_name="orders",
        verbose_name=_("customer"),
    )
    source = models.CharField(_("source"), max_length=40, default="api")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    number = models.CharField(_("order number"), max_length=64, blank=True)
    channel = models.CharField(
        _("sales channel"),
        max_length=16,
        choices=SalesChannel.choices,
        default=SalesChannel.WEB_SHOP,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default="placed"
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=ZERO)
    discount_total = models.DecimalField(_("discounts"), **MONEY, default=ZERO)
    shipping_total = models.DecimalField(_("shipping"), **MONEY, default=ZERO)
    tax_total = models.DecimalField(_("tax"), **MONEY, default=ZERO)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    refunded_total = models.DecimalField(_("refunded"), **MONEY, default=ZERO)
    coupon_codes = models.JSONField(_("coupon codes"), default=list, blank=True)
    email = models.EmailField(_("buyer's email"), blank=True)
    customer_ref = models.CharField(_("shop customer ID"), max_length=100, blank=True)
    placed_at = models.DateTimeField(_("placed"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # The shop's own "last changed" time: an older message than what is
    # stored changes nothing (updates may arrive out of order).
    source_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [_external_unique("order")]
        indexes = [
            models.Index(
                fields=["contact", "-placed_at", "-id"],
                name="commerce_order_contact_idx",
            ),
            models.Index(
                fields=["-placed_at", "-id"], name="commerce_order_placed_idx"
            ),
            models.Index(fields=["number"], name="commerce_order_number_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("commerce:order_detail", args=[self.pk])

    @property
    def counts_as_purchase(self) -> bool:
        return self.status != OrderStatus.CANCELLED


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=255)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )
    unit_price = models.DecimalField(_("unit price"), **MONEY, default=ZERO)
    discount = models.DecimalField(_("discount"), **MONEY, default=ZERO)
    tax_rate = models.DecimalField(
        _("tax rate"), max_digits=5, decimal_places=2, default=Decimal("19.00")
    )
    tax = models.DecimalField(_("tax"), **MONEY, default=ZERO)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    unavailable = models.BooleanField(
        _("cannot ship"),
        default=False,
        help_text=_("The item is out of stock or discontinued."),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity:g} × {self.name}"


class OrderStatusChange(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=OrderStatus.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    source = models.CharField(_("source"), max_length=40, default="api")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking link"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    promised_for = models.DateField(_("promised delivery"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    late_since = models.DateField(
        _("late since"),
        null=True,
        blank=True,
        help_text=_("Set when the promised date passed without delivery."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [_external_unique("shipment")]
        indexes = [
            # The scheduler's look for late parcels reads only open ones.
            models.Index(
                fields=["promised_for"],
                condition=Q(delivered_at__isnull=True, late_since__isnull=True),
                name="commerce_shipment_open_idx",
            )
        ]

    def __str__(self) -> str:
        return self.tracking_number or f"#{self.pk}"

    @property
    def is_late(self) -> bool:
        if self.delivered_at is not None:
            return bool(
                self.promised_for
                and timezone.localdate(self.delivered_at) > self.promised_for
            )
        return self.late_since is not None


class Return(models.Model):
    """A return (RMA) of some lines of an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    source = models.CharField(_("source"), max_length=40, default="api")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    rma_number = models.CharField(_("RMA number"), max_length=64, blank=True)
    reason = models.CharField(
        _("reason"), max_length=20, choices=ReturnReason.choices, default="other"
    )
    comment = models.TextField(_("comment"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReturnStatus.choices, default="announced"
    )
    condition = models.CharField(
        _("condition"), max_length=10, choices=ItemCondition.choices, blank=True
    )
    # The way back: the label the customer got, and the parcel's tracking.
    label_reference = models.CharField(_("return label"), max_length=100, blank=True)
    return_carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    return_tracking = models.CharField(_("tracking number"), max_length=100, blank=True)
    announced_at = models.DateTimeField(_("announced"), default=timezone.now)
    label_sent_at = models.DateTimeField(_("label sent"), null=True, blank=True)
    shipped_back_at = models.DateTimeField(_("sent back"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-announced_at", "-id"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [_external_unique("return")]

    def __str__(self) -> str:
        return self.rma_number or f"#{self.pk}"


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity:g} × {self.name or self.sku}"


class Revocation(models.Model):
    """A Widerruf: the buyer revoked the contract within the legal period."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="revocations"
    )
    source = models.CharField(_("source"), max_length=40, default="api")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    received_on = models.DateField(_("received"))
    # § 357 (1) BGB: the payment is due back within 14 days of the revocation.
    refund_due_on = models.DateField(_("refund due"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RevocationStatus.choices,
        default=RevocationStatus.RECEIVED,
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("revocation")
        verbose_name_plural = _("revocations")
        constraints = [_external_unique("revocation")]

    def __str__(self) -> str:
        return f"{self.order} {self.received_on:%Y-%m-%d}"


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    ret = models.ForeignKey(
        Return,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("return"),
    )
    source = models.CharField(_("source"), max_length=40, default="api")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    refunded_at = models.DateTimeField(_("refunded"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["-refunded_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            _external_unique("refund"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="commerce_refund_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class ShopIdentity(models.Model):
    """A shop's customer ID, known to belong to a contact."""

    source = models.CharField(_("source"), max_length=40)
    customer_ref = models.CharField(_("shop customer ID"), max_length=100)
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="shop_identities"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("shop identity")
        verbose_name_plural = _("shop identities")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "customer_ref"], name="commerce_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.customer_ref}"


class IdentityMatch(models.Model):
    """Why an order went to the contact it went to; a wrong match is found here."""

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="identity_match"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="identity_matches"
    )
    rule = models.CharField(_("rule"), max_length=16, choices=MatchRule.choices)
    detail = models.CharField(_("matched on"), max_length=255, blank=True)
    matched_at = models.DateTimeField(_("matched"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-matched_at", "-id"]
        verbose_name = _("identity match")
        verbose_name_plural = _("identity matches")

    def __str__(self) -> str:
        return f"{self.order_id} → {self.contact_id} ({self.rule})"


__all__ = [
    "MONEY",
    "IdentityMatch",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Product",
    "Refund",
    "Return",
    "ReturnLine",
    "Revocation",
    "Shipment",
    "ShopIdentity",
]
