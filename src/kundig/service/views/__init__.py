"""The service desk's pages: tickets (tickets.py), setting up (setup.py)."""

from .setup import (
    queue_edit,
    queue_list,
    sla_policy_delete,
    sla_policy_edit,
    sla_policy_list,
)
from .tickets import (
    contact_tickets,
    ticket_change,
    ticket_create,
    ticket_detail,
    ticket_escalate,
    ticket_list,
    ticket_note,
    ticket_reply,
)

__all__ = [
    "contact_tickets",
    "queue_edit",
    "queue_list",
    "sla_policy_delete",
    "sla_policy_edit",
    "sla_policy_list",
    "ticket_change",
    "ticket_create",
    "ticket_detail",
    "ticket_escalate",
    "ticket_list",
    "ticket_note",
    "ticket_reply",
]
