"""Outside systems: shops (Shopware 6, Shopify, WooCommerce), one folder each."""
