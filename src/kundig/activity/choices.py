from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    NOTE = "note", _("Note")
    EMAIL = "email", _("Email")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    CHAT = "chat", _("Chat")
    LETTER = "letter", _("Letter")
    SOCIAL = "social", _("Social message")
    TASK_COMPLETED = "task_completed", _("Task completed")
    ORDER = "order", _("Order")
    SHIPMENT = "shipment", _("Shipment")
    RETURN = "return", _("Return")
    REVOCATION = "revocation", _("Revocation")
    REFUND = "refund", _("Refund")
    TICKET = "ticket", _("Ticket")
    GOODWILL = "goodwill", _("Goodwill")
    SURVEY = "survey", _("Survey")
    CAMPAIGN = "campaign", _("Campaign")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    LETTER = "letter", _("Letter")
    SOCIAL = "social", _("Social media")
    WEB = "web", _("Web")
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video call")
    SHOP = "shop", _("Online shop")
    MARKETPLACE = "marketplace", _("Marketplace")
    STORE = "store", _("Store")
    INTERNAL = "internal", _("Internal")


class Direction(models.TextChoices):
    INBOUND = "in", _("Incoming")
    OUTBOUND = "out", _("Outgoing")
    INTERNAL = "internal", _("Internal")


# The channel a kind happens on unless the entry says otherwise.
DEFAULT_CHANNEL = {
    Kind.NOTE: Channel.INTERNAL,
    Kind.EMAIL: Channel.EMAIL,
    Kind.CALL: Channel.PHONE,
    Kind.MEETING: Channel.IN_PERSON,
    Kind.CHAT: Channel.CHAT,
    Kind.LETTER: Channel.LETTER,
    Kind.SOCIAL: Channel.SOCIAL,
    Kind.TASK_COMPLETED: Channel.INTERNAL,
    Kind.ORDER: Channel.SHOP,
    Kind.SHIPMENT: Channel.SHOP,
    Kind.RETURN: Channel.SHOP,
    Kind.REVOCATION: Channel.SHOP,
    Kind.REFUND: Channel.SHOP,
    Kind.TICKET: Channel.EMAIL,
    Kind.GOODWILL: Channel.INTERNAL,
    Kind.SURVEY: Channel.EMAIL,
    Kind.CAMPAIGN: Channel.EMAIL,
}

# Kinds a user logs by hand from the 360° page.
LOGGABLE_KINDS = (
    Kind.NOTE,
    Kind.CALL,
    Kind.MEETING,
    Kind.LETTER,
    Kind.EMAIL,
    Kind.CHAT,
    Kind.SOCIAL,
)

KIND_ICONS = {
    Kind.NOTE: "note", Kind.EMAIL: "mail", Kind.CALL: "phone",
    Kind.MEETING: "users", Kind.CHAT: "message", Kind.LETTER: "mailbox",
    Kind.SOCIAL: "brand-hipchat", Kind.TASK_COMPLETED: "checkbox",
    Kind.ORDER: "shopping-cart", Kind.SHIPMENT: "truck",
    Kind.RETURN: "arrow-back-up", Kind.REVOCATION: "file-x",
    Kind.REFUND: "cash-banknote", Kind.TICKET: "lifebuoy", Kind.SURVEY: "star",
    Kind.CAMPAIGN: "speakerphone", Kind.GOODWILL: "gift",
}  # fmt: skip

KIND_COLORS = {
    Kind.NOTE: "yellow", Kind.EMAIL: "blue", Kind.CALL: "green", Kind.MEETING: "purple",
    Kind.CHAT: "cyan", Kind.LETTER: "orange", Kind.SOCIAL: "pink",
    Kind.TASK_COMPLETED: "teal", Kind.ORDER: "lime", Kind.SHIPMENT: "indigo",
    Kind.RETURN: "red", Kind.TICKET: "azure", Kind.SURVEY: "yellow",
    Kind.CAMPAIGN: "secondary", Kind.GOODWILL: "pink",
}  # fmt: skip


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_ORDER = {
    Priority.URGENT: 0,
    Priority.HIGH: 1,
    Priority.NORMAL: 2,
    Priority.LOW: 3,
}


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
