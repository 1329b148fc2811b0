"""The service desk's pages: the ticket list, a ticket with its conversation and
the customer beside it, logging a ticket, the queues and service levels, and
the 360° card."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kundig.activity import selectors as activity_selectors
from kundig.commerce import selectors as commerce_selectors
from kundig.commerce.forms import ReturnAnnounceForm
from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.decorators import role_required
from kundig.core.pagination import paginate
from kundig.core.text import one_line
from kundig.core.visibility import can_see
from kundig.messaging import selectors as messaging_selectors
from kundig.messaging.inbound import attachment_limit

from .. import selectors, services
from ..calendar import ALWAYS
from ..choices import (
    CHANNEL_ICONS,
    STATUS_COLORS,
    EntryKind,
    OfferStatus,
    Priority,
    TicketCategory,
    TicketChannel,
    TicketStatus,
)
from ..forms import (
    EscalateForm,
    GoodwillOfferForm,
    NoteForm,
    ReplyForm,
    TicketChangeForm,
    TicketForm,
    active_users,
)
from ..models import CrisisStep, Macro, Queue, ServiceSettings, TicketAttachment
from .common import add_errors, posted
from .crisis import crisis_context

PER_PAGE = 50
FILTERS = (
    "queue", "assignee", "priority", "category", "channel", "contact", "q", "due",
)  # fmt: skip
SORT_LABELS = {
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
    "priority": gettext_lazy("Most urgent first"),
    "due": gettext_lazy("Due soonest"),
    "changed": gettext_lazy("Recently changed"),
}


# --- The list -------------------------------------------------------------------------


def _choice(request, name: str, allowed, default: str = "") -> str:
    value = request.GET.get(name, default)
    return value if value in allowed else default


def _id(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


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
        "due": _choice(request, "due", ("overdue",)),
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


def _clock(label, *, start, due, stopped, paused_minutes, breached, counter, now):
    """One service-level clock as the ticket page shows it.

    ``stopped``: when it stopped (answered, solved, paused), None while it
    runs. The bar is the share of the clock's time used, counted as the
    clock counts (business minutes or around the clock) and less the time
    the ticket waited on the customer, so it matches the deadline.
    """
    total = counter.between(start, due) - paused_minutes
    used = counter.between(start, stopped or now) - paused_minutes
    percent = 100 if total <= 0 else round(min(max(used / total, 0), 1) * 100)
    clock = {"label": label, "due_at": due, "percent": percent}
    if stopped is not None:
        clock.update(state="done", text="", color="green")
    elif breached or due <= now:
        since = due if due <= now else breached  # a resumed clock stays overdue
        clock.update(
            state="overdue",
            text=_("overdue for %(time)s") % {"time": timesince(since, now, depth=2)},
            color="red",
        )
    else:
        clock.update(
            state="running",
            text=_("in %(time)s") % {"time": timeuntil(due, now, depth=2)},
            color="yellow" if percent >= 80 else "blue",
        )
    return clock


def _service_level(ticket, desk: ServiceSettings | None = None) -> dict | None:
    """The ticket's answer-by and solve-by clocks; None if no service level applies."""
    if ticket.first_response_due_at is None or ticket.resolution_due_at is None:
        return None
    now = timezone.now()
    policy = ticket.sla_policy
    # A deleted level leaves its clocks; business hours are the likelier guess.
    if policy is not None and not policy.business_hours:
        counter = ALWAYS
    else:
        counter = (desk or ServiceSettings.current()).business_hours()
    closed = None
    if not ticket.is_open:
        closed = ticket.solved_at or ticket.closed_at or ticket.updated_at
    answered = ticket.first_response_at
    answer = _clock(
        _("Answer by"),
        start=ticket.created_at,
        due=ticket.first_response_due_at,
        stopped=answered or closed,
        paused_minutes=0,
        breached=ticket.first_response_breached_at,
        counter=counter,
        now=now,
    )
    if answered:
        answer["text"] = _("answered")
        if answered > ticket.first_response_due_at:
            answer.update(text=_("answered late"), color="red")
    elif closed:
        answer["text"] = ticket.get_status_display()
    solve = _clock(
        _("Solve by"),
        start=ticket.created_at,
        due=ticket.resolution_due_at,
        stopped=closed or ticket.sla_paused_at,
        paused_minutes=ticket.sla_paused_minutes,
        breached=ticket.resolution_breached_at,
        counter=counter,
        now=now,
    )
    if closed:
        solve["text"] = _("solved")
        if ticket.resolution_breached_at or closed > ticket.resolution_due_at:
            solve.update(text=_("solved late"), color="red")
    elif ticket.sla_paused_at:
        solve.update(
            state="paused",
            text=_("paused while waiting on the customer"),
            color="secondary",
        )
    return {"policy": policy, "clocks": [answer, solve]}


