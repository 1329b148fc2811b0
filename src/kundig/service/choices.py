"""The words of the service desk: statuses, channels, categories."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kundig.activity.choices import Priority  # noqa: F401  (tickets use the same)


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on the customer")
    WAITING_THIRD_PARTY = "waiting_third", _("Waiting on a third party")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Still someone's to do (the list shows these unless asked otherwise).
OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.WAITING_THIRD_PARTY,
)

STATUS_COLORS = {
    TicketStatus.NEW: "blue",
    TicketStatus.OPEN: "azure",
    TicketStatus.WAITING_CUSTOMER: "yellow",
    TicketStatus.WAITING_THIRD_PARTY: "orange",
    TicketStatus.SOLVED: "green",
    TicketStatus.CLOSED: "secondary",
}


class TicketChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    SOCIAL = "social", _("Social media")
    SHOP = "shop", _("Shop event")


CHANNEL_ICONS = {
    TicketChannel.EMAIL: "mail",
    TicketChannel.WEB: "forms",
    TicketChannel.CHAT: "message-circle",
    TicketChannel.PHONE: "phone",
    TicketChannel.LETTER: "mailbox",
    TicketChannel.SOCIAL: "brand-mastodon",
    TicketChannel.SHOP: "building-store",
}


class TicketCategory(models.TextChoices):
    LATE_DELIVERY = "late_delivery", _("Late delivery")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")
    HANDLING = "handling", _("Handling problem")
    REVOCATION_DISPUTE = "revocation", _("Revocation dispute")
    WARRANTY = "warranty", _("Warranty")
    RETURN = "return", _("Return")
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    PRAISE = "praise", _("Praise")


class EntryKind(models.TextChoices):
    CUSTOMER = "customer", _("From the customer")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")


class GoodwillKind(models.TextChoices):
    VOUCHER = "voucher", _("Voucher")
    DISCOUNT = "discount", _("Discount on the next order")
    FREE_RETURN = "free_return", _("Free return shipping")
    PARTIAL_REFUND = "partial_refund", _("Partial refund")
    REPLACEMENT = "replacement", _("Replacement")


# Kinds the customer redeems with a code.
CODE_KINDS = (GoodwillKind.VOUCHER, GoodwillKind.DISCOUNT)

GOODWILL_ICONS = {
    GoodwillKind.VOUCHER: "gift",
    GoodwillKind.DISCOUNT: "discount-2",
    GoodwillKind.FREE_RETURN: "truck-return",
    GoodwillKind.PARTIAL_REFUND: "cash-banknote",
    GoodwillKind.REPLACEMENT: "replace",
}


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")


OFFER_COLORS = {
    OfferStatus.PENDING: "yellow",
    OfferStatus.GRANTED: "green",
    OfferStatus.REJECTED: "secondary",
}


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    NPS = "nps", _("Recommendation (NPS)")


# The answers each kind takes: CSAT 1 (very unhappy) to 5, NPS 0 to 10.
SURVEY_SCALES = {SurveyKind.CSAT: range(1, 6), SurveyKind.NPS: range(0, 11)}


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class RuleAction(models.TextChoices):
    TICKET = "ticket", _("Open a ticket")
    TASK = "task", _("Create a task")
