"""The service desk's writes: tickets (tickets.py), the service-level clocks and
escalation (sla.py), queues, service levels and settings (setup.py), crisis
plans and goodwill (crisis.py), surveys (surveys.py), social posts (social.py),
the portal (portal.py), the knowledge base (knowledge.py)."""

from .crisis import (
    crisis_plan_delete,
    crisis_plan_for,
    crisis_plan_save,
    crisis_step_toggle,
    goodwill_decide,
    goodwill_limit,
    goodwill_offer,
    may_decide,
    plan_response,
)
from .knowledge import (
    article_category_save,
    article_delete,
    article_save,
    article_vote,
    articles_find,
)
from .portal import (
    portal_contact,
    portal_link_get,
    portal_link_request,
    portal_link_use,
    portal_return_announce,
    portal_return_sent,
)
from .setup import (
    queue_save,
    service_settings_save,
    sla_policy_delete,
    sla_policy_save,
)
from .sla import sla_policy_for, sla_scan, ticket_escalate
from .social import keyword_rule_delete, keyword_rule_save, tickets_from_social
from .surveys import (
    nps_survey_send,
    survey_answer,
    survey_by_token,
    survey_url,
    surveys_for_solved,
)
from .tickets import (
    new_form_key,
    ticket_file_mail,
    ticket_note,
    ticket_open,
    ticket_reply,
    ticket_return_announce,
    ticket_update,
    tickets_from_mail,
    tickets_from_mail_events,
    tickets_from_shop_events,
)

__all__ = [
    "article_category_save",
    "article_delete",
    "article_save",
    "article_vote",
    "articles_find",
    "crisis_plan_delete",
    "crisis_plan_for",
    "crisis_plan_save",
    "crisis_step_toggle",
    "goodwill_decide",
    "goodwill_limit",
    "goodwill_offer",
    "keyword_rule_delete",
    "keyword_rule_save",
    "may_decide",
    "new_form_key",
    "nps_survey_send",
    "plan_response",
    "portal_contact",
    "portal_link_get",
    "portal_link_request",
    "portal_link_use",
    "portal_return_announce",
    "portal_return_sent",
    "queue_save",
    "service_settings_save",
    "sla_policy_delete",
    "sla_policy_for",
    "sla_policy_save",
    "sla_scan",
    "survey_answer",
    "survey_by_token",
    "survey_url",
    "surveys_for_solved",
    "ticket_escalate",
    "ticket_file_mail",
    "ticket_note",
    "ticket_open",
    "ticket_reply",
    "ticket_return_announce",
    "ticket_update",
    "tickets_from_mail",
    "tickets_from_mail_events",
    "tickets_from_shop_events",
    "tickets_from_social",
]
