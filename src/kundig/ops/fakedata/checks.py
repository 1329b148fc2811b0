"""Check generated data against the invariants the services keep.

Used by the seed command on a sample after a run, and by the tests on
everything they generate. Each check returns readable problems instead of
raising, so one run reports all of them.
"""

from __future__ import annotations

import itertools

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.utils import timezone

from kundig.contacts.services import company_search_key, contact_search_key
from kundig.contacts.validation import normalize_phone, normalize_vat_id
from kundig.core.sanitize import sanitize_html


def _model(name: str):
    app, model = name.split(".")
    return apps.get_model(app, model)


def check_contacts(ids=None, *, limit: int | None = 500) -> list[str]:
    """Check the newest ``limit`` contacts (or those with ``ids``)."""
    contact = _model("contacts.Contact")
    change = _model("contacts.LifecycleChange")
    link = _model("contacts.ContactCompany")
    qs = contact.objects.order_by("-id")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if limit is not None:
        qs = qs[:limit]
    qs = qs.prefetch_related(
        "emails",
        "phones",
        Prefetch("company_links", queryset=link.objects.select_related("company")),
        Prefetch("stage_changes", queryset=change.objects.order_by("changed_at", "id")),
    )
    problems = []
    for record in qs:
        name = f"contact {record.pk}"
        if contact_search_key(record) != record.search_key:
            problems.append(f"{name}: search key differs from contact_search_key")
        emails = list(record.emails.all())
        if emails and sum(e.is_primary for e in emails) != 1:
            problems.append(f"{name}: not exactly one primary email")
        if len({e.email for e in emails}) != len(emails):
            problems.append(f"{name}: an email is listed twice")
        for email in emails:
            try:
                validate_email(email.email)
            except ValidationError:
                problems.append(f"{name}: invalid email {email.email}")
            if email.email != email.email.lower():
                problems.append(f"{name}: email {email.email} is not lower case")
        phones = list(record.phones.all())
        if phones and sum(p.is_primary for p in phones) != 1:
            problems.append(f"{name}: not exactly one primary phone")
        for phone in phones:
            try:
                if normalize_phone(phone.number) != phone.number:
                    problems.append(f"{name}: phone {phone.number} is not E.164")
            except ValueError:
                problems.append(f"{name}: invalid phone {phone.number}")
        changes = list(record.stage_changes.all())
        if not changes or changes[0].from_stage != "":
            problems.append(f"{name}: no initial lifecycle change from ''")
        elif changes[-1].to_stage != record.lifecycle_stage:
            problems.append(f"{name}: lifecycle history does not end in its stage")
        elif changes[-1].changed_at != record.stage_changed_at:
            problems.append(f"{name}: stage_changed_at is not the last change")
        for before, after in itertools.pairwise(changes):
            if after.from_stage != before.to_stage:
                problems.append(f"{name}: lifecycle history has a gap")
    return problems


def check_companies(*, limit: int | None = 500) -> list[str]:
    company = _model("contacts.Company")
    qs = company.objects.order_by("-id").prefetch_related("addresses")
    problems = []
    for record in qs[:limit] if limit is not None else qs:
        name = f"company {record.pk}"
        if company_search_key(record) != record.search_key:
            problems.append(f"{name}: search key differs from company_search_key")
        if record.vat_id:
            try:
                if normalize_vat_id(record.vat_id) != record.vat_id:
                    problems.append(f"{name}: VAT ID {record.vat_id} is not compact")
            except ValueError:
                problems.append(f"{name}: invalid VAT ID {record.vat_id}")
        if record.phone:
            try:
                normalize_phone(record.phone)
            except ValueError:
                problems.append(f"{name}: invalid phone {record.phone}")
    return problems


def check_timeline(*, limit: int | None = 2000) -> list[str]:
    entry = _model("activity.TimelineEntry")
    qs = entry.objects.order_by("-id").select_related("contact", "company")
    problems = []
    now = timezone.now()
    for record in qs[:limit] if limit is not None else qs:
        name = f"timeline entry {record.pk}"
        if sanitize_html(record.body) != record.body:
            problems.append(f"{name}: body is not sanitised HTML")
        subject = record.contact or record.company
        if subject is None:
            problems.append(f"{name}: has neither contact nor company")
        elif record.occurred_at < subject.created_at:
            problems.append(f"{name}: happened before its record was created")
        if record.occurred_at > now:
            problems.append(f"{name}: lies in the future")
        if not 0 < len(record.summary) <= 300:
            problems.append(f"{name}: summary length {len(record.summary)}")
    return problems


def check_tasks(*, generated_at=None) -> list[str]:
    """Check that no reminder was due, unsent, when the data was generated."""
    task = _model("activity.Task")
    pending = task.objects.filter(
        status="open",
        reminded_at__isnull=True,
        remind_at__lte=generated_at or timezone.now(),
    ).count()
    return [f"{pending} open tasks have a past, unsent reminder"] if pending else []


def check_all(*, limit: int | None = 500, generated_at=None) -> list[str]:
    """Check the newest ``limit`` contacts and companies, four times as many entries."""
    return (
        check_contacts(limit=limit)
        + check_companies(limit=limit)
        + check_timeline(limit=None if limit is None else limit * 4)
        + check_tasks(generated_at=generated_at)
    )
