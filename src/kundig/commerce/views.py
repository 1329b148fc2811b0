"""The order page: lines, status history, shipments, returns, revocations, refunds."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.contacts.importing.reading import ImportFileError
from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from . import importing, selectors, services
from .forms import (
    OrderImportForm,
    OrderReassignForm,
    ReturnAnnounceForm,
    ReturnStepForm,
)


def returns_with_steps(returns) -> list:
    for ret in returns:
        ret.next_steps = selectors.return_next_steps(ret)
    return returns


@login_required
def order_detail(request, pk: int, announce_form=None, status=200):
    order = selectors.order_get(user=request.user, pk=pk)
    may_write = request.user.has_role_permission(Permission.WRITE)
    return render(
        request,
        "commerce/order_detail.html",
        {
            "order": order,
            "returns": returns_with_steps(list(order.returns.all())),
            "reassign_form": OrderReassignForm(),
            "may_reassign": may_write,
            "may_write": may_write,
            "announce_form": announce_form
            or ReturnAnnounceForm(order=order, initial={"key": uuid.uuid4().hex}),
        },
        status=status,
    )


@require_POST
@role_required(Permission.WRITE)
def return_announce(request, pk: int):
    """Announce a return of some of the order's lines (for the customer)."""
    order = selectors.order_get(user=request.user, pk=pk)
    form = ReturnAnnounceForm(request.POST, order=order)
    if form.is_valid():
        try:
            ret = services.return_announce(
                actor=request.user,
                order=order,
                lines=form.quantities(),
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                key=form.cleaned_data["key"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("Return %(rma)s is announced.") % {"rma": ret.rma_number}
            )
            return redirect(order.get_absolute_url() + "#returns")
    return order_detail(request, pk, announce_form=form, status=422)


@require_POST
@role_required(Permission.WRITE)
def return_step(request, pk: int):
    """Move a return on: label sent, on its way back, received, inspected, decided."""
    ret = selectors.return_get(user=request.user, pk=pk)
    form = ReturnStepForm(request.POST)
    if form.is_valid():
        try:
            ret = services.return_step(actor=request.user, ret=ret, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("Return %(rma)s: %(status)s.")
                % {"rma": ret.rma_number, "status": ret.get_status_display()},
            )
    else:
        messages.error(request, _("Choose the next step."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ret.order.get_absolute_url() + "#returns"
    return redirect(target)


@require_POST
@role_required(Permission.WRITE)
def order_reassign(request, pk: int):
    """Move an order whose buyer was matched to the wrong contact."""
    order = selectors.order_get(user=request.user, pk=pk)
    form = OrderReassignForm(request.POST)
    contact = None
    if form.is_valid():
        contact = selectors.contact_visible(
            user=request.user, pk=form.cleaned_data["contact"]
        )
        if contact is None:
            form.add_error("contact", _("Choose a contact you may see."))
    if contact is not None:
        try:
            services.order_reassign(actor=request.user, order=order, contact=contact)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Order %(number)s moved to %(contact)s.")
                % {"number": order.number or order.pk, "contact": contact},
            )
            return redirect(order.get_absolute_url())
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(order.get_absolute_url())


@role_required(Permission.IMPORT)
def order_import(request):
    """Upload a CSV/XLSX of orders; the import runs as a job with a progress bar."""
    form = OrderImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.KUNDIG_IMPORT_MAX_BYTES:
            form.add_error(
                "file",
                _("The file is larger than %(mb)d MB.")
                % {"mb": settings.KUNDIG_IMPORT_MAX_BYTES // (1024 * 1024)},
            )
        else:
            try:
                job = importing.order_import_start(
                    actor=request.user,
                    upload=upload,
                    source=form.cleaned_data["source"],
                    channel=form.cleaned_data["channel"],
                )
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect(job.get_absolute_url())
    return render(
        request,
        "commerce/order_import.html",
        {"form": form, "columns": importing.COLUMNS},
    )
