from django.db import models
from django.utils.translation import gettext_lazy as _

from kundig.messaging.choices import MARKETING_PURPOSES, Purpose

# What a contact can consent to: the marketing purposes of messaging.
PURPOSES = [(p.value, p.label) for p in Purpose if p in MARKETING_PURPOSES]
PURPOSE_VALUES = [value for value, _label in PURPOSES]


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    SMS = "sms", _("SMS")


class Action(models.TextChoices):
    """One line of the consent ledger."""

    REQUESTED = "requested", _("Signed up, confirmation pending")
    CONFIRMED = "confirmed", _("Confirmed by double opt-in")
    GIVEN = "given", _("Given (recorded by staff)")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    OBJECTED = "objected", _("Objection to marketing")


class Status(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    GRANTED = "granted", _("Consented")
    WITHDRAWN = "withdrawn", _("Withdrawn")


STATUS_COLORS = {
    Status.PENDING: "yellow",
    Status.GRANTED: "green",
    Status.WITHDRAWN: "secondary",
}


class Source(models.TextChoices):
    SIGNUP_FORM = "signup_form", _("Sign-up form")
    API = "api", _("API")
    CONFIRMATION_LINK = "confirmation_link", _("Confirmation link")
    UNSUBSCRIBE_PAGE = "unsubscribe_page", _("Unsubscribe page")
    ONE_CLICK = "one_click", _("One-click unsubscribe (mail program)")
    STAFF = "staff", _("Recorded by staff")