def _has_chat(ticket) -> bool:
    try:
        return ticket.chat is not None  # (read with the ticket)
    except ObjectDoesNotExist:
        return False


def _detail(
    request,
    ticket,
    *,
    reply_form=None,
    note_form=None,
    change_form=None,
    escalate_form=None,
    goodwill_form=None,
    return_form=None,
    status=200,
):
    user = request.user
    desk = ServiceSettings.current()
    entries = list(selectors.ticket_entries(ticket))
    context = {
        "ticket": ticket,
        "entries": entries,
        "colors": STATUS_COLORS,
        "icons": CHANNEL_ICONS,
        "service_level": _service_level(ticket, desk),
        **_mail_links(user, entries),
        **_customer(user, ticket),
        **crisis_context(user, ticket, goodwill_form=goodwill_form, desk=desk),
        "rating": selectors.ticket_survey(ticket),
        "customer_entries": sum(1 for e in entries if e.kind == EntryKind.CUSTOMER),
        "is_chat": _has_chat(ticket),
    }
    context["may_step_return"] = bool(
        context["customer"] and user.has_role_permission(Permission.WRITE)
    )
    if ticket.ret is not None:
        ticket.ret.next_steps = commerce_selectors.return_next_steps(ticket.ret)
    elif ticket.order is not None and context["customer"] is not None:
        context["return_form"] = return_form or ReturnAnnounceForm(
            order=ticket.order, initial={"key": uuid.uuid4().hex}
        )
    if user.has_role_permission(Permission.SERVICE_DESK):
        initial = {"key": services.new_form_key()}
        macro_id = request.GET.get("macro", "")
        macros = list(Macro.objects.filter(is_active=True))
        context["macros"] = macros
        chosen = next((m for m in macros if str(m.pk) == macro_id), None)
        if reply_form is None and chosen is not None:
            initial["text"], problem = services.reply_draft(
                ticket=ticket, texts={"de": chosen.text_de, "en": chosen.text_en}
            )
            if problem:
                messages.warning(
                    request,
                    _("Fill in by hand what the answer could not: %(problem)s")
                    % {"problem": problem},
                )
        elif reply_form is None and context["plan"] and request.GET.get("answer"):
            # "Use the plan's answer": the reply starts from it.
            initial["text"], problem = services.plan_response(
                ticket=ticket, plan=context["plan"]
            )
            if problem:
                messages.warning(
                    request,
                    _("Fill in by hand what the answer could not: %(problem)s")
                    % {"problem": problem},
                )
        context.update(
            reply_form=reply_form or ReplyForm(initial=initial),
            note_form=note_form or NoteForm(),
            change_form=change_form or TicketChangeForm.for_ticket(ticket),
            escalate_form=escalate_form or EscalateForm(),
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
            add_errors(form, exc)
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
            add_errors(form, exc)
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
            add_errors(form, exc)
        else:
            messages.success(request, _("The ticket is saved."))
            return redirect(ticket)
    return _detail(request, ticket, change_form=form, status=422)


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_escalate(request, pk: int):
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            ticket = services.ticket_escalate(
                actor=request.user, ticket=ticket, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("%(user)s has the ticket now.") % {"user": ticket.assignee}
            )
            if not selectors.tickets_visible_to(request.user).filter(pk=pk).exists():
                # It was yours, not your customer's: now it is neither.
                return redirect("service:ticket_list")
            return redirect(ticket)
    return _detail(request, ticket, escalate_form=form, status=422)


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_step(request, pk: int, step: int):
    """Tick a plan's step off on the ticket, or take the tick back."""
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    step = get_object_or_404(CrisisStep.objects.select_related("plan"), pk=step)
    try:
        services.crisis_step_toggle(
            actor=request.user,
            ticket=ticket,
            step=step,
            done=request.POST.get("done") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return render(
            request,
            "service/_crisis_plan.html",
            {"ticket": ticket, **crisis_context(request.user, ticket)},
        )
    return redirect(ticket.get_absolute_url() + "#crisis-plan")


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_goodwill(request, pk: int):
    """Offer goodwill: granted within the agent's limit, else asked for approval."""
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    form = GoodwillOfferForm(request.POST)
    if form.is_valid():
        try:
            offer = services.goodwill_offer(actor=request.user, ticket=ticket,
                                            **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            add_errors(form, exc, {"key": "__all__"})
        else:
            if offer.status == OfferStatus.GRANTED:
                text = _("Granted: %(offer)s.") % {"offer": offer.label}
                if offer.code:
                    text += " " + _("Code %(code)s.") % {"code": offer.code}
                messages.success(request, text)
            else:
                messages.info(
                    request,
                    _("Above your limit: %(offer)s waits for %(who)s to approve.")
                    % {
                        "offer": offer.label,
                        "who": offer.approver or _("an administrator"),
                    },
                )
            return redirect(ticket.get_absolute_url() + "#crisis-plan")
    return _detail(request, ticket, goodwill_form=form, status=422)


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_return(request, pk: int):
    """Announce a return of the ticket's order, tied to the ticket."""
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    if ticket.order is None or not can_see(request.user, ticket.contact):
        raise PermissionDenied
    form = ReturnAnnounceForm(request.POST, order=ticket.order)
    if form.is_valid():
        try:
            ret = services.ticket_return_announce(
                actor=request.user,
                ticket=ticket,
                lines=form.quantities(),
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                key=form.cleaned_data["key"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("Return %(rma)s is announced.") % {"rma": ret.rma_number}
            )
            return redirect(ticket.get_absolute_url() + "#about")
    return _detail(request, ticket, return_form=form, status=422)


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_merge(request, pk: int):
    """Merge this ticket into another of the customer's (by its number)."""
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    raw = request.POST.get("into", "").strip().removeprefix("#")
    into = None
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        into = selectors.tickets_visible_to(request.user).filter(pk=int(raw)).first()
    try:
        if into is None:
            raise ValidationError(
                {"into": _("There is no such ticket, or you may not see it.")}
            )
        into = services.ticket_merge(actor=request.user, ticket=ticket, into=into)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(ticket)
    messages.success(
        request, _("Merged into ticket %(number)s.") % {"number": into.number}
    )
    return redirect(into)


@require_POST
@role_required(Permission.SERVICE_DESK)
def ticket_split(request, pk: int, entry: int):
    """Make one of the customer's messages a ticket of its own."""
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    found = ticket.entries.filter(pk=entry).first()
    try:
        if found is None:
            raise ValidationError(
                {"entry": _("Choose one of the customer's messages.")}
            )
        new = services.ticket_split(actor=request.user, ticket=ticket, entry=found)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(ticket)
    messages.success(request, _("Ticket %(number)s is open.") % {"number": new.number})
    return redirect(new)


@login_required
def ticket_attachment(request, pk: int, attachment: int):
    """Hand out a ticket's file as a download, never as a page of ours."""
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    found = get_object_or_404(
        TicketAttachment.objects.filter(entry__ticket=ticket), pk=attachment
    )
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        contact = visible.filter(pk=int(raw)).first()
        if contact is not None:
            initial.update(contact=contact.pk, contact_label=_contact_label(contact))
    form = TicketForm(posted(request), request.FILES or None, initial=initial)
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
        scans = request.FILES.getlist("scans")[:6]
        limit = attachment_limit()
        for scan in scans:
            if scan.size > limit:
                form.add_error(
                    "scans",
                    _("%(name)s: larger than %(mb)s MB.")
                    % {"name": scan.name, "mb": f"{limit / 1024 / 1024:g}"},
                )
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
                    attachments=[
                        (f.name, f.content_type or "", f.read()) for f in scans
                    ],
                )
            except ValidationError as exc:
                add_errors(form, exc, {"attachments": "scans"})
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
