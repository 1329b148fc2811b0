"""Reads of contacts and companies, always through the viewer's visibility."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404

from kundig.core.audit import audit_history
from kundig.core.text import sort_name
from kundig.core.visibility import visible_q

from . import search as search_backend
from .models import (
    Address,
    Company,
    Contact,
    ContactCompany,
    ContactEmail,
    ContactFigures,
    ContactPhone,
    LifecycleChange,
)


def contacts_visible_to(user) -> QuerySet[Contact]:
    return Contact.objects.filter(visible_q(user))


def companies_visible_to(user) -> QuerySet[Company]:
    return Company.objects.filter(visible_q(user))


def contact_get(*, user, pk) -> Contact:
    """Return the contact ``pk`` if ``user`` may see it; 404 otherwise."""
    return get_object_or_404(
        contacts_visible_to(user).select_related("owner", "team"), pk=pk
    )


def company_get(*, user, pk) -> Company:
    return get_object_or_404(
        companies_visible_to(user).select_related("owner", "team"), pk=pk
    )


def _contact_row_lookups(user=None) -> list:
    """Return the prefetches of what a list row shows; see ``contact_list_prefetch``."""
    company_links = ContactCompany.objects.select_related("company").order_by(
        "-is_primary", "id"
    )
    if user is not None:
        company_links = company_links.filter(
            company__in=companies_visible_to(user).values("pk")
        )
    return [
        Prefetch(
            "emails",
            queryset=ContactEmail.objects.filter(is_primary=True),
            to_attr="primary_emails",
        ),
        Prefetch(
            "phones",
            queryset=ContactPhone.objects.filter(is_primary=True),
            to_attr="primary_phones",
        ),
        Prefetch(
            "company_links", queryset=company_links, to_attr="visible_company_links"
        ),
        "tags",
    ]


def contact_list_prefetch(qs: QuerySet[Contact], *, user=None) -> QuerySet[Contact]:
    """Add what a list row shows: primary email and phone, main company, tags, owner."""
    return qs.select_related("owner", "team").prefetch_related(
        *_contact_row_lookups(user)
    )


def company_list_prefetch(qs: QuerySet[Company]) -> QuerySet[Company]:
    return qs.select_related("owner", "team").prefetch_related("tags", "addresses")


def contact_search(qs: QuerySet, query: str) -> QuerySet:
    """Narrow ``qs`` to the records matching ``query``, annotated with ``rank``."""
    return search_backend.search(qs, query)


def contact_quick_search(*, user, query: str, limit: int = 8) -> list[Contact]:
    """Return the best matches for search-as-you-type, with what a list row shows."""
    qs = contacts_visible_to(user).select_related("owner", "team")
    rows = search_backend.quick_search(qs, query, limit=limit)
    prefetch_related_objects(rows, *_contact_row_lookups(user))
    return rows


def contact_ids_matching(*, user, query: str, limit: int = 200) -> list[int]:
    """The ids of the contacts ``user`` sees that search-as-you-type finds first."""
    rows = search_backend.quick_search(contacts_visible_to(user), query, limit=limit)
    return [contact.pk for contact in rows]


def company_quick_search(*, user, query: str, limit: int = 5) -> list[Company]:
    return search_backend.quick_search(companies_visible_to(user), query, limit=limit)


def contact_profile(*, user, pk) -> Contact:
    """Return a contact with everything its profile panel shows."""
    company_links = ContactCompany.objects.select_related("company").filter(
        company__in=companies_visible_to(user).values("pk")
    )
    return get_object_or_404(
        contacts_visible_to(user)
        .select_related("owner", "team", "created_by", "figures")
        .prefetch_related(
            "emails",
            "phones",
            "addresses",
            "tags",
            Prefetch(
                "company_links", queryset=company_links, to_attr="visible_company_links"
            ),
        ),
        pk=pk,
    )


def company_profile(*, user, pk) -> Company:
    return get_object_or_404(
        companies_visible_to(user)
        .select_related("owner", "team", "created_by")
        .prefetch_related("addresses", "tags"),
        pk=pk,
    )


def company_contacts(*, user, company: Company) -> QuerySet[Contact]:
    """Return the contacts of ``company`` that ``user`` may see, with their roles."""
    return (
        contacts_visible_to(user)
        .filter(company_links__company=company)
        .prefetch_related(
            Prefetch(
                "emails",
                queryset=ContactEmail.objects.filter(is_primary=True),
                to_attr="primary_emails",
            ),
            Prefetch(
                "phones",
                queryset=ContactPhone.objects.filter(is_primary=True),
                to_attr="primary_phones",
            ),
            Prefetch(
                "company_links",
                queryset=ContactCompany.objects.filter(company=company),
                to_attr="links_here",
            ),
        )
        .order_by("sort_name", "id")
    )


def contact_ids_of_company(*, user, company: Company) -> QuerySet:
    return contacts_visible_to(user).filter(company_links__company=company).values("pk")


def contact_stage_history(
    *, contact: Contact, limit: int = 50
) -> list[LifecycleChange]:
    return list(
        contact.stage_changes.select_related("actor").order_by("-changed_at", "-id")[
            :limit
        ]
    )


def record_history(record, *, limit: int = 100):
    return audit_history(record, limit=limit)


# --- Identity lookups for incoming records (no viewer: the system matches) ------------


def contact_by_email(email: str) -> Contact | None:
    """The contact with this email address (stored lower-case), oldest first."""
    link = (
        ContactEmail.objects.filter(email=email.strip().lower())
        .order_by("contact_id")
        .select_related("contact")
        .first()
    )
    return link.contact if link else None


def contacts_by_email(emails: Iterable[str]) -> dict[str, Contact]:
    """:func:`contact_by_email` for many addresses in one query: address → contact."""
    wanted = {e.strip().lower() for e in emails if e}
    found: dict[str, Contact] = {}
    links = (
        ContactEmail.objects.filter(email__in=wanted)
        .order_by("-contact_id")
        .select_related("contact")
    )
    for link in links:  # the oldest contact of an address comes last and stays
        found[link.email] = link.contact
    return found


def contact_by_name_and_postcode(
    *, first_name: str, last_name: str, postcode: str
) -> Contact | None:
    """The contact with this name and an address at this postcode, if exactly one."""
    if not (first_name and last_name and postcode):
        return None
    found = list(
        Contact.objects.filter(
            # The folded sort name finds the few candidates by its index; the
            # names are then compared without case (at a million contacts the
            # case-insensitive comparison alone read them all: 120 ms).
            sort_name=sort_name(last_name.strip(), first_name.strip()),
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            addresses__postcode=postcode.strip(),
        )
        .distinct()
        .order_by("id")[:2]
    )
    return found[0] if len(found) == 1 else None


def contacts_by_emails(emails) -> dict[str, int]:
    """Map each address (lower-case) to the oldest contact id having it."""
    wanted = {e.strip().lower() for e in emails if e}
    found: dict[str, int] = {}
    for email, contact_id in (
        ContactEmail.objects.filter(email__in=wanted)
        .order_by("-contact_id")
        .values_list("email", "contact_id")
        .iterator(chunk_size=5000)
    ):
        found[email] = contact_id  # the oldest comes last and stays
    return found


def contacts_by_names_and_postcodes(people) -> dict[tuple[str, str, str], list[int]]:
    """Map ``(first, last, postcode)`` to the ids of contacts having them.

    Keys are lower-case names and the stripped postcode; names compare
    without case, like :func:`contact_by_name_and_postcode`. Lists hold at
    most two ids: one is a match, two are too many.
    """
    wanted = {
        (first.strip().lower(), last.strip().lower(), postcode.strip())
        for first, last, postcode in people
        if first and last and postcode
    }
    if not wanted:
        return {}
    candidates: dict[tuple[str, str, str], set[int]] = {}
    # The folded sort name finds the candidates by index; the exact names
    # are compared here.
    rows = Address.objects.filter(
        contact__sort_name__in={sort_name(last, first) for first, last, _p in wanted},
        postcode__in={postcode for _f, _l, postcode in wanted},
    ).values_list("contact_id", "contact__first_name", "contact__last_name", "postcode")
    for contact_id, first, last, postcode in rows.iterator(chunk_size=5000):
        key = (first.strip().lower(), last.strip().lower(), postcode.strip())
        if key in wanted:
            candidates.setdefault(key, set()).add(contact_id)
    return {key: sorted(ids)[:2] for key, ids in candidates.items()}


# --- For messages (no viewer: the system writes to its customers) ---------------------


def contacts_for_messages(ids) -> dict[int, Contact]:
    """The contacts ``ids`` with what a message's merge fields read, by id."""
    return {
        c.pk: c
        for c in Contact.objects.filter(pk__in=list(ids))
        .select_related("owner")
        .prefetch_related(
            "emails",
            "addresses",
            Prefetch(
                "company_links",
                queryset=ContactCompany.objects.select_related("company"),
            ),
        )
    }


def contacts_existing(ids) -> set[int]:
    """Which of the contact ``ids`` still exist (one query)."""
    return set(Contact.objects.filter(pk__in=set(ids)).values_list("pk", flat=True))


def customers_last_ordered_before(moment) -> QuerySet:
    """Figures of customers whose last order was before ``moment`` (an index serves)."""
    return ContactFigures.objects.filter(orders_count__gt=0, last_order_at__lt=moment)


def contacts_born_on(month: int, day: int) -> QuerySet[Contact]:
    """Contacts whose birthday falls on this month and day."""
    return Contact.objects.filter(birthday__month=month, birthday__day=day)
