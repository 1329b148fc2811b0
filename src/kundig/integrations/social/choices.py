from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    FEED = "feed", _("RSS or Atom feed")
    MASTODON = "mastodon", _("Mastodon mentions")
    INTAKE = "intake", _("Intake endpoint")
