"""The timeline in the JSON API: interactions on contacts and companies.

Writes go through ``activity.services`` (which validate, sanitise HTML, audit
and emit events), reads through ``activity.selectors``, so the API sees what
the web UI sees.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator

from kundig.contacts.api.common import (
    DEFAULT_PAGE_SIZE,
    CompanyRef,
    ContactRef,
    CursorParam,
    Input,
    Moment,
    PageSize,
    Params,
    RecordId,
    UserOut,
    bad_cursor,
    company_ref,
    contact_ref,
    decode_cursor,
    encode_cursor,
    keyset_page,
    plain,
    reject_unknown_params,
    remap_errors,
    user_out,
    visible_links,
)
from kundig.contacts.selectors import company_get, contact_get
from kundig.core.visibility import can_see

from .. import selectors, services
from ..choices import Channel, Direction, Kind

SourceId = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
    Field(max_length=100),
]


class TimelineEntryIn(Input):
    """One interaction to add to a timeline."""

    kind: Kind = Field(description="What happened; not task_completed.")
    body: str = Field("", description="Text or HTML; HTML is sanitised.")
    summary: str = Field(
        "", description="One line; taken from the body if left out (max. 300)."
    )
    channel: Channel | None = Field(
        None, description="Where it happened; each kind has a default."
    )
    direction: Direction | None = Field(
        None, description="in, out or internal; notes default to internal, others out."
    )
    occurred_at: datetime | None = Field(
        None, description="When it happened (default: now); not in the future."
    )
    duration_minutes: int | None = Field(None, ge=0, le=24 * 60)
    source_type: str = Field(
        "",
        max_length=50,
        description=(
            "The system an entry comes from, e.g. `shop.order`. With `source_id`, "
            "sending the same entry again returns the first one (200, not 201)."
        ),
    )
    source_id: SourceId = Field("", description="The entry's id in that system.")
    source_url: str = Field(
        "", max_length=500, description="A http(s) link to it in that system."
    )


class TimelineEntryCreate(TimelineEntryIn):
    contact_id: RecordId | None = Field(None, description="The contact it belongs to.")
    company_id: RecordId | None = Field(
        None, description="The company it belongs to (or as well)."
    )


class TimelineEntryPatch(Input):
    summary: str | None = None
    body: str | None = Field(
        None, max_length=100_000, description="Text or HTML; HTML is sanitised."
    )


class TimelineEntryOut(Schema):
    id: int
    kind: str
    channel: str
    direction: str
    occurred_at: Moment
    summary: str
    body: str = Field(description="Sanitised HTML.")
    duration_minutes: int | None
    actor: UserOut | None = Field(description="Who recorded it.")
    contact: ContactRef | None
    company: CompanyRef | None
    source_type: str
    source_id: str
    source_url: str
    created_at: Moment


class TimelinePage(Schema):
    results: list[TimelineEntryOut]
    next: str | None = Field(description="Cursor of the next (older) page.")


class TimelineParams(Params):
    kind: list[str] | None = Field(
        None, description="Only these kinds; repeat for several: " + ", ".join(Kind)
    )
    channel: list[str] | None = Field(
        None,
        description="Only these channels; repeat for several: " + ", ".join(Channel),
    )
    cursor: CursorParam = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


class TimelineListParams(TimelineParams):
    q: str | None = Field(None, description="Text in the summary or body.")
    contact: RecordId | None = Field(None, description="Entries of this contact id.")
    company: RecordId | None = Field(None, description="Entries of this company id.")


def _entry_out(entry, user) -> dict:
    contact = entry.contact if entry.contact_id else None
    company = entry.company if entry.company_id else None
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "channel": entry.channel,
        "direction": entry.direction,
        "occurred_at": entry.occurred_at,
        "summary": entry.summary,
        "body": entry.body,
        "duration_minutes": entry.duration_minutes,
        "actor": user_out(entry.actor),
        "contact": contact_ref(contact) if contact and can_see(user, contact) else None,
        "company": company_ref(company) if company and can_see(user, company) else None,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "source_url": entry.source_url,
        "created_at": entry.created_at,
    }


def _checked(values: list[str] | None, allowed, name: str) -> list[str] | None:
    unknown = [v for v in values or () if v not in allowed.values]
    if unknown:
        raise ValidationError(
            {
                name: [
                    _("Unknown value %(value)s; use one of: %(values)s.")
                    % {"value": unknown[0], "values": ", ".join(allowed.values)}
                ]
            }
        )
    return values or None


def _timeline_page(request, params: TimelineParams, selector, **subject) -> dict:
    reject_unknown_params(request, TimelineParams.model_fields)
    before = None
    if params.cursor:
        packed = decode_cursor(params.cursor)
        try:
            before = selectors.Cursor.decode(packed.get("t"))
        except (AttributeError, TypeError, ValueError):
            raise bad_cursor() from None
        if before is None:
            raise bad_cursor()
    rows, cursor = selector(
        **subject,
        before=before,
        kinds=_checked(params.kind, Kind, "kind"),
        channels=_checked(params.channel, Channel, "channel"),
        limit=params.page_size,
    )
    return {
        "results": [_entry_out(entry, request.auth) for entry in rows],
        "next": encode_cursor({"t": cursor.encode()}) if cursor else None,
    }


def _add_entry(request, payload: TimelineEntryIn, *, contact=None, company=None):
    data = payload.model_dump()
    errors: dict[str, list[str]] = {}
    if data["kind"] == Kind.TASK_COMPLETED:
        errors["kind"] = [_("Complete the task instead; that adds this entry.")]
    if bool(data["source_type"]) != bool(data["source_id"]):
        name = "source_id" if data["source_type"] else "source_type"
        errors[name] = [_("Send source_type and source_id together.")]
    if data["source_url"]:
        try:
            URLValidator(schemes=["http", "https"])(data["source_url"])
        except ValidationError:
            errors["source_url"] = [_("Enter a http or https address.")]
    if errors:
        raise ValidationError(errors)
    started = timezone.now()
    try:
        entry = services.timeline_add(
            actor=request.auth,
            kind=plain(data["kind"]),
            contact=contact,
            company=company,
            summary=data["summary"],
            body=data["body"],
            channel=plain(data["channel"]),
            direction=plain(data["direction"]),
            occurred_at=data["occurred_at"],
            duration_minutes=data["duration_minutes"],
            source_type=data["source_type"],
            source_id=data["source_id"],
            source_url=data["source_url"],
        )
    except ValidationError as exc:
        raise remap_errors(
            exc, lambda n: "contact_id" if n == "contact" else n
        ) from None
    if entry.contact_id != getattr(contact, "pk", None) or entry.company_id != getattr(
        company, "pk", None
    ):
        # The service found an entry of this source on another record.
        raise ValidationError(
            {"source_id": [_("This source is already recorded on another record.")]}
        )
    status = 201 if entry.created_at >= started else 200
    return Status(status, _entry_out(entry, request.auth))


timeline_router = Router(tags=["Timeline"])


@timeline_router.get(
    "/contacts/{int:contact_id}/timeline",
    response=TimelinePage,
    summary="List a contact's timeline",
    operation_id="list_contact_timeline",
)
def list_contact_timeline(request, contact_id: int, params: Query[TimelineParams]):
    """Return a contact's interactions, newest first, a page at a time."""
    contact = contact_get(user=request.auth, pk=contact_id)
    return _timeline_page(request, params, selectors.contact_timeline, contact=contact)


