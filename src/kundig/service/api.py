"""Tickets in the JSON API: list, open, read, change, answer, note."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from kundig.commerce.selectors import orders_visible_to
from kundig.contacts.api.common import (
    DEFAULT_PAGE_SIZE,
    ContactRef,
    CursorParam,
    Input,
    Moment,
    PageSize,
    Params,
    RecordId,
    UserKey,
    UserOut,
    contact_ref,
    filter_or_400,
    keyset_page,
    plain,
    reject_unknown_params,
    remap_errors,
    user_out,
    visible_links,
    web_url,
)
from kundig.core.models import User

from . import selectors, services
from .choices import (
    OPEN_STATUSES,
    EntryKind,
    Priority,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from .models import Queue, Ticket

TICKET_SORTS = {
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
STATUS_FILTERS = ["open", *TicketStatus.values]
RELATED = ("contact", "queue", "assignee", "order")


class AssigneeField(forms.CharField):
    default_validators = [
        RegexValidator(
            r"^(me|none|[0-9]{1,18})$", gettext_lazy("Use me, none or a user ID.")
        )
    ]


class AssigneeFilter(django_filters.Filter):
    """``me``, ``none`` (unassigned) or a user id."""

    field_class = AssigneeField

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if value == "me":
            return qs.filter(assignee=self.parent.request.user)
        if value == "none":
            return qs.filter(assignee__isnull=True)
        return qs.filter(assignee_id=int(value))


class TicketFilter(django_filters.FilterSet):
    """The filters of the ticket list."""

    q = django_filters.CharFilter(method="filter_q")
    status = django_filters.ChoiceFilter(
        choices=[(s, s) for s in STATUS_FILTERS], method="filter_status"
    )
    queue = django_filters.NumberFilter(field_name="queue_id")
    assignee = AssigneeFilter()
    contact = django_filters.NumberFilter(field_name="contact_id")
    category = django_filters.ChoiceFilter(choices=TicketCategory.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    channel = django_filters.ChoiceFilter(choices=TicketChannel.choices)
    sort = django_filters.ChoiceFilter(
        choices=[(key, key) for key in TICKET_SORTS], method="filter_sort"
    )

    class Meta:
        model = Ticket
        fields = [
            "q", "status", "queue", "assignee", "contact", "category", "priority",
            "channel", "sort",
        ]  # fmt: skip

    def filter_q(self, qs, name, value):
        text = (value or "").strip()
        return qs.filter(subject__icontains=text) if text else qs

    def filter_status(self, qs, name, value):
        if value == "open":
            return qs.filter(status__in=OPEN_STATUSES)
        return qs.filter(status=value)

    def filter_sort(self, qs, name, value):
        return qs  # the list orders by the cursor's keys


class QueueRef(Schema):
    id: int
    name: str


class EntryOut(Schema):
    id: int
    kind: str = Field(description=", ".join(EntryKind.values))
    text: str
    author: UserOut | None
    mail_id: int | None = Field(description="The customer's mail, or the one we sent.")
    written_at: Moment


class TicketOut(Schema):
    id: int
    number: str
    subject: str
    status: str
    channel: str
    category: str
    priority: str
    contact: ContactRef
    queue: QueueRef
    assignee: UserOut | None
    order_id: int | None
    first_response_at: Moment | None
    solved_at: Moment | None
    reopened: int
    created_at: Moment
    updated_at: Moment
    url: str | None


class TicketDetailOut(TicketOut):
    entries: list[EntryOut]


class TicketPage(Schema):
    results: list[TicketOut]
    next: str | None


class TicketListParams(Params):
    q: str | None = Field(None, description="Text in the subject.")
    status: str | None = Field(
        None, description="`open` (new, open or waiting) or one of: "
        + ", ".join(TicketStatus.values),
    )  # fmt: skip
    queue: RecordId | None = Field(None, description="A queue id.")
    assignee: str | None = Field(None, description="`me`, `none` or a user id.")
    contact: RecordId | None = Field(None, description="Tickets of this contact id.")
    category: str | None = Field(None, description=", ".join(TicketCategory.values))
    priority: str | None = Field(None, description=", ".join(Priority.values))
    channel: str | None = Field(None, description=", ".join(TicketChannel.values))
    sort: str | None = Field(
        None, description="By id if left out: " + ", ".join(TICKET_SORTS)
    )
    cursor: CursorParam = None
    page_size: PageSize = DEFAULT_PAGE_SIZE


class TicketIn(Input):
    """A ticket to open, e.g. from a shop's contact form."""

    contact_id: RecordId
    subject: str = Field(max_length=300)
    text: str = Field("", description="The customer's message.")
    channel: TicketChannel = TicketChannel.WEB
    category: TicketCategory = TicketCategory.QUESTION
    priority: Priority = Priority.NORMAL
    queue_id: RecordId | None = Field(None, description="Default: the default queue.")
    assignee: UserKey = Field(None, description="User id or email; default: nobody.")
    order_id: RecordId | None = Field(None, description="An order of the contact.")
    key: str | None = Field(
        None,
        max_length=100,
        description="Your id of the request: sending it again opens nothing new.",
    )


