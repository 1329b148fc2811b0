from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from kundig.core.models import Tag, Team, TimeStampedModel

from .choices import (
    AddressKind,
    ChangeSource,
    CompanySize,
    EmailKind,
    FormOfAddress,
    LegalForm,
    LifecycleStage,
    PhoneKind,
    Salutation,
    Source,
)

CONTACT_LANGUAGES = [
    ("de", _("German")),
    ("en", _("English")),
    ("fr", _("French")),
    ("it", _("Italian")),
    ("nl", _("Dutch")),
    ("pl", _("Polish")),
    ("es", _("Spanish")),
    ("tr", _("Turkish")),
]


class Company(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    legal_form = models.CharField(
        _("legal form"), max_length=20, choices=LegalForm.choices, blank=True
    )
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(
        _("size"), max_length=10, choices=CompanySize.choices, blank=True
    )
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="companies"
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(
        _("external ID"), max_length=100, null=True, blank=True, unique=True
    )
    search_key = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["name", "id"], name="contacts_company_name_idx"),
            models.Index(fields=["-created_at"], name="contacts_company_created_idx"),
            models.Index(
                fields=["-updated_at", "-id"], name="contacts_company_updated_idx"
            ),
            models.Index(fields=["team", "name"], name="contacts_company_team_idx"),
            models.Index(fields=["owner", "name"], name="contacts_company_owner_idx"),
            models.Index(fields=["vat_id"], name="contacts_company_vat_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("activity:company_detail", args=[self.pk])


class Contact(TimeStampedModel):
    salutation = models.CharField(
        _("salutation"),
        max_length=10,
        choices=Salutation.choices,
        default=Salutation.NONE,
    )
    title = models.CharField(
        _("academic title"),
        max_length=50,
        blank=True,
        help_text=_('For example "Dr." or "Prof. Dr."'),
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    form_of_address = models.CharField(
        _("form of address"),
        max_length=10,
        choices=FormOfAddress.choices,
        default=FormOfAddress.FORMAL,
    )
    language = models.CharField(
        _("language"), max_length=5, choices=CONTACT_LANGUAGES, default="de"
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=30,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    stage_changed_at = models.DateTimeField(
        _("stage since"), default=timezone.now, editable=False
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="contacts"
    )
    companies = models.ManyToManyField(
        Company,
        through="ContactCompany",
        verbose_name=_("companies"),
        related_name="contacts",
        blank=True,
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(
        _("external ID"), max_length=100, null=True, blank=True, unique=True
    )
    search_key = models.TextField(editable=False, default="")
    # "Müller, Jürgen" folded as "mueller juergen": sorts the way German
    # phone books do, whatever the database's collation.
    sort_name = models.CharField(max_length=210, editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["sort_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # Owner and team included: the list's visibility filter and deep
            # pages read the index alone (ADR 0012).
            models.Index(
                fields=["sort_name", "id"],
                include=["owner", "team"],
                name="contacts_contact_name_idx",
            ),
            models.Index(fields=["-created_at"], name="contacts_contact_created_idx"),
            models.Index(
                fields=["-updated_at", "-id"], name="contacts_contact_updated_idx"
            ),
            models.Index(
                fields=["team", "sort_name", "id"], name="contacts_contact_team_idx"
            ),
            models.Index(
                fields=["owner", "sort_name", "id"], name="contacts_contact_owner_idx"
            ),
            models.Index(
                fields=["lifecycle_stage", "sort_name", "id"],
                include=["owner", "team"],
                name="contacts_contact_stage_idx",
            ),
            models.Index(
                fields=["source", "sort_name", "id"],
                include=["owner", "team"],
                name="contacts_contact_source_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("activity:contact_detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.title, self.first_name, self.last_name) if p)
        return name or str(_("(no name)"))

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class ContactEmail(models.Model):
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="emails"
    )
    email = models.EmailField(_("email"))
    kind = models.CharField(
        _("kind"), max_length=10, choices=EmailKind.choices, default=EmailKind.PRIVATE
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "email"], name="contacts_email_unique_per_contact"
            ),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(is_primary=True),
                name="contacts_email_one_primary",
            ),
        ]
        indexes = [models.Index(fields=["email"], name="contacts_email_email_idx")]

    def __str__(self) -> str:
        return self.email


class ContactPhone(models.Model):
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=20, help_text=_("E.164"))
    kind = models.CharField(
        _("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE
    )
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "number"], name="contacts_phone_unique_per_contact"
            ),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(is_primary=True),
                name="contacts_phone_one_primary",
            ),
        ]
        indexes = [models.Index(fields=["number"], name="contacts_phone_number_idx")]

    def __str__(self) -> str:
        return self.number


