"""WooCommerce REST API (v3): the order history, page by page.

The REST API key's consumer key and secret go as HTTP Basic auth; WooCommerce
accepts that over https only. A server that drops the ``Authorization``
header (some CGI set-ups) answers 401; then the key goes as the query
parameters ``consumer_key``/``consumer_secret`` instead, WooCommerce's
documented alternative, again over https only. ``GET
/wp-json/wc/v3/orders?orderby=date&order=asc`` pages through the orders,
oldest first; ``X-WP-Total`` and ``X-WP-TotalPages`` say how many there are.
An order has the shape of an ``order.created`` webhook and goes through the
same :func:`~kundig.integrations.shop.woocommerce.record_order`.
"""

from __future__ import annotations

import base64

from ..rest import OrderPull, Page, ShopApiError, integer

PAGE_SIZE = 100  # WooCommerce's maximum
ORDERS = "/wp-json/wc/v3/orders"


class WooCommercePull(OrderPull):
    _in_query = False  # whether the key goes in the query (after a 401)

    def count(self) -> int | None:
        answer = self._get({"per_page": 1, "_fields": "id"})
        return integer(answer.headers.get("X-WP-Total"))

    def first(self) -> dict:
        return {"page": 1}

    def page(self, cursor: dict) -> Page:
        number = int(cursor["page"])
        answer = self._get(
            {"per_page": PAGE_SIZE, "page": number, "orderby": "date", "order": "asc"}
        )
        if not isinstance(answer.data, list):
            raise ShopApiError("WooCommerce's answer is not a list of orders.")
        pages = integer(answer.headers.get("X-WP-TotalPages"))
        more = len(answer.data) >= PAGE_SIZE if pages is None else number < pages
        return Page(
            orders=answer.data,
            next={"page": number + 1} if more else None,
            total=integer(answer.headers.get("X-WP-Total")),
        )

    def _get(self, query: dict):
        connection = self.connection
        if not connection.api_key or not connection.api_secret:
            raise ShopApiError(
                "WooCommerce needs the REST API key's consumer key (API key) and "
                "consumer secret (API secret).",
                status=401,
            )
        if not self._in_query:
            try:
                return self.http.request(
                    "GET", self.http.url(ORDERS, query), headers=self._basic()
                )
            except ShopApiError as exc:
                if exc.status != 401 or self.http.origin[0] != "https":
                    raise
                self._in_query = True
        keys = {
            "consumer_key": connection.api_key,
            "consumer_secret": connection.api_secret,
        }
        return self.http.request("GET", self.http.url(ORDERS, {**query, **keys}))

    def _basic(self) -> dict:
        pair = f"{self.connection.api_key}:{self.connection.api_secret}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
