"""The service desk's pages: the ticket list, a ticket with its conversation and
the customer beside it, logging a ticket, the queues, and the 360° card."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kundig.activity import selectors as activity_selectors
from kundig.commerce import selectors as commerce_selectors
from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.decorators import role_required
from kundig.core.pagination import paginate
from kundig.core.text import one_line
from kundig.core.visibility import can_see
from kundig.messaging import selectors as messaging_selectors

from . import selectors, services
from .choices import (
    CHANNEL_ICONS,
    OPEN_STATUSES,
    STATUS_COLORS,
    Priority,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from .forms import (
    NoteForm,
    QueueForm,
    ReplyForm,
    ServiceSettingsForm,
    TicketChangeForm,
    TicketForm,
    active_users,
)
from .models import Queue, ServiceSettings

PER_PAGE = 50
FILTERS = ("queue", "assignee", "priority", "category", "channel", "contact", "q")
SORT_LABELS = {
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
    "priority": gettext_lazy("Most urgent first"),
    "changed": gettext_lazy("Recently changed"),
}


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _posted(request):
    """The form data of a POST (even an empty one), None otherwise."""
    return request.POST if request.method == "POST" else None


# --- The list -------------------------------------------------------------------------


def _choice(request, name: str, allowed, default: str = "") -> str:
    value = request.GET.get(name, default)
    return value if value in allowed else default


def _id(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _list_filters(request) -> dict:
    """The list's filters from the query string; what is not understood is dropped."""
    assignee = request.GET.get("assignee", "")
    if assignee not in ("mine", "none") and _id(request, "assignee") is None:
        assignee = ""
    statuses = ("open", "all", *TicketStatus.values)
    return {
        "status": _choice(request, "status", statuses, "open"),
        "queue": _id(request, "queue"),
        "assignee": assignee,
        "priority": _choice(request, "priority", Priority.values),
        "category": _choice(request, "category", TicketCategory.values),
        "channel": _choice(request, "channel", TicketChannel.values),
        "contact": _id(request, "contact"),
        "q": request.GET.get("q", "").strip()[:100],
        "sort": _choice(request, "sort", selectors.SORTS, "newest"),
    }


@login_required
def ticket_list(request):
    filters = _list_filters(request)
    page = paginate(
        selectors.tickets_filtered(user=request.user, filters=filters),
        request.GET.get("page"),
        per_page=PER_PAGE,
    )
    contact = None
    if filters["contact"]:
        contact = (
            contact_selectors.contacts_visible_to(request.user)
            .filter(pk=filters["contact"])
            .first()
        )
    context = {
        "page": page,
        "f": filters,
        "contact": contact,
        "has_filters": filters["status"] != "open"
        or any(filters[key] for key in FILTERS),
        "statuses": TicketStatus.choices,
        "priorities": Priority.choices,
        "categories": TicketCategory.choices,
        "channels": TicketChannel.choices,
        "sorts": SORT_LABELS.items(),
        "queues": Queue.objects.all(),
        "users": active_users(),
        "colors": STATUS_COLORS,
        "icons": CHANNEL_ICONS,
    }
    if request.htmx and request.htmx.target == "ticket-results":
        return render(request, "service/ticket_list.html#results", context)
    return render(request, "service/ticket_list.html", context)


# --- A ticket -------------------------------------------------------------------------


def _mail_links(user, entries) -> dict:
    """Which of the conversation's mails ``user`` may open on the mail pages."""
    inbound_ids = [entry.inbound_id for entry in entries if entry.inbound_id]
    message_ids = [entry.message_id for entry in entries if entry.message_id]
    inbound = set()
    if inbound_ids:
        inbound = set(
            messaging_selectors.inbound_visible_to(user)
            .filter(pk__in=inbound_ids)
            .values_list("pk", flat=True)
        )
    sent = set()
    if message_ids and user.has_role_permission(Permission.MESSAGING):
        sent = set(
            messaging_selectors.messages_visible_to(user)
            .filter(pk__in=message_ids)
            .values_list("pk", flat=True)
        )
    return {"openable_inbound": inbound, "openable_messages": sent}


def _customer(user, ticket) -> dict:
    """The customer beside the ticket: key facts, latest timeline, other tickets.

    Only for who may see the customer; a ticket assigned to someone who may
    not shows its conversation alone.
    """
    if not can_see(user, ticket.contact):
        return {"customer": None}
    contact = contact_selectors.contact_profile(user=user, pk=ticket.contact_id)
    try:
        figures = contact.figures
    except ObjectDoesNotExist:
        figures = None  # never ordered
    timeline, _more = activity_selectors.contact_timeline(contact=contact, limit=10)
    others = selectors.tickets_of_contact(user=user, contact=contact, limit=11)
    return {
        "customer": contact,
        "figures": figures,
        "timeline": timeline,
        "other_tickets": [other for other in others if other.pk != ticket.pk][:10],
    }


