"""The admin's pages: subscriptions, their delivery log, retry and test sends."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required

from . import selectors, services
from .choices import DeliveryStatus
from .forms import SubscriptionForm
from .models import Delivery, Subscription, new_secret


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _report(request, status: str) -> None:
    """Tell the admin how the attempt just made ended."""
    if status == DeliveryStatus.SUCCEEDED:
        messages.success(request, _("The receiver accepted the delivery."))
    elif status == "skipped":
        messages.info(request, _("The delivery is being sent right now."))
    else:
        messages.error(
            request, _("The delivery failed; see its error in the log below.")
        )


@role_required(Permission.MANAGE)
def subscription_list(request):
    return render(
        request,
        "outgoing_webhooks/subscription_list.html",
        {"subscriptions": selectors.subscription_list()},
    )


@role_required(Permission.MANAGE)
def subscription_detail(request, pk: int):
    subscription = get_object_or_404(Subscription, pk=pk)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    page = Paginator(
        selectors.subscription_deliveries(subscription=subscription, status=status),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "outgoing_webhooks/subscription_detail.html",
        {
            "subscription": subscription,
            "page": page,
            "status": status,
            "statuses": DeliveryStatus.choices,
        },
    )


@role_required(Permission.MANAGE)
def subscription_edit(request, pk: int | None = None):
    subscription = get_object_or_404(Subscription, pk=pk) if pk else None
    if subscription is None:
        initial = {"secret": new_secret(), "is_active": True}
    else:
        initial = {field: getattr(subscription, field) for field in services.EDITABLE}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if subscription is None:
                subscription = services.subscription_create(
                    actor=request.user, **form.cleaned_data
                )
            else:
                subscription = services.subscription_update(
                    actor=request.user, subscription=subscription, **form.cleaned_data
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s was saved.") % {"name": subscription.name}
            )
            return redirect(subscription)
    return render(
        request,
        "outgoing_webhooks/subscription_form.html",
        {"form": form, "subscription": subscription},
    )


@require_POST
@role_required(Permission.MANAGE)
def subscription_set_active(request, pk: int, active: bool):
    subscription = get_object_or_404(Subscription, pk=pk)
    services.subscription_update(
        actor=request.user, subscription=subscription, is_active=active
    )
    if active:
        messages.success(request, _("The subscription is active again."))
    else:
        messages.success(
            request,
            _("The subscription is inactive; it receives nothing until activated."),
        )
    return redirect(subscription)


@require_POST
@role_required(Permission.MANAGE)
def subscription_test(request, pk: int):
    subscription = get_object_or_404(Subscription, pk=pk)
    try:
        delivery = services.subscription_send_test(
            actor=request.user, subscription=subscription
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _report(request, services.delivery_send(delivery.pk))
    return redirect(subscription)


@require_POST
@role_required(Permission.MANAGE)
def delivery_retry(request, pk: int):
    delivery = get_object_or_404(Delivery.objects.select_related("subscription"), pk=pk)
    try:
        services.delivery_retry(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _report(request, services.delivery_send(delivery.pk))
    return redirect(delivery.subscription)