class Address(models.Model):
    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="addresses",
    )
    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="addresses",
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=AddressKind.choices,
        default=AddressKind.BILLING,
    )
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    extra = models.CharField(_("address line 2"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"), default="DE")

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(contact__isnull=False, company__isnull=True)
                    | Q(contact__isnull=True, company__isnull=False)
                ),
                name="contacts_address_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"

    @property
    def lines(self) -> list[str]:
        lines = [
            self.recipient,
            self.street,
            self.extra,
            f"{self.postcode} {self.city}",
        ]
        if self.country and self.country.code != "DE":
            lines.append(str(self.country.name))
        return [line for line in lines if line and line.strip()]


class ContactCompany(models.Model):
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="company_links"
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="contact_links"
    )
    role = models.CharField(
        _("role"),
        max_length=100,
        blank=True,
        help_text=_('For example "Managing director" or "Buyer"'),
    )
    is_primary = models.BooleanField(_("main company"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("company link")
        verbose_name_plural = _("company links")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "company"], name="contacts_contactcompany_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} @ {self.company_id} ({self.role})"


class LifecycleChange(models.Model):
    """One move of a contact from one lifecycle stage to another."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(
        _("from"), max_length=30, choices=LifecycleStage.choices, blank=True
    )
    to_stage = models.CharField(_("to"), max_length=30, choices=LifecycleStage.choices)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(
        _("how"),
        max_length=10,
        choices=ChangeSource.choices,
        default=ChangeSource.MANUAL,
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")
        indexes = [
            models.Index(
                fields=["contact", "-changed_at"], name="contacts_stagechange_idx"
            ),
            models.Index(
                fields=["to_stage", "-changed_at"], name="contacts_stagechange_to_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.from_stage} -> {self.to_stage}"


# Import jobs live in their own package; importing them here registers them.
from .importing.models import ImportJob, ImportRowError  # noqa: E402, F401


class ContactFigures(models.Model):
    """A customer's purchase figures, kept current by whoever records orders.

    Lives here, not in commerce, so that the contact list can filter and sort
    on it like on any contact field; commerce writes it through
    :func:`kundig.contacts.services.contact_figures_set` (ADR 0014).
    """

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, primary_key=True, related_name="figures"
    )
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    revenue = models.DecimalField(
        _("revenue"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    average_order_value = models.DecimalField(
        _("average order value"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    returns_count = models.PositiveIntegerField(_("returns"), default=0)
    returns_rate = models.DecimalField(
        _("returns rate"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0"),
        help_text=_("Share of the orders with a return, 0 to 1."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer figures")
        verbose_name_plural = _("customer figures")
        indexes = [
            models.Index(fields=["last_order_at"], name="contacts_fig_last_order_idx"),
            models.Index(fields=["revenue"], name="contacts_fig_revenue_idx"),
            models.Index(fields=["orders_count"], name="contacts_fig_orders_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.orders_count} / {self.revenue}"

    @property
    def days_since_last_order(self) -> int | None:
        if self.last_order_at is None:
            return None
        return (timezone.now() - self.last_order_at).days