def _detail(
    request, ticket, *, reply_form=None, note_form=None, change_form=None, status=200
):
    user = request.user
    entries = list(selectors.ticket_entries(ticket))
    context = {
        "ticket": ticket,
        "entries": entries,
        "colors": STATUS_COLORS,
        "icons": CHANNEL_ICONS,
        **_mail_links(user, entries),
        **_customer(user, ticket),
    }
    if user.has_role_permission(Permission.SERVICE_DESK):
        context.update(
            reply_form=reply_form
            or ReplyForm(initial={"key": services.new_form_key()}),
            note_form=note_form or NoteForm(),
            change_form=change_form or TicketChangeForm.for_ticket(ticket),
        )
    return render(request, "service/ticket_detail.html", context, status=status)


@login_required
def ticket_detail(request, pk: int):
    return _detail(request, selectors.ticket_get(user=request.user, pk=pk))


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_reply(request, pk: int):
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_reply(
                actor=request.user,
                ticket=ticket,
                text=data["text"],
                key=data["key"],
                status=data["status"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("The reply is in the outbox and goes out in a moment.")
            )
            return redirect(ticket)
    return _detail(request, ticket, reply_form=form, status=422)


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_note(request, pk: int):
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_note(
                actor=request.user, ticket=ticket, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The note is saved."))
            return redirect(ticket)
    return _detail(request, ticket, note_form=form, status=422)


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_change(request, pk: int):
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    form = TicketChangeForm.for_ticket(ticket, request.POST)
    if form.is_valid():
        try:
            services.ticket_update(
                actor=request.user, ticket=ticket, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The ticket is saved."))
            return redirect(ticket)
    return _detail(request, ticket, change_form=form, status=422)


# --- A new ticket ---------------------------------------------------------------------


def _contact_label(contact) -> str:
    emails = [e.email for e in contact.emails.all()]
    return str(contact) + (f" · {emails[0]}" if emails else "")


@role_required(Permission.SERVICE_DESK)
def ticket_create(request):
    user = request.user
    visible = contact_selectors.contacts_visible_to(user)
    contact = None
    initial = {"queue": selectors.queue_default()}
    raw = request.GET.get("contact", "")
    if raw.isdigit() and len(raw) < 19:
        contact = visible.filter(pk=int(raw)).first()
        if contact is not None:
            initial.update(contact=contact.pk, contact_label=_contact_label(contact))
    form = TicketForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contact = visible.filter(pk=data["contact"]).first()
        order = None
        if contact is None:
            form.add_error("contact", _("Choose a customer you may see."))
        elif data["order"]:
            number = one_line(data["order"]).removeprefix("#")
            order = (
                commerce_selectors.orders_visible_to(user)
                .filter(contact=contact)
                .filter(Q(number=number) | Q(external_id=number))
                .order_by("-placed_at", "-id")
                .first()
            )
            if order is None:
                form.add_error("order", _("This customer has no order of that number."))
        if not form.errors:
            try:
                ticket = services.ticket_open(
                    actor=user,
                    contact=contact,
                    subject=data["subject"],
                    channel=data["channel"],
                    body=data["body"],
                    category=data["category"],
                    priority=data["priority"],
                    queue=data["queue"],
                    assignee=data["assignee"],
                    order=order,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Ticket %(number)s is open.") % {"number": ticket.number},
                )
                return redirect(ticket)
    recent_orders = []
    if contact is not None:
        recent_orders = list(
            commerce_selectors.orders_visible_to(user)
            .filter(contact=contact)
            .order_by("-placed_at", "-id")[:10]
        )
    return render(
        request,
        "service/ticket_form.html",
        {"form": form, "recent_orders": recent_orders},
        status=422 if form.errors else 200,
    )


# --- The 360° card --------------------------------------------------------------------


@login_required
def contact_tickets(request, pk: int):
    """The tickets card of the 360° page, loaded after the page."""
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    return render(
        request,
        "service/partials/contact_tickets.html",
        {
            "contact": contact,
            "tickets": selectors.tickets_of_contact(
                user=request.user, contact=contact, limit=10
            ),
            "colors": STATUS_COLORS,
            "icons": CHANNEL_ICONS,
        },
    )


# --- Queues and settings --------------------------------------------------------------


@role_required(Permission.MANAGE)
def queue_list(request):
    """The queues, and which shop events open tickets (the form posts here)."""
    current = ServiceSettings.current()
    form = ServiceSettingsForm(
        _posted(request),
        initial={
            "open_on_late_shipment": current.open_on_late_shipment,
            "open_on_unavailable": current.open_on_unavailable,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.service_settings_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The settings are saved."))
            return redirect("service:queue_list")
    queues = selectors.queues().annotate(
        open_tickets=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES))
    )
    return render(
        request,
        "service/queue_list.html",
        {"queues": queues, "settings_form": form},
        status=422 if form.errors else 200,
    )


@role_required(Permission.MANAGE)
def queue_edit(request, pk: int | None = None):
    queue = get_object_or_404(selectors.queues(), pk=pk) if pk else None
    initial = None
    if queue is not None:
        initial = {
            "name": queue.name,
            "team": queue.team_id,
            "mailbox": queue.mailbox_id,
            "escalation_owner": queue.escalation_owner_id,
            "is_default": queue.is_default,
        }
    form = QueueForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.queue_save(actor=request.user, queue=queue, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The queue is saved."))
            return redirect("service:queue_list")
    return render(
        request,
        "service/queue_form.html",
        {"form": form, "queue": queue},
        status=422 if form.errors else 200,
    )
