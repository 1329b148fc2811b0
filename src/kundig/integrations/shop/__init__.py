"""Shops: one adapter per platform for webhooks and one client for pulling the
order history, all feeding the commerce services."""

from .base import Adapter, MappingError, NotYetKnown
from .rest import OrderPull, Page, ShopApiError


def adapter_for(platform: str) -> Adapter:
    from .shopify import ShopifyAdapter
    from .shopware import ShopwareAdapter
    from .woocommerce import WooCommerceAdapter

    return {
        "shopware": ShopwareAdapter,
        "shopify": ShopifyAdapter,
        "woocommerce": WooCommerceAdapter,
    }[platform]()


def pull_for(connection) -> OrderPull:
    """Return the client that reads ``connection``'s orders through its REST API."""
    from .shopify.client import ShopifyPull
    from .shopware.client import ShopwarePull
    from .woocommerce.client import WooCommercePull

    return {
        "shopware": ShopwarePull,
        "shopify": ShopifyPull,
        "woocommerce": WooCommercePull,
    }[connection.platform](connection)


def order_recorder(platform: str):
    """Return the platform's ``record_order(connection, order)``."""
    from . import shopify, shopware, woocommerce

    return {
        "shopware": shopware.record_order,
        "shopify": shopify.record_order,
        "woocommerce": woocommerce.record_order,
    }[platform]


__all__ = [
    "Adapter",
    "MappingError",
    "NotYetKnown",
    "OrderPull",
    "Page",
    "ShopApiError",
    "adapter_for",
    "order_recorder",
    "pull_for",
]
