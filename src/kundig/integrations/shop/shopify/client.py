"""Shopify Admin REST API: the order history, page by page.

The custom app's Admin API access token goes in ``X-Shopify-Access-Token``.
``GET /admin/api/2024-10/orders.json?status=any`` returns the first page;
each next page is the ``rel="next"`` address of the ``Link`` header (a
``page_info`` cursor), which the job keeps. An order has the shape of an
``orders/create`` webhook and goes through the same
:func:`~kundig.integrations.shop.shopify.record_order`.
"""

from __future__ import annotations

import re
import urllib.parse

from ..rest import OrderPull, Page, ShopApiError, integer

API_VERSION = "2024-10"
PAGE_SIZE = 250  # Shopify's maximum
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class ShopifyPull(OrderPull):
    def count(self) -> int | None:
        query = urllib.parse.urlencode({"status": "any"})
        answer = self._get(
            f"{self.http.prefix}/admin/api/{API_VERSION}/orders/count.json?{query}"
        )
        return integer(answer.data.get("count"))

    def first(self) -> dict:
        query = urllib.parse.urlencode({"status": "any", "limit": PAGE_SIZE})
        path = f"{self.http.prefix}/admin/api/{API_VERSION}/orders.json"
        return {"path": f"{path}?{query}"}

    def page(self, cursor: dict) -> Page:
        answer = self._get(cursor["path"])
        orders = answer.data.get("orders")
        if not isinstance(orders, list):
            raise ShopApiError("Shopify's answer has no list of orders (orders).")
        next_url = next_link(answer.headers.get("Link") or "")
        if next_url is None:
            return Page(orders=orders)
        if not self.http.same_origin(next_url):
            raise ShopApiError(
                "Shopify's next page is on another address than the API address; "
                "enter the shop's myshopify.com address as the API address."
            )
        parts = urllib.parse.urlsplit(next_url)
        return Page(orders=orders, next={"path": f"{parts.path}?{parts.query}"})

    def _get(self, path: str):
        if not self.connection.api_secret:
            raise ShopApiError(
                "Shopify needs the Admin API access token (API secret).", status=401
            )
        if not path.startswith("/"):
            raise ShopApiError("Shopify's cursor is not a path.")
        answer = self.http.request(
            "GET",
            self.http.at(path),
            headers={"X-Shopify-Access-Token": self.connection.api_secret},
        )
        if not isinstance(answer.data, dict):
            raise ShopApiError("Shopify's answer is not an object.")
        return answer


def next_link(header: str) -> str | None:
    """Return the ``rel="next"`` address of a ``Link`` header, or None."""
    for part in header.split(","):
        match = _NEXT.search(part)
        if match:
            return match.group(1).strip()
    return None
