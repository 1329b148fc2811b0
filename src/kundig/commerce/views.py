"""The order page: lines, status history, shipments, returns, revocations, refunds."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.contacts.importing.reading import ImportFileError
from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from . import importing, selectors, services
from .forms import OrderImportForm, OrderReassignForm


@login_required
def order_detail(request, pk: int):
    order = selectors.order_get(user=request.user, pk=pk)
    return render(
        request,
        "commerce/order_detail.html",
        {
            "order": order,
            "reassign_form": OrderReassignForm(),
            "may_reassign": request.user.has_role_permission(Permission.WRITE),
        },
    )


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
