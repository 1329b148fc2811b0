"""Products: created or updated by SKU."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kundig.core.choices import Permission
from kundig.core.events import emit
from kundig.core.permissions import require

from ..choices import StockState
from ..models import Product
from .inputs import Errors, ProductData


@transaction.atomic
def product_record(*, actor, source: str, data: ProductData) -> Product:
    """Create or update the product ``data.sku``; a stock change is an event."""
    require(actor, Permission.WRITE)
    errors = Errors()
    sku = errors.text(data.sku, "sku", max_length=64, required=True)
    existing = (
        Product.objects.select_for_update().filter(sku=sku).first() if sku else None
    )
    name = errors.text(data.name, "name", max_length=255, required=existing is None)
    category = errors.text(data.category, "category", max_length=120)
    price = errors.money(data.price, "price")
    if price is not None and price < 0:
        errors.add("price", _("A price cannot be negative."))
    currency = errors.currency(data.currency, "currency", "EUR")
    stock = errors.choice(
        data.stock_state or StockState.IN_STOCK, StockState, "stock_state"
    )
    external_id = errors.text(data.external_id, "external_id", max_length=100)
    errors.raise_if_any()
    if existing is None:
        try:
            with transaction.atomic():
                return Product.objects.create(
                    sku=sku,
                    name=name,
                    category=category,
                    price=price,
                    currency=currency,
                    stock_state=stock,
                    source=source,
                    external_id=external_id,
                )
        except IntegrityError:
            existing = Product.objects.select_for_update().get(sku=sku)
    before = existing.stock_state
    existing.name = name or existing.name
    existing.category = category or existing.category
    existing.price = price if price is not None else existing.price
    existing.currency = currency
    existing.stock_state = stock
    existing.external_id = external_id or existing.external_id
    existing.save()
    if before != stock:
        emit(
            "product.stock_changed",
            existing,
            actor=actor,
            sku=sku,
            before=before,
            after=stock,
        )
    return existing
