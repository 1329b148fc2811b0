"""Crisis plans and goodwill: the plans for administrators, what the plan's card
on a ticket shows (checklist, deadline, goodwill), and the approvals."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from .. import selectors, services
from ..choices import GOODWILL_ICONS, OFFER_COLORS, TicketCategory
from ..forms import (
    CrisisPlanForm,
    GoodwillDecisionForm,
    GoodwillOfferForm,
    GoodwillOptionFormSet,
    MacroForm,
    option_rows,
)
from ..models import Macro, ServiceSettings
from .common import add_errors, posted

# --- On a ticket ----------------------------------------------------------------------


def crisis_context(user, ticket, *, goodwill_form=None, desk=None) -> dict:
    """The plan's card on a ticket: checklist, deadline, goodwill and its offers."""
    plan = services.crisis_plan_for(ticket)
    offers = selectors.ticket_offers(ticket)
    context = {"plan": plan, "offers": offers, "offer_colors": OFFER_COLORS}
    if plan is None:
        return context
    desk = desk or ServiceSettings.current()
    done = selectors.steps_done(ticket)
    steps = [(step, done.get(step.pk)) for step in plan.steps.all()]
    deadline = None
    if plan.solution_hours:
        hours = desk.business_hours()
        deadline = hours.add(ticket.created_at, plan.solution_hours * 60)
    for offer in offers:
        offer.ticket = ticket  # (the offers are this ticket's)
        offer.can_decide = services.may_decide(
            user=user, offer=offer, plan=plan, desk=desk
        )
    options = list(plan.options.all())
    for option in options:
        option.key = services.new_form_key()  # one offer per form shown
    context.update(
        steps=steps,
        steps_done=sum(1 for _step, tick in steps if tick),
        deadline=deadline,
        deadline_overdue=bool(
            deadline and ticket.is_open and deadline < timezone.now()
        ),
        options=options,
        currency=settings.KUNDIG_CURRENCY,
        goodwill_icons=GOODWILL_ICONS,
        goodwill_limit=services.goodwill_limit(
            user=user, ticket=ticket, plan=plan, desk=desk
        ),
        goodwill_form=goodwill_form
        or GoodwillOfferForm(initial={"key": services.new_form_key()}),
        may_work=user.has_role_permission(Permission.SERVICE_DESK),
    )
    return context


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@role_required(Permission.SERVICE_DESK)
def goodwill_decide(request, pk: int):
    offer = get_object_or_404(selectors.offers_to_decide(user=request.user), pk=pk)
    form = GoodwillDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            offer = services.goodwill_decide(
                actor=request.user,
                offer=offer,
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            if approve:
                text = _("Approved: %(offer)s.") % {"offer": offer.label}
                if offer.code:
                    text += " " + _("Code %(code)s.") % {"code": offer.code}
                messages.success(request, text)
            else:
                messages.success(
                    request, _("Rejected: %(offer)s.") % {"offer": offer.label}
                )
    return redirect(_back(request, offer.ticket.get_absolute_url()))


@role_required(Permission.SERVICE_DESK)
def goodwill_approvals(request):
    """Goodwill waiting for the user's approval, and what they offered lately."""
    user = request.user
    plans = selectors.plans_by_category()
    desk = ServiceSettings.current()
    waiting = [
        offer
        for offer in selectors.offers_to_decide(user=user)[:1000]
        if services.may_decide(
            user=user, offer=offer, plan=plans.get(offer.ticket.category), desk=desk
        )
    ]
    return render(
        request,
        "service/goodwill_approvals.html",
        {
            "waiting": waiting[:200],
            "mine": selectors.offers_asked_by(user=user),
            "offer_colors": OFFER_COLORS,
            "goodwill_icons": GOODWILL_ICONS,
        },
    )


# --- Plans ----------------------------------------------------------------------------


@role_required(Permission.MANAGE)
def crisis_plan_list(request):
    plans = list(selectors.crisis_plans())
    covered = {plan.category for plan in plans}
    return render(
        request,
        "service/crisis_plan_list.html",
        {
            "plans": plans,
            "uncovered": [
                label for value, label in TicketCategory.choices if value not in covered
            ],
            "goodwill_icons": GOODWILL_ICONS,
            "currency": settings.KUNDIG_CURRENCY,
        },
    )


@role_required(Permission.MANAGE)
def crisis_plan_edit(request, pk: int | None = None):
    plan = get_object_or_404(selectors.crisis_plans(), pk=pk) if pk else None
    data = posted(request)
    form = CrisisPlanForm.for_plan(plan, data)
    initial = []
    if plan is not None:
        initial = [
            {"kind": o.kind, "label": o.label, "amount": o.amount}
            for o in plan.options.all()
        ]
    options = GoodwillOptionFormSet(data, initial=initial, prefix="options")
    if data is not None and form.is_valid() and options.is_valid():
        try:
            plan = services.crisis_plan_save(
                actor=request.user,
                plan=plan,
                options=option_rows(options),
                **form.plan_data(),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The crisis plan is saved."))
            return redirect("service:crisis_plan_list")
    return render(
        request,
        "service/crisis_plan_form.html",
        {"form": form, "options": options, "plan": plan},
        status=422 if form.errors or (data is not None and options.errors) else 200,
    )


@require_POST
@role_required(Permission.MANAGE)
def crisis_plan_delete(request, pk: int):
    plan = get_object_or_404(selectors.crisis_plans(), pk=pk)
    services.crisis_plan_delete(actor=request.user, plan=plan)
    messages.success(request, _("%(name)s was deleted.") % {"name": plan.name})
    return redirect("service:crisis_plan_list")


# --- Saved replies --------------------------------------------------------------------


@role_required(Permission.SERVICE_DESK)
def macro_list(request):
    return render(
        request, "service/macro_list.html", {"macros": Macro.objects.order_by("name")}
    )


@role_required(Permission.SERVICE_DESK)
def macro_edit(request, pk: int | None = None):
    macro = get_object_or_404(Macro, pk=pk) if pk else None
    initial = {"is_active": True}
    if macro is not None:
        initial = {
            "name": macro.name,
            "text_de": macro.text_de,
            "text_en": macro.text_en,
            "is_active": macro.is_active,
        }
    form = MacroForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.macro_save(actor=request.user, macro=macro, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The saved reply is saved."))
            return redirect("service:macro_list")
    return render(
        request,
        "service/macro_form.html",
        {"form": form, "macro": macro},
        status=422 if form.errors else 200,
    )


@require_POST
@role_required(Permission.SERVICE_DESK)
def macro_delete(request, pk: int):
    macro = get_object_or_404(Macro, pk=pk)
    services.macro_delete(actor=request.user, macro=macro)
    messages.success(request, _("%(name)s was deleted.") % {"name": macro.name})
    return redirect("service:macro_list")