class TicketPatch(Input):
    """The parts of a ticket to change."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    category: TicketCategory | None = None
    queue_id: RecordId | None = None
    assignee: UserKey = Field(None, description="User id or email; `none`: nobody.")


class ReplyIn(Input):
    """An answer to the customer, sent by mail."""

    text: str
    key: str = Field(
        pattern=r"^[0-9a-f]{32}$",
        description="32 hex characters you choose per answer: the same key sends "
        "one mail, however often the request is repeated.",
    )
    status: TicketStatus = Field(
        TicketStatus.WAITING_CUSTOMER, description="The ticket's status after it."
    )


class NoteIn(Input):
    """An internal note: for the team, never sent."""

    text: str


def _ticket_out(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "channel": ticket.channel,
        "category": ticket.category,
        "priority": ticket.priority,
        "contact": contact_ref(ticket.contact),
        "queue": {"id": ticket.queue_id, "name": ticket.queue.name},
        "assignee": user_out(ticket.assignee),
        "order_id": ticket.order_id,
        "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at,
        "reopened": ticket.reopened,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "url": web_url(ticket),
    }


def _detail_out(ticket: Ticket) -> dict:
    return {
        **_ticket_out(ticket),
        "entries": [
            {
                "id": entry.pk,
                "kind": entry.kind,
                "text": entry.body,
                "author": user_out(entry.author),
                "mail_id": entry.inbound_id or entry.message_id,
                "written_at": entry.created_at,
            }
            for entry in selectors.ticket_entries(ticket)
        ],
    }


def _user(key) -> User | None:
    """The active user a key names; a 400 naming ``assignee`` if none."""
    if key in (None, "", "none"):
        return None
    users = User.objects.filter(is_active=True)
    found = (
        users.filter(pk=int(key)).first()
        if str(key).isascii() and str(key).isdigit()
        else users.filter(email__iexact=str(key).strip()).first()
    )
    if found is None:
        raise ValidationError({"assignee": [_("There is no active user %(key)s.") % {
            "key": key
        }]})  # fmt: skip
    return found


def _queue(pk) -> Queue:
    found = Queue.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError(
            {"queue_id": [_("There is no queue %(id)s.") % {"id": pk}]}
        )
    return found


def _error_name(name: str) -> str:
    return {"contact": "contact_id", "queue": "queue_id", "order": "order_id",
            "body": "text"}.get(name, name)  # fmt: skip


tickets_router = Router(tags=["Tickets"])


@tickets_router.get(
    "", response=TicketPage, summary="List tickets", operation_id="list_tickets"
)
def list_tickets(request, params: Query[TicketListParams]):
    """Return the tickets the caller may see, a page at a time.

    Those are the tickets of the contacts they may see, and the ones assigned
    to them. Without `sort` the results come by id.
    """
    reject_unknown_params(request, TicketListParams.model_fields)
    filterset = filter_or_400(
        TicketFilter, request, selectors.tickets_visible_to(request.auth)
    )
    sort = filterset.form.cleaned_data.get("sort")
    rows, next_cursor = keyset_page(
        filterset.qs.select_related(*RELATED),
        order=TICKET_SORTS[sort] if sort else ("id",),
        cursor=params.cursor,
        size=params.page_size,
    )
    return {"results": [_ticket_out(t) for t in rows], "next": next_cursor}


@tickets_router.post(
    "", response={201: TicketDetailOut}, summary="Open a ticket",
    operation_id="create_ticket",
)  # fmt: skip
def create_ticket(request, payload: TicketIn):
    """Open a ticket for a contact the caller may see.

    With a `key`, sending the same request again returns the ticket opened
    the first time.
    """
    data = visible_links(request.auth, {"contact_id": payload.contact_id})
    order = None
    if payload.order_id is not None:
        order = orders_visible_to(request.auth).filter(pk=payload.order_id).first()
        if order is None:
            raise ValidationError(
                {
                    "order_id": [
                        _("There is no order %(id)s.") % {"id": payload.order_id}
                    ]
                }
            )
    try:
        ticket = services.ticket_open(
            actor=request.auth,
            contact=data["contact"],
            subject=payload.subject,
            body=payload.text,
            channel=plain(payload.channel),
            category=plain(payload.category),
            priority=plain(payload.priority),
            queue=_queue(payload.queue_id) if payload.queue_id else None,
            assignee=_user(payload.assignee),
            order=order,
            source=f"api:{request.auth.pk}:{payload.key}" if payload.key else None,
        )
    except ValidationError as exc:
        raise remap_errors(exc, _error_name) from None
    return Status(
        201, _detail_out(selectors.ticket_get(user=request.auth, pk=ticket.pk))
    )


@tickets_router.get(
    "/{int:ticket_id}", response=TicketDetailOut, summary="Get a ticket",
    operation_id="get_ticket",
)  # fmt: skip
def get_ticket(request, ticket_id: int):
    """Return one ticket with its conversation; 404 if the caller may not see it."""
    return _detail_out(selectors.ticket_get(user=request.auth, pk=ticket_id))


@tickets_router.patch(
    "/{int:ticket_id}", response=TicketDetailOut,
    summary="Change a ticket's status, priority, category, queue or assignee",
    operation_id="update_ticket",
)  # fmt: skip
def update_ticket(request, ticket_id: int, payload: TicketPatch):
    """Change the fields sent; leave the others as they are."""
    ticket = selectors.ticket_get(user=request.auth, pk=ticket_id)
    sent = payload.model_dump(exclude_unset=True)
    changes = {
        name: plain(sent[name])
        for name in ("status", "priority", "category")
        if sent.get(name) is not None
    }
    if sent.get("queue_id") is not None:
        changes["queue"] = _queue(sent["queue_id"])
    if "assignee" in sent:
        changes["assignee"] = _user(sent["assignee"])
    try:
        services.ticket_update(actor=request.auth, ticket=ticket, **changes)
    except ValidationError as exc:
        raise remap_errors(exc, _error_name) from None
    return _detail_out(selectors.ticket_get(user=request.auth, pk=ticket_id))


@tickets_router.post(
    "/{int:ticket_id}/replies", response={201: TicketDetailOut},
    summary="Answer the customer by mail", operation_id="reply_to_ticket",
)  # fmt: skip
def reply_to_ticket(request, ticket_id: int, payload: ReplyIn):
    """Send the customer an answer, threaded to their last mail.

    The mail goes through the outbox; the ticket then takes `status`.
    """
    ticket = selectors.ticket_get(user=request.auth, pk=ticket_id)
    try:
        services.ticket_reply(
            actor=request.auth, ticket=ticket, text=payload.text, key=payload.key,
            status=plain(payload.status),
        )  # fmt: skip
    except ValidationError as exc:
        raise remap_errors(exc, _error_name) from None
    return Status(
        201, _detail_out(selectors.ticket_get(user=request.auth, pk=ticket_id))
    )


@tickets_router.post(
    "/{int:ticket_id}/notes", response={201: TicketDetailOut},
    summary="Add an internal note", operation_id="note_on_ticket",
)  # fmt: skip
def note_on_ticket(request, ticket_id: int, payload: NoteIn):
    """Add a note for the team; it is never sent to the customer."""
    ticket = selectors.ticket_get(user=request.auth, pk=ticket_id)
    services.ticket_note(actor=request.auth, ticket=ticket, text=payload.text)
    return Status(
        201, _detail_out(selectors.ticket_get(user=request.auth, pk=ticket_id))
    )
