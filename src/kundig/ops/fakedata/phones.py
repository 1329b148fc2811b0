"""German phone numbers that ``phonenumbers`` accepts, made without parsing each.

The patterns (prefix and subscriber length) are checked once, with a few
random numbers each, through ``kundig.contacts.validation.normalize_phone``;
numbers drawn from checked patterns are then plain string concatenation.
"""

from __future__ import annotations

import functools
import random

from kundig.contacts.validation import normalize_phone

from .pools import CITIES, MOBILE_PREFIXES

_SAMPLES = 12


def _pattern_ok(prefix: str, length: int, rng: random.Random) -> bool:
    for _ in range(_SAMPLES):
        number = f"+49{prefix}{rng.randrange(2 * 10 ** (length - 1), 10**length)}"
        try:
            if normalize_phone(number, region="DE") != number:
                return False
        except ValueError:
            return False
    return True


@functools.cache
def mobile_patterns() -> tuple[tuple[str, int], ...]:
    """Return (prefix, subscriber length) pairs of valid German mobile numbers."""
    rng = random.Random(4915)
    patterns = []
    for prefix in MOBILE_PREFIXES:
        for length in (7, 8):
            if _pattern_ok(prefix, length, rng):
                patterns.append((prefix, length))
                break
    if not patterns:  # pragma: no cover - would mean phonenumbers changed radically
        raise RuntimeError("No German mobile prefix validates; check phonenumbers.")
    return tuple(patterns)


@functools.cache
def landline_lengths() -> dict[str, tuple[int, ...]]:
    """Return, per area code of :data:`CITIES`, the subscriber lengths that validate."""
    rng = random.Random(4930)
    result: dict[str, tuple[int, ...]] = {}
    for _postcode, _city, area in CITIES:
        if area in result:
            continue
        total = (10, 11)  # national significant number length of most landlines
        lengths = tuple(
            n - len(area) for n in total if _pattern_ok(area, n - len(area), rng)
        )
        result[area] = lengths
    return result


class PhoneFactory:
    """Draw valid E.164 numbers: mobiles, and landlines of a given area code."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.mobiles = mobile_patterns()
        self.landlines = landline_lengths()

    def mobile(self) -> str:
        prefix, length = self.rng.choice(self.mobiles)
        low = 10 ** (length - 1)
        return f"+49{prefix}{self.rng.randrange(2 * low, 10 * low)}"

    def landline(self, area: str) -> str:
        lengths = self.landlines.get(area) or ()
        if not lengths:
            return self.mobile()
        length = self.rng.choice(lengths)
        low = 10 ** (length - 1)
        return f"+49{area}{self.rng.randrange(2 * low, 10 * low)}"
