"""Playbook pages: list, detail with runs, the editor, dry runs, run logs."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from . import scans, selectors, services, steps
from .choices import OUTCOME_COLORS, RUN_STATUS_COLORS, TRIGGERS, RunStatus
from .forms import (
    EXTRA_CONDITIONS,
    EXTRA_STEPS,
    ConditionForm,
    PlaybookForm,
    ScanSettingsForm,
    StepForm,
    condition_initial,
    step_choices,
    step_initial,
)
from .models import Playbook

ConditionFormSet = forms.formset_factory(ConditionForm, extra=0)
StepFormSet = forms.formset_factory(StepForm, extra=0)


@role_required(Permission.MESSAGING)
def playbook_list(request):
    scan = scans.scan_settings()
    return render(
        request,
        "automation/playbook_list.html",
        {
            "playbooks": selectors.playbooks_with_counts(),
            "triggers": TRIGGERS,
            "scan": scan,
            "scan_form": ScanSettingsForm(instance=scan),
        },
    )


@require_POST
@role_required(Permission.MESSAGING)
def scan_settings(request):
    form = ScanSettingsForm(request.POST, instance=scans.scan_settings())
    if form.is_valid():
        form.save()
        messages.success(request, _("The scan settings are saved."))
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
    return redirect(f"{reverse('automation:playbook_list')}#scan-settings")


@role_required(Permission.MESSAGING)
def playbook_detail(request, pk: int):
    playbook = get_object_or_404(Playbook.objects.select_related("version"), pk=pk)
    status = request.GET.get("status", "")
    runs = selectors.runs_visible_to(request.user).filter(playbook=playbook)
    if status in RunStatus.values:
        runs = runs.filter(status=status)
    else:
        status = ""
    page = Paginator(runs.order_by("-started_at", "-id"), 50).get_page(
        request.GET.get("page")
    )
    version = playbook.version
    return render(
        request,
        "automation/playbook_detail.html",
        {
            "playbook": playbook,
            "trigger": TRIGGERS.get(playbook.trigger, playbook.trigger),
            "steps": [steps.describe(s) for s in version.steps] if version else [],
            "conditions": [services.conditions.describe(c) for c in version.conditions]
            if version
            else [],
            "versions": playbook.versions.select_related("created_by"),
            "page": page,
            "status": status,
            "statuses": RunStatus.choices,
            "colors": RUN_STATUS_COLORS,
        },
    )


@role_required(Permission.MESSAGING)
def playbook_edit(request, pk: int | None = None):
    playbook = (
        get_object_or_404(Playbook.objects.select_related("version"), pk=pk)
        if pk
        else None
    )
    version = playbook.version if playbook else None
    choices = step_choices()
    if request.method == "POST":
        form = PlaybookForm(request.POST)
        condition_set = ConditionFormSet(request.POST, prefix="conditions")
        step_set = StepFormSet(
            request.POST, prefix="steps", form_kwargs={"choices": choices}
        )
        if form.is_valid() and condition_set.is_valid() and step_set.is_valid():
            try:
                playbook = services.playbook_save(
                    actor=request.user,
                    playbook=playbook,
                    name=form.cleaned_data["name"],
                    trigger=form.cleaned_data["trigger"],
                    description=form.cleaned_data["description"],
                    is_active=form.cleaned_data["is_active"],
                    conditions_=[
                        c for f in condition_set if (c := f.as_condition()) is not None
                    ],
                    steps_=[s for f in step_set if (s := f.as_step()) is not None],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The playbook is saved."))
                return redirect(playbook.get_absolute_url())
    else:
        form = PlaybookForm(
            initial={
                "name": playbook.name,
                "trigger": playbook.trigger,
                "description": playbook.description,
                "is_active": playbook.is_active,
            }
            if playbook
            else None
        )
        condition_set = ConditionFormSet(
            prefix="conditions",
            initial=[
                condition_initial(c) for c in (version.conditions if version else [])
            ]
            + [{}] * EXTRA_CONDITIONS,
        )
        step_set = StepFormSet(
            prefix="steps",
            form_kwargs={"choices": choices},
            initial=[step_initial(s) for s in (version.steps if version else [])]
            + [{}] * EXTRA_STEPS,
        )
    return render(
        request,
        "automation/playbook_form.html",
        {
            "form": form,
            "playbook": playbook,
            "condition_set": condition_set,
            "step_set": step_set,
        },
    )


@require_POST
@role_required(Permission.MESSAGING)
def playbook_set_active(request, pk: int):
    playbook = get_object_or_404(Playbook, pk=pk)
    active = request.POST.get("active") == "1"
    services.playbook_set_active(actor=request.user, playbook=playbook, active=active)
    messages.success(
        request,
        _("The playbook is running.") if active else _("The playbook is paused."),
    )
    return redirect(playbook.get_absolute_url())


@role_required(Permission.MESSAGING)
def playbook_dry_run(request, pk: int):
    playbook = get_object_or_404(Playbook.objects.select_related("version"), pk=pk)
    raw = request.GET.get("contact", "")
    contact = (
        contact_selectors.contacts_visible_to(request.user).filter(pk=int(raw)).first()
        if raw.isascii() and raw.isdigit()
        else None
    )
    refs = {}
    for kind in ("order", "shipment"):
        value = request.GET.get(kind, "")
        if value.isascii() and value.isdigit():
            refs[kind] = int(value)
    result = None
    if raw and contact is None:
        messages.error(request, _("You cannot see that contact."))
    elif contact is not None:
        with transaction.atomic():
            result = services.playbook_dry_run(
                actor=request.user, playbook=playbook, contact=contact, refs=refs
            )
            # A dry run changes nothing, whatever a step might have touched.
            transaction.set_rollback(True)
    return render(
        request,
        "automation/playbook_dry_run.html",
        {
            "playbook": playbook,
            "contact": contact,
            "refs": refs,
            "result": result,
            "colors": OUTCOME_COLORS,
        },
    )


@role_required(Permission.MESSAGING)
def run_detail(request, pk: int):
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=pk)
    described = {i: steps.describe(s) for i, s in enumerate(run.version.steps)}
    log = [(entry, described.get(entry.index, entry.kind)) for entry in run.log.all()]
    return render(
        request,
        "automation/run_detail.html",
        {
            "run": run,
            "log": log,
            "colors": RUN_STATUS_COLORS,
            "outcome_colors": OUTCOME_COLORS,
        },
    )


@require_POST
@role_required(Permission.MESSAGING)
def run_stop(request, pk: int):
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=pk)
    services.run_stop(actor=request.user, run=run)
    messages.success(request, _("The run is stopped."))
    return redirect("automation:run_detail", pk=run.pk)


@require_POST
@role_required(Permission.MESSAGING)
def run_continue(request, pk: int):
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=pk)
    try:
        services.run_continue(actor=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The run went on without waiting."))
    return redirect("automation:run_detail", pk=run.pk)
