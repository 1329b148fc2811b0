"""The service desk's writes: tickets (tickets.py), the service-level clocks and
escalation (sla.py), queues, service levels and settings (setup.py)."""

from .setup import (
    queue_save,
    service_settings_save,
    sla_policy_delete,
    sla_policy_save,
)
from .sla import sla_policy_for, sla_scan, ticket_escalate
from .tickets import (
    new_form_key,
    ticket_file_mail,
    ticket_note,
    ticket_open,
    ticket_reply,
    ticket_update,
    tickets_from_mail,
    tickets_from_mail_events,
    tickets_from_shop_events,
)

__all__ = [
    "new_form_key",
    "queue_save",
    "service_settings_save",
    "sla_policy_delete",
    "sla_policy_for",
    "sla_policy_save",
    "sla_scan",
    "ticket_escalate",
    "ticket_file_mail",
    "ticket_note",
    "ticket_open",
    "ticket_reply",
    "ticket_update",
    "tickets_from_mail",
    "tickets_from_mail_events",
    "tickets_from_shop_events",
]
