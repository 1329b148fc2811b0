"""Shopware 6 Admin API: the order history, page by page.

An integration's access key ID and secret buy a bearer token
(``POST /api/oauth/token``, grant ``client_credentials``, valid ten
minutes). ``POST /api/search/order`` pages through the orders, oldest first,
with the associations the webhook payload carries, so each order has the
shape of a webhook's ``data.payload.order`` and goes through the same
:func:`~kundig.integrations.shop.shopware.record_order`. ``Accept:
application/json`` asks for plain JSON rather than JSON:API.
"""

from __future__ import annotations

import hashlib
import threading
import time

from ..rest import OrderPull, Page, ShopApiError, integer

PAGE_SIZE = 100
ASSOCIATIONS = {
    "lineItems": {},
    "deliveries": {
        "associations": {"shippingMethod": {}, "stateMachineState": {}},
    },
    "transactions": {"associations": {"stateMachineState": {}}},
    "orderCustomer": {"associations": {"salutation": {}}},
    "billingAddress": {"associations": {"country": {}}},
    "currency": {},
    "stateMachineState": {},
}
# Oldest first; the ID breaks ties, so the pages do not shift under the sync.
SORT = [
    {"field": "createdAt", "order": "ASC"},
    {"field": "id", "order": "ASC"},
]

_tokens: dict[tuple, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class ShopwarePull(OrderPull):
    def count(self) -> int | None:
        answer = self._post(
            "/api/search-ids/order", {"limit": 1, "total-count-mode": 1}
        )
        return integer(answer.get("total"))

    def first(self) -> dict:
        return {"page": 1}

    def page(self, cursor: dict) -> Page:
        number = int(cursor["page"])
        answer = self._post(
            "/api/search/order",
            {
                "page": number,
                "limit": PAGE_SIZE,
                "sort": SORT,
                "total-count-mode": 1,
                "associations": ASSOCIATIONS,
            },
        )
        orders = answer.get("data")
        if not isinstance(orders, list):
            raise ShopApiError("Shopware's answer has no list of orders (data).")
        if orders and isinstance(orders[0], dict) and "attributes" in orders[0]:
            raise ShopApiError(
                "Shopware answered in JSON:API format although plain JSON was asked "
                "for; check that no proxy drops the Accept header."
            )
        total = integer(answer.get("total"))
        more = len(orders) >= PAGE_SIZE and (
            total is None or number * PAGE_SIZE < total
        )
        return Page(
            orders=orders, next={"page": number + 1} if more else None, total=total
        )

    def _post(self, path: str, body: dict) -> dict:
        token, cached = self._token()
        try:
            answer = self._send(path, body, token)
        except ShopApiError as exc:
            if exc.status != 401 or not cached:
                raise
            # The cached token expired early: get a new one, once.
            token, _cached = self._token(fresh=True)
            answer = self._send(path, body, token)
        if not isinstance(answer, dict):
            raise ShopApiError(f"Shopware's answer to {path} is not an object.")
        return answer

    def _send(self, path: str, body: dict, token: str):
        return self.http.request(
            "POST",
            self.http.url(path),
            headers={"Authorization": f"Bearer {token}"},
            json_body=body,
        ).data

    def _token(self, *, fresh: bool = False) -> tuple[str, bool]:
        """Return a bearer token and whether it came from the cache."""
        connection = self.connection
        if not connection.api_key or not connection.api_secret:
            raise ShopApiError(
                "Shopware needs the integration's access key ID (API key) and "
                "secret access key (API secret).",
                status=401,
            )
        key = (
            self.http.base_url,
            connection.api_key,
            hashlib.sha256(connection.api_secret.encode()).hexdigest(),
        )
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0], True
        answer = self.http.request(
            "POST",
            self.http.url("/api/oauth/token"),
            json_body={
                "grant_type": "client_credentials",
                "client_id": connection.api_key,
                "client_secret": connection.api_secret,
            },
        ).data
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise ShopApiError("Shopware gave no access token.", status=401)
        lifetime = integer(answer.get("expires_in")) or 600
        with _tokens_lock:
            # A minute's margin, so no request starts with a token about to expire.
            _tokens[key] = (token, time.monotonic() + max(lifetime - 60, 30))
        return token, False