@timeline_router.post(
    "/contacts/{int:contact_id}/timeline",
    response={200: TimelineEntryOut, 201: TimelineEntryOut},
    summary="Add to a contact's timeline",
    operation_id="add_contact_timeline_entry",
)
def add_contact_timeline_entry(request, contact_id: int, payload: TimelineEntryIn):
    """Add a note, call, meeting, letter, email, chat or other interaction.

    A note needs a `body`. HTML is sanitised. With `source_type` and
    `source_id` the call is idempotent: the same source again answers the
    existing entry with 200.
    """
    contact = contact_get(user=request.auth, pk=contact_id)
    return _add_entry(request, payload, contact=contact)


@timeline_router.get(
    "/companies/{int:company_id}/timeline",
    response=TimelinePage,
    summary="List a company's timeline",
    operation_id="list_company_timeline",
)
def list_company_timeline(request, company_id: int, params: Query[TimelineParams]):
    """Return the interactions with a company and its contacts, newest first."""
    company = company_get(user=request.auth, pk=company_id)
    return _timeline_page(
        request,
        params,
        selectors.company_timeline,
        user=request.auth,
        company=company,
    )


@timeline_router.post(
    "/companies/{int:company_id}/timeline",
    response={200: TimelineEntryOut, 201: TimelineEntryOut},
    summary="Add to a company's timeline",
    operation_id="add_company_timeline_entry",
)
def add_company_timeline_entry(request, company_id: int, payload: TimelineEntryIn):
    """Add an interaction with a company, like on a contact's timeline."""
    company = company_get(user=request.auth, pk=company_id)
    return _add_entry(request, payload, company=company)


