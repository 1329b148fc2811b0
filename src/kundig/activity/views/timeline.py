"""Timeline fragments: endless scrolling, filters, logging and editing entries."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.htmx import with_toast

from .. import selectors, services
from ..choices import Channel, Kind
from ..forms import EntryEditForm, LogEntryForm
from ..models import TimelineEntry
from .profile import _timeline_context


def _filters(request) -> tuple[list[str], list[str]]:
    kinds = [k for k in request.GET.getlist("kind") if k in Kind.values]
    channels = [c for c in request.GET.getlist("channel") if c in Channel.values]
    return kinds, channels


def _render_page(
    request, entries, cursor, *, kinds, channels, url_name, subject, show_contact
):
    context = {
        **_timeline_context(entries, cursor, kinds=kinds, channels=channels),
        "timeline_url": url_name,
        "subject": subject,
        "show_contact": show_contact,
    }
    return render(request, "activity/partials/timeline.html#entries", context)


@login_required
def contact_timeline(request, pk: int):
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    kinds, channels = _filters(request)
    try:
        before = selectors.Cursor.decode(request.GET.get("before"))
    except ValueError:
        return HttpResponseBadRequest(_("Invalid position in the timeline."))
    entries, cursor = selectors.contact_timeline(
        contact=contact, before=before, kinds=kinds, channels=channels
    )
    return _render_page(
        request,
        entries,
        cursor,
        kinds=kinds,
        channels=channels,
        url_name="activity:contact_timeline",
        subject=contact,
        show_contact=False,
    )


@login_required
def company_timeline(request, pk: int):
    company = contact_selectors.company_get(user=request.user, pk=pk)
    kinds, channels = _filters(request)
    try:
        before = selectors.Cursor.decode(request.GET.get("before"))
    except ValueError:
        return HttpResponseBadRequest(_("Invalid position in the timeline."))
    entries, cursor = selectors.company_timeline(
        user=request.user,
        company=company,
        before=before,
        kinds=kinds,
        channels=channels,
    )
    return _render_page(
        request,
        entries,
        cursor,
        kinds=kinds,
        channels=channels,
        url_name="activity:company_timeline",
        subject=company,
        show_contact=True,
    )


def _log(request, *, contact=None, company=None):
    if not request.user.has_role_permission(Permission.WRITE):
        raise PermissionDenied
    form = LogEntryForm(request.POST)
    entry = None
    if form.is_valid():
        try:
            entry = services.timeline_add(
                actor=request.user,
                contact=contact,
                company=company,
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    if entry is None:
        return render(
            request,
            "activity/partials/quick_log.html#log_form",
            {
                "log_form": form,
                "subject": contact or company,
                "kind": request.POST.get("kind"),
            },
            status=422,
        )
    fresh = LogEntryForm(initial={"kind": entry.kind})
    return render(
        request,
        "activity/partials/logged.html",
        {
            "log_form": fresh,
            "entry": entry,
            "subject": contact or company,
            "kind": entry.kind,
            "show_contact": company is not None,
        },
    )


@login_required
@require_POST
def contact_log(request, pk: int):
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    return _log(request, contact=contact)


@login_required
@require_POST
def company_log(request, pk: int):
    company = contact_selectors.company_get(user=request.user, pk=pk)
    return _log(request, company=company)


def _visible_entry(request, pk: int) -> TimelineEntry:
    return get_object_or_404(
        selectors.timeline_entries_visible_to(request.user).select_related(
            "actor", "contact", "company"
        ),
        pk=pk,
    )


@login_required
def entry_edit(request, pk: int):
    entry = _visible_entry(request, pk)
    if request.method == "POST":
        form = EntryEditForm(request.POST)
        if form.is_valid():
            try:
                entry = services.timeline_entry_update(
                    actor=request.user,
                    entry=entry,
                    summary=form.cleaned_data["summary"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return render(request, "activity/partials/entry.html", {"entry": entry})
        return render(
            request,
            "activity/partials/entry_edit.html",
            {"entry": entry, "form": form},
            status=422,
        )
    form = EntryEditForm(initial={"summary": entry.summary, "body": entry.body})
    return render(
        request, "activity/partials/entry_edit.html", {"entry": entry, "form": form}
    )


@login_required
def entry_detail(request, pk: int):
    entry = _visible_entry(request, pk)
    return render(request, "activity/partials/entry.html", {"entry": entry})


@login_required
@require_POST
def entry_delete(request, pk: int):
    entry = _visible_entry(request, pk)
    services.timeline_entry_delete(actor=request.user, entry=entry)
    response = render(request, "activity/partials/entry_deleted.html", {})
    return with_toast(response, _("Entry deleted."))
