"""The service desk's records: tickets and their setup (tickets.py), crisis
plans and goodwill (crisis.py), surveys (surveys.py)."""

from .crisis import CrisisPlan, CrisisStep, GoodwillOffer, GoodwillOption, StepDone
from .surveys import Survey
from .tickets import Queue, ServiceSettings, SlaPolicy, Ticket, TicketEntry

__all__ = [
    "CrisisPlan",
    "CrisisStep",
    "GoodwillOffer",
    "GoodwillOption",
    "Queue",
    "ServiceSettings",
    "SlaPolicy",
    "StepDone",
    "Survey",
    "Ticket",
    "TicketEntry",
]
