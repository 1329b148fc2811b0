"""Contacts and companies as the targets of bulk actions and exports.

One :class:`RecordType` per list bundles what differs between the two: the
filter, the visibility rule, the bulk services and the export columns. A
selection is always evaluated for a user, through that user's visibility,
so a job evaluates it again with its creator's visibility at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .. import exporting, selectors, services
from ..filters import CompanyFilter, ContactFilter


@dataclass(frozen=True)
class _UserOnly:
    """Stands in for the request a filter reads its user from (``owner=me``)."""

    user: Any


@dataclass(frozen=True)
class RecordType:
    key: str
    filterset_class: type
    visible: Callable[[Any], QuerySet]
    bulk_tag: Callable[..., int]
    bulk_assign: Callable[..., int]
    columns: Callable[[Any], list]
    export_rows: Callable[..., Any]
    export_chunk: Callable[..., list]
    basename: Promise

    def filterset(self, data, user):
        if isinstance(data, str):
            data = QueryDict(data)
        return self.filterset_class(
            data, queryset=self.visible(user), request=_UserOnly(user)
        )


CONTACTS = RecordType(
    key="contact",
    filterset_class=ContactFilter,
    visible=selectors.contacts_visible_to,
    bulk_tag=lambda *, records, **kw: services.contacts_bulk_tag(
        contacts=records, **kw
    ),
    bulk_assign=lambda *, records, **kw: services.contacts_bulk_assign(
        contacts=records, **kw
    ),
    columns=exporting.contact_columns,
    export_rows=exporting.contact_export_rows,
    export_chunk=exporting.contact_export_chunk,
    basename=_("contacts"),
)

COMPANIES = RecordType(
    key="company",
    filterset_class=CompanyFilter,
    visible=selectors.companies_visible_to,
    bulk_tag=lambda *, records, **kw: services.companies_bulk_tag(
        companies=records, **kw
    ),
    bulk_assign=lambda *, records, **kw: services.companies_bulk_assign(
        companies=records, **kw
    ),
    columns=exporting.company_columns,
    export_rows=lambda qs, columns, *, user: exporting.company_export_rows(qs, columns),
    export_chunk=exporting.company_export_chunk,
    basename=_("companies"),
)

RECORD_TYPES = {CONTACTS.key: CONTACTS, COMPANIES.key: COMPANIES}


class InvalidFilter(ValueError):
    """The filter of a selection is not valid (any more)."""


def selected(record_type: RecordType, user, *, query: str, ids) -> QuerySet:
    """Return the records ``user`` selected: ``ids``, or all matching ``query``.

    Ordered as the list is; raise :class:`InvalidFilter` for a bad filter.
    """
    filterset = record_type.filterset(query or "", user)
    if not filterset.is_valid():
        raise InvalidFilter(query)
    qs = filterset.qs
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs
