"""Keyword rules: which social posts become tickets or tasks, and where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..choices import RuleAction, TicketCategory


class KeywordRule(models.Model):
    """Posts naming one of the keywords (or a product) open a ticket or a task."""

    name = models.CharField(_("name"), max_length=100)
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_(
            "One per line: the company's name, product names, #hashtags, "
            "@accounts. Case does not matter; whole words only."
        ),
    )
    match_products = models.BooleanField(
        _("also the shop's product names"),
        default=False,
        help_text=_("A post naming any product of the shop matches too."),
    )
    action = models.CharField(
        _("then"), max_length=10, choices=RuleAction.choices, default=RuleAction.TICKET
    )
    queue = models.ForeignKey(
        "service.Queue",
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.CharField(
        _("category"),
        max_length=15,
        choices=TicketCategory.choices,
        default=TicketCategory.COMPLAINT,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("task for"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who gets the task; empty: the queue's team lead."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("service:social_rule_edit", args=[self.pk])

    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]
