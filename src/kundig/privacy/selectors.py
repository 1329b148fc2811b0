from __future__ import annotations

from .models import Consent, ConsentRecord, ConsentText


def contact_consents(contact) -> list[Consent]:
    """A contact's current consents (the caller has checked it may see them)."""
    return list(Consent.objects.filter(contact=contact).select_related("record"))


def contact_ledger(contact):
    """Every ledger line of a contact, newest first, with its wording and actor."""
    return ConsentRecord.objects.filter(contact=contact).select_related("text", "actor")


def ledger_row(record: ConsentRecord) -> dict:
    """One ledger line as plain values: the export's and the API's."""
    return {
        "occurred_at": record.occurred_at,
        "purpose": record.purpose,
        "channel": record.channel,
        "action": record.action,
        "source": record.source,
        "email": record.email,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "text_version": record.text.version if record.text_id else None,
        "text": record.text.text if record.text_id else "",
        "actor": record.actor.email if record.actor_id else "",
        "note": record.note,
    }


def consent_texts_current() -> list[ConsentText]:
    """The newest version of each wording, per purpose and language."""
    newest: dict[tuple[str, str], ConsentText] = {}
    for text in ConsentText.objects.order_by("purpose", "language", "-version"):
        newest.setdefault((text.purpose, text.language), text)
    return list(newest.values())
