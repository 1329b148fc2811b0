"""The service desk's records: tickets and their setup (tickets.py), crisis
plans and goodwill (crisis.py), surveys (surveys.py), keyword rules for social
posts (social.py), the customer portal's sign-in links (portal.py), the knowledge base
(knowledge.py), chat conversations and contact-form requests (chat.py)."""

from .chat import ChatConversation, WebFormEntry
from .crisis import (
    CrisisPlan,
    CrisisStep,
    GoodwillOffer,
    GoodwillOption,
    Macro,
    StepDone,
)
from .knowledge import Article, ArticleCategory
from .portal import PortalLink
from .social import KeywordRule
from .surveys import Survey
from .tickets import (
    Queue,
    ServiceSettings,
    SlaPolicy,
    Ticket,
    TicketAttachment,
    TicketEntry,
)

__all__ = [
    "Article",
    "ArticleCategory",
    "ChatConversation",
    "CrisisPlan",
    "CrisisStep",
    "GoodwillOffer",
    "GoodwillOption",
    "KeywordRule",
    "Macro",
    "PortalLink",
    "Queue",
    "ServiceSettings",
    "SlaPolicy",
    "StepDone",
    "Survey",
    "Ticket",
    "TicketAttachment",
    "TicketEntry",
    "WebFormEntry",
]
