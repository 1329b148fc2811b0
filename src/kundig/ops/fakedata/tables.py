"""The tables generated rows go to, and their columns in row order.

Models are looked up through the app registry (``kundig.ops`` must not
import ``kundig.contacts.models``). :func:`check_columns` fails early, with a
clear message, when a model gained a required column the generator does not
fill or lost one it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@dataclass(frozen=True)
class Table:
    key: str
    model: str  # "app_label.ModelName" or "app_label.ModelName.m2m_field"
    columns: tuple[str, ...]

    @property
    def model_class(self) -> type[models.Model]:
        app_label, name, *m2m = self.model.split(".")
        model = apps.get_model(app_label, name)
        if m2m:
            return model._meta.get_field(m2m[0]).remote_field.through
        return model

    @property
    def db_table(self) -> str:
        return self.model_class._meta.db_table


COMPANY = Table(
    "company",
    "contacts.Company",
    (
        "id", "created_at", "updated_at", "name", "legal_form", "vat_id", "industry",
        "size", "website", "email", "phone", "custom", "external_id", "search_key",
        "created_by_id", "owner_id", "team_id",
    ),
)  # fmt: skip
CONTACT = Table(
    "contact",
    "contacts.Contact",
    (
        "id", "created_at", "updated_at", "salutation", "title", "first_name",
        "last_name", "form_of_address", "language", "birthday", "lifecycle_stage",
        "stage_changed_at", "source", "custom", "external_id", "search_key",
        "sort_name", "created_by_id", "owner_id", "team_id",
    ),
)  # fmt: skip
EMAIL = Table(
    "email", "contacts.ContactEmail", ("contact_id", "email", "kind", "is_primary")
)
PHONE = Table(
    "phone", "contacts.ContactPhone", ("contact_id", "number", "kind", "is_primary")
)
ADDRESS = Table(
    "address",
    "contacts.Address",
    (
        "contact_id", "company_id", "kind", "recipient", "street", "extra",
        "postcode", "city", "country",
    ),
)  # fmt: skip
LINK = Table(
    "link",
    "contacts.ContactCompany",
    ("contact_id", "company_id", "role", "is_primary"),
)
STAGE = Table(
    "stage",
    "contacts.LifecycleChange",
    ("contact_id", "from_stage", "to_stage", "changed_at", "source", "actor_id"),
)
CONTACT_TAG = Table("contact_tag", "contacts.Contact.tags", ("contact_id", "tag_id"))
COMPANY_TAG = Table("company_tag", "contacts.Company.tags", ("company_id", "tag_id"))
TIMELINE = Table(
    "timeline",
    "activity.TimelineEntry",
    (
        "contact_id", "company_id", "kind", "channel", "direction", "occurred_at",
        "actor_id", "summary", "body", "source_type", "source_id", "source_url",
        "duration_minutes", "created_at",
    ),
)  # fmt: skip
TASK = Table(
    "task",
    "activity.Task",
    (
        "id", "title", "description", "due_at", "priority", "status", "remind_at",
        "reminded_at", "completed_at", "created_at", "updated_at", "assignee_id",
        "company_id", "completed_by_id", "contact_id", "created_by_id",
    ),
)  # fmt: skip

ORDER = Table(
    "order",
    "commerce.Order",
    (
        "id", "contact_id", "source", "external_id", "number", "channel", "status",
        "currency", "subtotal", "discount_total", "shipping_total", "tax_total",
        "total", "refunded_total", "coupon_codes", "email", "customer_ref",
        "placed_at", "paid_at", "created_at", "updated_at",
    ),
)  # fmt: skip
ORDER_LINE = Table(
    "order_line",
    "commerce.OrderLine",
    (
        "order_id", "position", "sku", "name", "quantity", "unit_price", "discount",
        "tax_rate", "tax", "total", "unavailable",
    ),
)  # fmt: skip

# The order rows are written in: referenced tables before the ones pointing at them.
ALL = (
    COMPANY, COMPANY_TAG, CONTACT, EMAIL, PHONE, ADDRESS, LINK, STAGE, CONTACT_TAG,
    TASK, TIMELINE, ORDER, ORDER_LINE,
)  # fmt: skip
BY_KEY = {t.key: t for t in ALL}


def check_columns() -> None:
    """Raise ImproperlyConfigured if a table's columns no longer match its model."""
    for table in ALL:
        fields = [
            f for f in table.model_class._meta.concrete_fields if not f.primary_key
        ]
        known = {f.column for f in table.model_class._meta.concrete_fields}
        unknown = set(table.columns) - known
        missing = [
            f.column
            for f in fields
            if f.column not in table.columns
            and not f.null
            and f.db_default is models.NOT_PROVIDED
        ]
        if unknown or missing:
            raise ImproperlyConfigured(
                f"The data generator is out of date for {table.model}: "
                f"unknown columns {sorted(unknown)}, unfilled required columns "
                f"{sorted(missing)}. Update kundig/ops/fakedata/tables.py and "
                f"records.py."
            )
