"""What pulling a shop's order history needs: a small JSON client and a page.

Standard library only (``urllib.request``). Each request has a 30 second
timeout; a 429 or 5xx answer, or a dropped connection, is tried again a
few times, after the shop's ``Retry-After`` when it sends one. Redirects are
not followed: a credential must not travel to another address, and a shop
that redirects gets a clear message naming the address to use instead.
Errors name the HTTP status, the path and an excerpt of the answer, never
a credential or a query string (WooCommerce may carry its key there).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

TIMEOUT = 30  # seconds, per request
RETRIES = 3  # further attempts after a 429, a 5xx or a dropped connection
BACKOFF = 2.0  # seconds before the first retry without Retry-After; doubles
MAX_WAIT = 60.0  # never wait longer than this between attempts
EXCERPT = 200  # characters of an error answer kept in the message
MAX_BODY = 64 * 2**20  # bytes; a page of 250 Shopify orders is a few MB
USER_AGENT = "Kundig-CRM order history import"

# Looked up at each wait, so a test can record the waits instead of waiting.
sleep = time.sleep


class ShopApiError(Exception):
    """The shop's API did not give what was asked; the message says why.

    ``status`` is the HTTP status (None when the shop was not reached).
    """

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def refused_credentials(self) -> bool:
        return self.status in (401, 403)


@dataclass
class Response:
    status: int
    headers: Any  # email.message.Message: case-insensitive get()
    data: Any


@dataclass
class Page:
    """One page of a shop's orders and the cursor of the page after it.

    ``next`` is None on the last page; ``total`` is the number of orders the
    shop reports in all, when it does.
    """

    orders: list = field(default_factory=list)
    next: dict | None = None
    total: int | None = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx then raises HTTPError, reported below


_opener = urllib.request.build_opener(_NoRedirects)


class RestClient:
    """JSON over HTTP(S) to one shop, with retries and readable errors."""

    def __init__(self, *, base_url: str, secrets: tuple[str, ...] = ()):
        parts = urllib.parse.urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ShopApiError(
                f"The API address {base_url!r} is not an http(s) address."
            )
        self.base_url = urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")
        )
        self.origin = (parts.scheme, parts.netloc)
        self.prefix = parts.path.rstrip("/")  # the path of the base address
        self._secrets = tuple(s for s in secrets if s)

    def url(self, path: str, query: dict | None = None) -> str:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        return url

    def at(self, path: str) -> str:
        """Return the absolute address of ``path`` (from the host's root)."""
        return f"{self.origin[0]}://{self.origin[1]}{path}"

    def same_origin(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        return (parts.scheme, parts.netloc) == self.origin

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict | None = None,
        json_body: Any = None,
    ) -> Response:
        """Send one request (and its retries); return the decoded JSON answer."""
        if not self.same_origin(url):
            raise ShopApiError(
                "The shop pointed to another address; Kundig does not follow it."
            )
        data = None
        all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        path = urllib.parse.urlsplit(url).path  # never the query: it may hold keys
        attempt = 0
        while True:
            attempt += 1
            req = urllib.request.Request(  # noqa: S310 - http(s), checked above
                url, data=data, method=method, headers=all_headers
            )
            try:
                with _opener.open(req, timeout=TIMEOUT) as answer:
                    body = answer.read(MAX_BODY + 1)
                    status, answer_headers = answer.status, answer.headers
            except urllib.error.HTTPError as exc:
                status, answer_headers = exc.code, exc.headers
                body = _read(exc)
                if _retryable(status) and attempt <= RETRIES:
                    wait = _wait(answer_headers, attempt)
                    logger.warning(
                        "Shop API %s %s answered %s; trying again in %.0f s",
                        method,
                        path,
                        status,
                        wait,
                    )
                    sleep(wait)
                    continue
                raise ShopApiError(
                    self._describe(status, method, path, answer_headers, body),
                    status=status,
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", None) or exc
                # A certificate that does not verify will not verify on retry.
                if attempt <= RETRIES and not isinstance(reason, ssl.SSLError):
                    wait = _wait({}, attempt)
                    logger.warning(
                        "Shop API %s %s not reached (%s); trying again in %.0f s",
                        method,
                        path,
                        reason,
                        wait,
                    )
                    sleep(wait)
                    continue
                raise ShopApiError(
                    f"The shop could not be reached ({method} {path}): "
                    f"{self._scrub(str(reason))}"
                ) from None
            break
        if len(body) > MAX_BODY:
            raise ShopApiError(
                f"The shop's answer to {method} {path} is larger than "
                f"{MAX_BODY // 2**20} MB.",
                status=status,
            )
        try:
            decoded = json.loads(body) if body.strip() else None
        except ValueError:
            raise ShopApiError(
                f"The shop's answer to {method} {path} is not JSON: "
                f"{self._excerpt(body)}",
                status=status,
            ) from None
        return Response(status=status, headers=answer_headers, data=decoded)

    def _describe(self, status, method, path, headers, body: bytes) -> str:
        if 300 <= status < 400:
            where = self._scrub(_strip_query(headers.get("Location", "") or ""))
            return (
                f"HTTP {status} from {method} {path}: the shop redirects to "
                f"{where or 'another address'}; enter that address as the API "
                "address of the connection."
            )
        return f"HTTP {status} from {method} {path}: {self._excerpt(body)}"

    def _excerpt(self, body: bytes) -> str:
        text = " ".join(body.decode("utf-8", errors="replace").split())
        text = self._scrub(text)
        if len(text) > EXCERPT:
            text = text[:EXCERPT] + "…"
        return text or "(empty answer)"

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read() or b""
    except OSError:
        return b""


def _retryable(status: int) -> bool:
    return status == 429 or 500 <= status < 600


def _wait(headers, attempt: int) -> float:
    """Seconds to wait before the next attempt: Retry-After, else a backoff."""
    value = (headers.get("Retry-After") or "").strip() if headers else ""
    wait = None
    if value.isdigit():
        wait = float(value)
    elif value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None and when.tzinfo is not None:
            wait = when.timestamp() - time.time()
    if wait is None:
        wait = BACKOFF * 2 ** (attempt - 1)
    return max(0.0, min(wait, MAX_WAIT))


def _strip_query(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class OrderPull:
    """Read one shop's orders through its REST API, a page at a time.

    One subclass per platform. A cursor is a small JSON-able dict: the job
    keeps it between pages, so a sync resumes where it stopped.
    """

    def __init__(self, connection):
        self.connection = connection
        self.http = RestClient(
            base_url=connection.api_url,
            secrets=(connection.api_key, connection.api_secret),
        )

    def count(self) -> int | None:
        """Return how many orders the shop has, or None if it does not say."""
        raise NotImplementedError

    def first(self) -> dict:
        """Return the cursor of the first page."""
        raise NotImplementedError

    def page(self, cursor: dict) -> Page:
        """Fetch the page at ``cursor``."""
        raise NotImplementedError


def integer(value) -> int | None:
    """Return ``value`` (a header or a JSON number) as an int, or None."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
