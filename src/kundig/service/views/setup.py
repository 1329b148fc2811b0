"""The service desk's pages: the ticket list, a ticket with its conversation and
the customer beside it, logging a ticket, the queues and service levels, and
the 360° card."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from .. import selectors, services
from ..calendar import holidays_in
from ..choices import (
    OPEN_STATUSES,
)
from ..forms import (
    BusinessHoursForm,
    EscalationRulesForm,
    QueueForm,
    ServiceSettingsForm,
    SlaPolicyForm,
    ValuedCustomersForm,
)
from ..models import ServiceSettings
from .common import add_errors, posted

# --- Queues and settings --------------------------------------------------------------


@role_required(Permission.MANAGE)
def queue_list(request):
    """The queues; which shop events open tickets, the desk's business hours,
    and valued customers (the forms post here, told apart by ``form``)."""
    current = ServiceSettings.current()
    data = posted(request)
    which = data.get("form", "shop") if data is not None else None
    settings_form = ServiceSettingsForm(
        data if which == "shop" else None,
        initial={
            "open_on_late_shipment": current.open_on_late_shipment,
            "open_on_unavailable": current.open_on_unavailable,
            "open_on_revocation_rejected": current.open_on_revocation_rejected,
            "ask_rating": current.ask_rating,
        },
    )
    hours_form = BusinessHoursForm(
        data if which == "hours" else None,
        initial={
            "work_days": list(current.work_days),
            "work_start": current.work_start,
            "work_end": current.work_end,
            "holiday_region": current.holiday_region,
        },
    )
    valued_form = ValuedCustomersForm(
        data if which == "valued" else None,
        initial={
            "valued_revenue": current.valued_revenue,
            "valued_factor": current.valued_factor,
        },
    )
    escalation_form = EscalationRulesForm(
        data if which == "escalation" else None,
        initial={
            "escalate_categories": [
                c for c in current.escalate_categories.split(",") if c
            ],
            "escalate_negative": current.escalate_negative,
            "escalate_valued": current.escalate_valued,
        },
    )
    form = {
        "hours": hours_form,
        "valued": valued_form,
        "escalation": escalation_form,
    }.get(which, settings_form)
    if data is not None and form.is_valid():
        try:
            services.service_settings_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The settings are saved."))
            return redirect("service:queue_list")
    queues = (
        selectors.queues()
        .select_related("team_lead")
        .annotate(
            open_tickets=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES))
        )
    )
    today = timezone.localdate()
    return render(
        request,
        "service/queue_list.html",
        {
            "queues": queues,
            "settings_form": settings_form,
            "hours_form": hours_form,
            "valued_form": valued_form,
            "escalation_form": escalation_form,
            "holidays": [
                (day, name)
                for day, name in holidays_in(current.holiday_region, today.year)
                if day >= today
            ],
        },
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
            "team_lead": queue.team_lead_id,
            "escalation_owner": queue.escalation_owner_id,
            "is_default": queue.is_default,
        }
    form = QueueForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.queue_save(actor=request.user, queue=queue, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The queue is saved."))
            return redirect("service:queue_list")
    return render(
        request,
        "service/queue_form.html",
        {"form": form, "queue": queue},
        status=422 if form.errors else 200,
    )


# --- Service levels -------------------------------------------------------------------


def _duration(minutes: int, *, day_minutes: int, working: bool) -> str:
    """A service level's time: "30 min", "1.5 h", "2 working days", "3 days"."""
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    if day_minutes and minutes >= day_minutes and minutes % day_minutes == 0:
        days = minutes // day_minutes
        if working:
            return ngettext("%(n)d working day", "%(n)d working days", days) % {
                "n": days
            }
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hours = round(minutes / 60, 2)
    hours = int(hours) if hours == int(hours) else hours
    return _("%(n)s h") % {"n": number_format(hours)}


@role_required(Permission.MANAGE)
def sla_policy_list(request):
    hours = ServiceSettings.current().business_hours()
    start, end = (t.hour * 60 + t.minute for t in (hours.start, hours.end))
    policies = list(selectors.sla_policies())
    for policy in policies:
        day = end - start if policy.business_hours else 24 * 60
        policy.answer_within, policy.solve_within = (
            _duration(minutes, day_minutes=day, working=policy.business_hours)
            for minutes in (policy.first_response_minutes, policy.resolution_minutes)
        )
    return render(request, "service/sla_policy_list.html", {"policies": policies})


@role_required(Permission.MANAGE)
def sla_policy_edit(request, pk: int | None = None):
    policy = get_object_or_404(selectors.sla_policies(), pk=pk) if pk else None
    form = SlaPolicyForm.for_policy(policy, posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.sla_policy_save(
                actor=request.user, policy=policy, **form.policy_data()
            )
        except ValidationError as exc:
            add_errors(form, exc, SlaPolicyForm.FIELD_NAMES)
        else:
            messages.success(request, _("The service level is saved."))
            return redirect("service:sla_policy_list")
    return render(
        request,
        "service/sla_policy_form.html",
        {"form": form, "policy": policy},
        status=422 if form.errors else 200,
    )


@require_POST
@role_required(Permission.MANAGE)
def sla_policy_delete(request, pk: int):
    policy = get_object_or_404(selectors.sla_policies(), pk=pk)
    services.sla_policy_delete(actor=request.user, policy=policy)
    messages.success(request, _("%(name)s was deleted.") % {"name": policy.name})
    return redirect("service:sla_policy_list")
