"""Shop webhooks: one adapter per platform, all feeding the commerce services."""

from .base import Adapter, MappingError, NotYetKnown


def adapter_for(platform: str) -> Adapter:
    from .shopify import ShopifyAdapter
    from .shopware import ShopwareAdapter
    from .woocommerce import WooCommerceAdapter

    return {
        "shopware": ShopwareAdapter,
        "shopify": ShopifyAdapter,
        "woocommerce": WooCommerceAdapter,
    }[platform]()


__all__ = ["Adapter", "MappingError", "NotYetKnown", "adapter_for"]
