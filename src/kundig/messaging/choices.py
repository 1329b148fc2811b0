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
