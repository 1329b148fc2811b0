"""The service desk's pages: tickets (tickets.py), setting up (setup.py),
crisis plans and goodwill (crisis.py)."""

from .chat import (
    chat_api_messages,
    chat_api_start,
    chat_api_suggest,
    chat_page,
    chat_widget_js,
)
from .crisis import (
    crisis_plan_delete,
    crisis_plan_edit,
    crisis_plan_list,
    goodwill_approvals,
    goodwill_decide,
)
from .dashboard import service_dashboard
from .knowledge import (
    article_delete,
    article_edit,
    article_list,
    help_article,
    help_index,
    help_vote,
)
from .portal import (
    portal_enter,
    portal_home,
    portal_leave,
    portal_order,
    portal_return_sent,
    portal_start,
    portal_ticket,
)
from .setup import (
    queue_edit,
    queue_list,
    sla_policy_delete,
    sla_policy_edit,
    sla_policy_list,
)
from .social import social_rule_delete, social_rule_edit, social_rule_list
from .surveys import survey
from .tickets import (
    contact_tickets,
    ticket_change,
    ticket_create,
    ticket_detail,
    ticket_escalate,
    ticket_goodwill,
    ticket_list,
    ticket_note,
    ticket_reply,
    ticket_return,
    ticket_step,
)

__all__ = [
    "article_delete",
    "article_edit",
    "article_list",
    "chat_api_messages",
    "chat_api_start",
    "chat_api_suggest",
    "chat_page",
    "chat_widget_js",
    "contact_tickets",
    "crisis_plan_delete",
    "crisis_plan_edit",
    "crisis_plan_list",
    "goodwill_approvals",
    "goodwill_decide",
    "help_article",
    "help_index",
    "help_vote",
    "portal_enter",
    "portal_home",
    "portal_leave",
    "portal_order",
    "portal_return_sent",
    "portal_start",
    "portal_ticket",
    "queue_edit",
    "queue_list",
    "service_dashboard",
    "sla_policy_delete",
    "sla_policy_edit",
    "sla_policy_list",
    "social_rule_delete",
    "social_rule_edit",
    "social_rule_list",
    "survey",
    "ticket_change",
    "ticket_create",
    "ticket_detail",
    "ticket_escalate",
    "ticket_goodwill",
    "ticket_list",
    "ticket_note",
    "ticket_reply",
    "ticket_return",
    "ticket_step",
]
