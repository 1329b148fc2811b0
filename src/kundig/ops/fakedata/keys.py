"""Search keys for generated records, as the contact and company services build them.

``kundig.contacts.services.contact_search_key`` reads a saved contact's
emails, phones and companies and calls ``kundig.core.text.search_key`` on
them. Generated rows are not saved one by one, so :class:`KeyBuilder` calls
``search_key`` on the same inputs in the same order (primary email first,
then by id; likewise phones and company links) and ``phone_search_digits`` on
each number.

``search_key`` spends most of its time folding text. Its result is, part by
part, the words of each part, then the umlaut-free variants of each part,
then the whole email addresses, de-duplicated. Names and company names repeat
across a million contacts, so the fast path caches that per-part split and
joins it; every batch checks a sample against ``search_key`` itself and the
builder falls back to it for good if they ever disagree.
"""

from __future__ import annotations

import logging
import re

import phonenumbers
from django.conf import settings

from kundig.contacts.validation import phone_search_digits
from kundig.core.text import fold, search_key, search_words

logger = logging.getLogger(__name__)

_STRIP = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9@.]+")


def _email_tokens(part: str) -> list[str]:
    folded = fold(part)
    if "@" not in folded:
        return []
    return [_NON_WORD.sub("", token) for token in folded.split() if "@" in token]


def _split(part: str) -> tuple[list[str], list[str], list[str]]:
    """Return the words, umlaut variants and emails ``search_key`` makes of ``part``."""
    words = search_words(part)
    lowered = (part or "").lower()
    variants = (
        search_words(lowered.translate(_STRIP))
        if any(c in lowered for c in "äöüß")
        else []
    )
    return words, variants, _email_tokens(part or "")


class KeyBuilder:
    """Build contact and company search keys exactly as the services do, fast."""

    def __init__(self, *, exact: bool = False, check_every: int = 97) -> None:
        self.exact = exact
        self.check_every = check_every
        self._cache: dict[str, tuple[list[str], list[str], list[str]]] = {}
        self._calls = 0
        region = settings.KUNDIG_PHONE_REGION
        self._home_code = phonenumbers.country_code_for_region(region)

    # --- parts -------------------------------------------------------------

    def _parts(self, part: str, *, cache: bool):
        if cache:
            hit = self._cache.get(part)
            if hit is None:
                hit = self._cache[part] = _split(part)
            return hit
        if part.isdigit():
            return [part], [], []
        return _split(part)

    def phone_digits(self, e164: str) -> list[str]:
        """Return ``phone_search_digits(e164)`` for a valid German E.164 number."""
        if self.exact or not e164.startswith("+49") or self._home_code != 49:
            return phone_search_digits(e164)
        return [e164[1:], "0" + e164[3:]]

    def build(self, parts: list[str], cacheable: list[bool]) -> str:
        """Return ``search_key(*parts)``; ``cacheable`` marks parts that repeat."""
        self._calls += 1
        if self.exact:
            return search_key(*parts)
        words: list[str] = []
        variants: list[str] = []
        emails: list[str] = []
        for part, cache in zip(parts, cacheable, strict=True):
            if not part:
                continue
            w, v, e = self._parts(part, cache=cache)
            words += w
            variants += v
            emails += e
        result = " ".join(dict.fromkeys(w for w in words + variants + emails if w))
        if self._calls % self.check_every == 1:
            expected = search_key(*parts)
            if expected != result:
                logger.warning(
                    "Fast search key differs from kundig.core.text.search_key "
                    "(%r != %r); using search_key for the rest of the run.",
                    result,
                    expected,
                )
                self.exact = True
                return expected
        return result

    # --- records -----------------------------------------------------------

    def contact(
        self,
        *,
        first_name: str,
        last_name: str,
        emails: list[str],
        phones: list[str],
        company_names: list[str],
        external_id: str | None,
    ) -> str:
        """Return the key ``contact_search_key`` gives these values, in row order."""
        digits = [d for number in phones for d in self.phone_digits(number)]
        parts = [
            first_name,
            last_name,
            *emails,
            *digits,
            *company_names,
            external_id or "",
        ]
        cacheable = [
            True,
            True,
            *([False] * (len(emails) + len(digits))),
            *([True] * len(company_names)),
            False,
        ]
        return self.build(parts, cacheable)

    def company(
        self,
        *,
        name: str,
        vat_id: str,
        website: str,
        email: str,
        phone: str,
        cities: list[str],
        external_id: str | None,
    ) -> str:
        """Return the key ``company_search_key`` gives these values."""
        digits = self.phone_digits(phone) if phone else []
        parts = [
            name,
            vat_id,
            website.split("//")[-1] if website else "",
            email,
            *digits,
            *cities,
            external_id or "",
        ]
        cacheable = [True, False, False, False, *([False] * len(digits))]
        cacheable += [True] * len(cities) + [False]
        return self.build(parts, cacheable)

    @property
    def fell_back(self) -> bool:
        return self.exact
