"""What a shop adapter does, and the helpers every adapter uses."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date, parse_datetime


class MappingError(Exception):
    """The payload does not say what the adapter needs; the message says why."""


class NotYetKnown(Exception):
    """The payload refers to a record not here yet (an update before its create)."""


class Adapter:
    """Verify, identify and apply one platform's webhooks."""

    platform = ""

    def verify(self, *, headers, body: bytes, secret: str) -> bool:
        raise NotImplementedError

    def identify(self, *, headers, payload: dict) -> tuple[str, str]:
        """Return ``(event_id, topic)``; the event ID is the same on redelivery."""
        raise NotImplementedError

    def apply(self, *, connection, topic: str, payload: dict) -> str:
        """Record what the payload says through the commerce services.

        Returns a short note of what was done. Raises :class:`MappingError`
        for a payload that cannot be mapped, :class:`NotYetKnown` when it
        must wait for an earlier message, ``ValidationError`` for bad values.
        """
        raise NotImplementedError


# --- Helpers ----------------------------------------------------------------------


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def matches_hex(signature: str | None, secret: str, body: bytes) -> bool:
    if not signature:
        return False
    expected = hmac_sha256(secret, body).hex().encode()
    return hmac.compare_digest(expected, _ascii(signature).lower())


def matches_base64(signature: str | None, secret: str, body: bytes) -> bool:
    if not signature:
        return False
    expected = base64.b64encode(hmac_sha256(secret, body))
    return hmac.compare_digest(expected, _ascii(signature))


def _ascii(signature: str) -> bytes:
    # A header with other characters is simply a wrong signature, not a crash.
    return signature.strip().encode("utf-8", "replace")


def need(data: dict, *path, what: str | None = None):
    """``data[path…]``, or a MappingError naming the missing field."""
    value = data
    for key in path:
        in_dict = isinstance(value, dict) and key in value
        in_list = isinstance(value, list) and isinstance(key, int) and len(value) > key
        if in_dict or in_list:
            value = value[key]
        else:
            raise MappingError(f"missing field {what or '.'.join(map(str, path))}")
    return value


def get(data, *path, default=None):
    try:
        value = need(data, *path)
    except MappingError:
        return default
    return default if value is None else value


def money(value, field: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise MappingError(f"{field}: not an amount: {value!r}") from None


def moment(value, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    parsed = parse_datetime(str(value))
    if parsed is None:
        day = parse_date(str(value)[:10])
        if day is None:
            raise MappingError(f"{field}: not a date: {value!r}")
        parsed = dt.datetime.combine(day, dt.time(12))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # shops send UTC without offset
    return parsed


def day(value, field: str) -> dt.date | None:
    when = moment(value, field)
    return when.date() if when else None


def text(value) -> str:
    return "" if value is None else str(value)
