"""Who may still be written to: the consent gate and the blocked addresses.

Queueing asks before it renders a message, and the outbox asks again just
before it hands one over, so a withdrawal, an objection or a hard bounce
in between stops it.

The privacy app registers the consent ledger here (messaging cannot import
it: layers). The policy answers, for many contacts at once, who may receive
a marketing purpose, and gives each marketing message its unsubscribe link.
Without a policy no marketing message goes out at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from .choices import MARKETING_PURPOSES
from .models import SuppressedAddress


@dataclass(frozen=True)
class ConsentPolicy:
    allowed: Callable[[Collection[int], str], set[int]]
    unsubscribe_url: Callable[[int, str], str]


_consent_policy: list[ConsentPolicy] = []


def consent_policy_register(policy: ConsentPolicy) -> ConsentPolicy:
    _consent_policy[:] = [policy]
    return policy


def contacts_may_receive(contact_ids: Collection[int], purpose: str) -> set[int]:
    """Which of ``contact_ids`` may receive a message of ``purpose``."""
    ids = {pk for pk in contact_ids if pk is not None}
    if purpose not in MARKETING_PURPOSES:
        return ids
    if not _consent_policy or not ids:
        return set()
    return _consent_policy[0].allowed(ids, purpose) & ids


def unsubscribe(contact_id: int, purpose: str) -> tuple[str, dict]:
    """A marketing message's unsubscribe link and RFC 8058 headers."""
    if purpose not in MARKETING_PURPOSES or not _consent_policy:
        return "", {}
    url = _consent_policy[0].unsubscribe_url(contact_id, purpose)
    return url, {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def suppressed(emails: Iterable[str]) -> set[str]:
    """Which of ``emails`` Kundig no longer sends to (lower-cased)."""
    return set(
        SuppressedAddress.objects.filter(
            email__in={e.lower() for e in emails}
        ).values_list("email", flat=True)
    )
