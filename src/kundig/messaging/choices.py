from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """Why a message goes out. Marketing purposes need the contact's consent."""

    TRANSACTIONAL = "transactional", _("Transactional (order, shipping, service)")
    NEWSLETTER = "newsletter", _("Newsletter")
    PRODUCT_NEWS = "product_news", _("Product news")
    SURVEYS = "surveys", _("Surveys")


MARKETING_PURPOSES = frozenset(
    {Purpose.NEWSLETTER, Purpose.PRODUCT_NEWS, Purpose.SURVEYS}
)


class Security(models.TextChoices):
    NONE = "none", _("None (local servers only)")
    STARTTLS = "starttls", _("STARTTLS")
    SSL = "ssl", _("SSL/TLS")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


STATUS_COLORS = {
    MessageStatus.QUEUED: "azure",
    MessageStatus.SENT: "green",
    MessageStatus.FAILED: "red",
    MessageStatus.CANCELLED: "secondary",
}

TEMPLATE_LANGUAGES = [("de", _("German")), ("en", _("English"))]


class InboundKind(models.TextChoices):
    """What an incoming mail is. Only ``MAIL`` is answered by anything automatic."""

    MAIL = "mail", _("Mail")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BULK = "bulk", _("Bulk or list mail")
    OWN = "own", _("From one of our mailboxes")
    BOUNCE = "bounce", _("Delivery report")


INBOUND_KIND_COLORS = {
    InboundKind.MAIL: "green",
    InboundKind.AUTO_REPLY: "yellow",
    InboundKind.BULK: "secondary",
    InboundKind.OWN: "azure",
    InboundKind.BOUNCE: "red",
}


class Bounce(models.TextChoices):
    HARD = "hard", _("Hard bounce (address does not exist)")
    SOFT = "soft", _("Soft bounce (delivery delayed)")