@timeline_router.get(
    "/timeline",
    response=TimelinePage,
    summary="List timeline entries",
    operation_id="list_timeline_entries",
)
def list_timeline_entries(request, params: Query[TimelineListParams]):
    """Return the interactions on all records the caller may see, newest first."""
    reject_unknown_params(request, TimelineListParams.model_fields)
    qs = selectors.timeline_entries_visible_to(request.auth).select_related(
        "actor", "contact", "company"
    )
    if kinds := _checked(params.kind, Kind, "kind"):
        qs = qs.filter(kind__in=kinds)
    if channels := _checked(params.channel, Channel, "channel"):
        qs = qs.filter(channel__in=channels)
    if params.contact is not None:
        qs = qs.filter(contact_id=params.contact)
    if params.company is not None:
        qs = qs.filter(company_id=params.company)
    if params.q and params.q.strip():
        text = params.q.strip()
        qs = qs.filter(Q(summary__icontains=text) | Q(body__icontains=text))
    rows, next_cursor = keyset_page(
        qs, order=("-occurred_at", "-id"), cursor=params.cursor, size=params.page_size
    )
    return {
        "results": [_entry_out(entry, request.auth) for entry in rows],
        "next": next_cursor,
    }


@timeline_router.post(
    "/timeline",
    response={200: TimelineEntryOut, 201: TimelineEntryOut},
    summary="Add a timeline entry",
    operation_id="create_timeline_entry",
)
def create_timeline_entry(request, payload: TimelineEntryCreate):
    """Add an interaction to the contact and/or company named in the body."""
    records = visible_links(
        request.auth,
        {"contact_id": payload.contact_id, "company_id": payload.company_id},
    )
    entry_fields = payload.model_dump(include=set(TimelineEntryIn.model_fields))
    return _add_entry(request, TimelineEntryIn(**entry_fields), **records)


def _entry_get(user, entry_id: int):
    """Return the entry if ``user`` may see it; 404 otherwise."""
    entry = (
        selectors.timeline_entries_visible_to(user)
        .select_related("actor", "contact", "company")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


@timeline_router.get(
    "/timeline/{int:entry_id}",
    response=TimelineEntryOut,
    summary="Get a timeline entry",
    operation_id="get_timeline_entry",
)
def get_timeline_entry(request, entry_id: int):
    """Return one entry; 404 if the caller may not see its record."""
    return _entry_out(_entry_get(request.auth, entry_id), request.auth)


@timeline_router.patch(
    "/timeline/{int:entry_id}",
    response=TimelineEntryOut,
    summary="Change a timeline entry",
    operation_id="update_timeline_entry",
)
def update_timeline_entry(request, entry_id: int, payload: TimelineEntryPatch):
    """Change an entry's summary or body.

    Only its author, or a role that may delete, can. Entries mirrored from
    another record (a completed task) change with that record only.
    """
    entry = _entry_get(request.auth, entry_id)
    entry = services.timeline_entry_update(
        actor=request.auth, entry=entry, **payload.model_dump(exclude_unset=True)
    )
    return _entry_out(entry, request.auth)


@timeline_router.delete(
    "/timeline/{int:entry_id}",
    response={204: None},
    summary="Delete a timeline entry",
    operation_id="delete_timeline_entry",
)
def delete_timeline_entry(request, entry_id: int):
    """Delete an entry; the same rules as for changing it apply."""
    entry = _entry_get(request.auth, entry_id)
    services.timeline_entry_delete(actor=request.auth, entry=entry)
    return Status(204, None)
