from __future__ import annotations

from .models import Consent, ConsentRecord, ConsentText


def contact_consents(contact) -> list[Consent]:
    """A contact's current consents (the caller has checked it may see them)."""
    return list(Consent.objects.filter(contact=contact).select_related("record"))


def contact_ledger(contact):
    """Every ledger line of a contact, newest first, with its wording and actor."""
    return ConsentRecord.objects.filter(contact=contact).select_related("text", "actor")


def consent_texts_current() -> list[ConsentText]:
    """The newest version of each wording, per purpose and language."""
    newest: dict[tuple[str, str], ConsentText] = {}
    for text in ConsentText.objects.order_by("purpose", "language", "-version"):
        newest.setdefault((text.purpose, text.language), text)
    return list(newest.values())
