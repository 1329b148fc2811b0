"""List filters: one definition for the page, its htmx partial, exports and API."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundig.core.models import Tag, Team

from . import search as search_backend
from .choices import LifecycleStage, Source
from .models import Company, Contact

STAGE_ORDER = Case(
    *[
        When(lifecycle_stage=stage, then=Value(i))
        for i, stage in enumerate(LifecycleStage)
    ],
    default=Value(len(LifecycleStage)),
    output_field=IntegerField(),
)

CONTACT_SORTS = {
    "name": ("sort_name", "id"),
    "-name": ("-sort_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    # Along the lifecycle (lead before customer), not alphabetically.
    "stage": ("stage_order", "sort_name", "id"),
    "-stage": ("-stage_order", "sort_name", "id"),
    # Customers without orders last: NULLs sort after any figure.
    "-revenue": (F("figures__revenue").desc(nulls_last=True), "sort_name", "id"),
    "-last_order": (
        F("figures__last_order_at").desc(nulls_last=True),
        "sort_name",
        "id",
    ),
}
COMPANY_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
SORT_LABELS = {
    "name": _("Name A–Z"),
    "-name": _("Name Z–A"),
    "created": _("Oldest first"),
    "-created": _("Newest first"),
    "updated": _("Least recently changed"),
    "-updated": _("Recently changed"),
    "stage": _("Lifecycle stage"),
    "-stage": _("Lifecycle stage, reversed"),
    "-revenue": _("Highest revenue first"),
    "-last_order": _("Most recent order first"),
}


def _start_of(day: dt.date) -> dt.datetime:
    """Return midnight at the start of ``day`` in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class OwnerField(forms.CharField):
    default_validators = [
        RegexValidator(r"^(me|none|[0-9]{1,18})$", _("Use me, none or a user ID."))
    ]


class OwnerFilter(django_filters.Filter):
    """``me``, ``none`` or a user id."""

    field_class = OwnerField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if value == "me":
            return qs.filter(owner=self.parent.request.user)
        if value == "none":
            return qs.filter(owner__isnull=True)
        return qs.filter(owner_id=value)


class _BaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    owner = OwnerFilter(label=_("Owner"))
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), label=_("Team"), empty_label=_("All teams")
    )
    tag = django_filters.ModelMultipleChoiceFilter(
        queryset=Tag.objects.all(),
        to_field_name="name",
        method="filter_tag",
        label=_("Tags"),
    )
    created_after = django_filters.DateFilter(
        method="filter_created_after",
        label=_("Created from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        method="filter_created_before",
        label=_("Created until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.ChoiceFilter(
        method="filter_sort", label=_("Sort"), empty_label=None
    )

    SORTS: dict[str, tuple[str, ...]] = {}
    # Computed sort keys, annotated only when a sort needs them.
    SORT_ANNOTATIONS: dict = {}

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["sort"].extra["choices"] = [
            (key, SORT_LABELS[key]) for key in self.SORTS
        ]

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return search_backend.search(qs, value) if value.strip() else qs

    def filter_tag(self, qs: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return qs
        through = self._meta.model.tags.through
        fk = f"{self._meta.model._meta.model_name}_id"
        return qs.filter(
            Exists(through.objects.filter(**{fk: OuterRef("pk")}, tag__in=list(value)))
        )

    # Whole days in the user's time zone, as a range of created_at rather than
    # ``created_at::date``, which no index serves: the contacts of last week
    # are then an index range, not a scan of all of them.
    def filter_created_after(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(created_at__gte=_start_of(value))

    def filter_created_before(self, qs: QuerySet, name: str, value) -> QuerySet:
        return qs.filter(created_at__lt=_start_of(value + dt.timedelta(days=1)))

    def filter_sort(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs  # applied last, in .qs, so it also orders search results

    @property
    def qs(self) -> QuerySet:
        qs = super().qs
        sort = (
            self.form.cleaned_data.get("sort")
            if self.is_bound and self.is_valid()
            else None
        )
        if sort:
            order = self.order_for(sort)
            needed = {
                key.lstrip("-"): self.SORT_ANNOTATIONS[key.lstrip("-")]
                for key in order
                if isinstance(key, str) and key.lstrip("-") in self.SORT_ANNOTATIONS
            }
            return qs.annotate(**needed).order_by(*order)
        if (
            self.is_bound
            and self.is_valid()
            and (self.form.cleaned_data.get("q") or "").strip()
        ):
            return qs.order_by("-rank", *self.SORTS["name"])
        return qs.order_by(*self.SORTS["name"])

    def order_for(self, sort: str) -> tuple[str, ...]:
        return self.SORTS[sort]


class ContactFilter(_BaseFilter):
    stage = django_filters.MultipleChoiceFilter(
        field_name="lifecycle_stage",
        # A contact has one stage, so no duplicates to remove; DISTINCT
        # made the database sort every contact of the stage by all columns.
        distinct=False,
        choices=LifecycleStage.choices,
        label=_("Lifecycle stage"),
    )
    source = django_filters.ChoiceFilter(
        choices=Source.choices, label=_("Source"), empty_label=_("Any source")
    )
    company = django_filters.NumberFilter(
        field_name="company_links__company", label=_("Company")
    )
    orders_min = django_filters.NumberFilter(
        field_name="figures__orders_count",
        lookup_expr="gte",
        label=_("Orders at least"),
        min_value=0,
    )
    orders_max = django_filters.NumberFilter(
        method="filter_orders_max", label=_("Orders at most"), min_value=0
    )
    revenue_min = django_filters.NumberFilter(
        field_name="figures__revenue",
        lookup_expr="gte",
        label=_("Revenue at least"),
        min_value=0,
    )
    no_order_days = django_filters.NumberFilter(
        method="filter_no_order_days",
        label=_("No order for days"),
        min_value=1,
        max_value=36500,
        help_text=_("Customers whose last order is at least this many days ago."),
    )

    SORTS = CONTACT_SORTS
    SORT_ANNOTATIONS = {"stage_order": STAGE_ORDER}

    def filter_orders_max(self, qs: QuerySet, name: str, value) -> QuerySet:
        # Contacts without figures have ordered nothing, so they count as 0.
        return qs.filter(Q(figures__isnull=True) | Q(figures__orders_count__lte=value))

    def filter_no_order_days(self, qs: QuerySet, name: str, value) -> QuerySet:
        cutoff = timezone.now() - dt.timedelta(days=int(value))
        return qs.filter(figures__last_order_at__lt=cutoff)

    def order_for(self, sort: str) -> tuple[str, ...]:
        # Within one stage, its order is the name's; and the stage index
        # serves that, where the stage order's index would skip every
        # contact of the earlier stages first.
        if sort in ("stage", "-stage") and len(self.form.cleaned_data["stage"]) == 1:
            return self.SORTS["name"]
        return super().order_for(sort)

    class Meta:
        model = Contact
        fields = [
            "q",
            "stage",
            "owner",
            "team",
            "tag",
            "source",
            "created_after",
            "created_before",
            "company",
            "orders_min",
            "orders_max",
            "revenue_min",
            "no_order_days",
            "sort",
        ]


class CompanyFilter(_BaseFilter):
    SORTS = COMPANY_SORTS

    class Meta:
        model = Company
        fields = [
            "q",
            "owner",
            "team",
            "tag",
            "created_after",
            "created_before",
            "sort",
        ]
