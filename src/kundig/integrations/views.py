"""The shop webhook endpoint, the admin's list of deliveries with replay, and
the start of an order history import."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kundig.core.choices import Permission
from kundig.core.decorators import role_required
from kundig.core.jobs.selectors import job_display

from . import selectors, services, sync
from .choices import DeliveryStatus
from .models import ShopConnection, WebhookDelivery


@csrf_exempt
def shop_webhook(request, key: str):
    """Take one webhook from a shop: 202 when stored, 200 for a duplicate.

    401 for a missing or wrong signature (nothing stored), 400 for a signed
    body that cannot be read (stored as failed, for an admin to see), 413 for
    a body over 2 MB, 404 for an unknown or inactive connection.
    """
    if request.method != "POST":
        return JsonResponse(
            {"error": "Use POST."}, status=405, headers={"Allow": "POST"}
        )
    connection = ShopConnection.objects.filter(key=key, is_active=True).first()
    if connection is None:
        return JsonResponse({"error": "No such shop connection."}, status=404)
    length = request.META.get("CONTENT_LENGTH") or "0"
    if (
        not (length.isascii() and length.isdigit())
        or int(length) > services.MAX_BODY_BYTES
    ):
        return JsonResponse({"error": "The body is larger than 2 MB."}, status=413)
    body = request.body
    try:
        received = services.delivery_receive(
            connection=connection, headers=request.headers, body=body
        )
    except services.Rejected as exc:
        answer = {"error": exc.message}
        if exc.delivery is not None:
            answer["delivery"] = exc.delivery.pk
        return JsonResponse(answer, status=exc.status)
    status = 200 if received.duplicate else 202
    return JsonResponse(
        {
            "status": "duplicate" if received.duplicate else "accepted",
            "delivery": received.delivery.pk,
        },
        status=status,
    )


@role_required(Permission.MANAGE)
def delivery_list(request):
    status = request.GET.get("status", DeliveryStatus.FAILED)
    if status not in DeliveryStatus.values and status != "all":
        status = DeliveryStatus.FAILED
    qs = WebhookDelivery.objects.select_related("connection").defer("body")
    if status != "all":
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-received_at", "-id"), 50).get_page(
        request.GET.get("page")
    )
    counts = {
        row["status"]: row["n"]
        for row in WebhookDelivery.objects.values("status").annotate(n=Count("id"))
    }
    connections = list(ShopConnection.objects.all())
    for connection in connections:
        job = selectors.shop_sync_latest(connection=connection)
        if job is not None:
            job.display = job_display(job)
        connection.last_sync = job
    return render(
        request,
        "integrations/delivery_list.html",
        {
            "page": page,
            "status": status,
            "statuses": [
                (value, label, counts.get(value, 0))
                for value, label in DeliveryStatus.choices
            ],
            "connections": connections,
        },
    )


@role_required(Permission.MANAGE)
def delivery_detail(request, pk: int):
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("connection"), pk=pk
    )
    return render(request, "integrations/delivery_detail.html", {"delivery": delivery})


@require_POST
@role_required(Permission.MANAGE)
def delivery_replay(request, pk: int):
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("connection"), pk=pk
    )
    status = services.delivery_replay(actor=request.user, delivery=delivery)
    if status == DeliveryStatus.PROCESSED:
        messages.success(request, _("The delivery was processed."))
    else:
        delivery.refresh_from_db()
        messages.error(
            request,
            _("The delivery still fails: %(error)s") % {"error": delivery.error},
        )
    return redirect("integrations:delivery_detail", pk=pk)


@require_POST
@role_required(Permission.MANAGE)
def shop_sync_start(request, pk: int):
    """Start importing a shop's order history; show its progress."""
    connection = get_object_or_404(ShopConnection, pk=pk)
    try:
        job, started = sync.shop_sync_start(actor=request.user, connection=connection)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("integrations:delivery_list")
    if not started:
        messages.info(
            request, _("The order history of this shop is already being imported.")
        )
        if job.created_by_id != request.user.pk:
            return redirect("integrations:delivery_list")  # its page is its creator's
    return redirect(job)
