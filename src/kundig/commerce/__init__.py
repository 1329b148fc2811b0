"""Shop data: products, orders, shipments, returns, revocations and refunds."""
