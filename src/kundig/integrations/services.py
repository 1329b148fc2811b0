"""Receive shop webhooks fast, process them in the worker, replay failures.

Receiving stores the delivery (unique per connection and event ID, so a
redelivery — even five at once — is one row) and answers; the worker then
maps and records it in one transaction together with the delivery's new
status, so a crash leaves it pending and a retry has no second effect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from kundig.core.choices import Permission
from kundig.core.permissions import require

from .choices import DeliveryStatus
from .models import ShopConnection, WebhookDelivery
from .shop import MappingError, NotYetKnown, adapter_for

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_DEFERRALS = 8  # an update whose order never comes fails after ~4 hours


class Rejected(Exception):
    """The request is refused; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, delivery=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.delivery = delivery


@dataclass
class Received:
    delivery: WebhookDelivery
    duplicate: bool


def delivery_receive(*, connection: ShopConnection, headers, body: bytes) -> Received:
    """Verify and store one webhook request; the worker does the rest."""
    adapter = adapter_for(connection.platform)
    if not adapter.verify(headers=headers, body=body, secret=connection.secret):
        # Nothing is stored for an unsigned request: it is not the shop's.
        raise Rejected(401, "missing or invalid signature")
    reason = None
    event_id = topic = ""
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise MappingError("the body is not a JSON object")
        event_id, topic = adapter.identify(headers=headers, payload=payload)
    except (ValueError, UnicodeDecodeError) as exc:
        reason = f"the body is not JSON: {exc}"
    except MappingError as exc:
        reason = str(exc)
    if reason is not None:
        # Signed by the shop but unusable: keep it so an admin sees it and
        # can replay it after a mapping fix.
        event_id = "invalid-" + hashlib.sha256(body).hexdigest()
        topic = (
            headers.get("X-Shopify-Topic") or headers.get("X-WC-Webhook-Topic") or ""
        )
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                connection=connection,
                event_id=event_id[:200],
                topic=topic[:100],
                body=body.decode("utf-8", errors="replace"),
                status=DeliveryStatus.FAILED if reason else DeliveryStatus.PENDING,
                error=reason or "",
            )
            if reason is None:
                transaction.on_commit(lambda: _enqueue(delivery.pk))
    except IntegrityError:
        delivery = WebhookDelivery.objects.get(
            connection=connection, event_id=event_id[:200]
        )
        if reason:
            raise Rejected(400, reason, delivery) from None
        return Received(delivery=delivery, duplicate=True)
    if reason:
        logger.warning(
            "Webhook %s from connection %s refused: %s",
            delivery.pk,
            connection.pk,
            reason,
        )
        raise Rejected(400, reason, delivery)
    return Received(delivery=delivery, duplicate=False)


def _enqueue(delivery_id: int) -> None:
    from .tasks import delivery_process_task

    delivery_process_task.enqueue(delivery_id)


def delivery_process(delivery_id: int) -> str:
    """Map and record one delivery; return its status afterwards."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("connection")
            .filter(
                pk=delivery_id,
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.DEFERRED],
            )
            .first()
        )
        if delivery is None:
            return "skipped"  # done already, or another worker has it
        delivery.attempts += 1
        adapter = adapter_for(delivery.connection.platform)
        try:
            with transaction.atomic():
                note = adapter.apply(
                    connection=delivery.connection,
                    topic=delivery.topic,
                    payload=json.loads(delivery.body),
                )
        except NotYetKnown as exc:
            _defer_or_fail(delivery, str(exc))
        except (MappingError, ValidationError, ValueError, KeyError, TypeError) as exc:
            _fail(delivery, mapping_reason(exc))
        except DatabaseError:
            raise  # the transaction is broken; the sweep retries the delivery
        except Exception as exc:
            # A bug of ours must not leave the delivery pending forever (and
            # block the sweep): it fails visibly and can be replayed once fixed.
            logger.exception("Webhook delivery %s crashed", delivery.pk)
            _fail(delivery, f"{type(exc).__name__}: {exc}")
        else:
            delivery.status = (
                DeliveryStatus.IGNORED
                if note.startswith("ignored")
                else DeliveryStatus.PROCESSED
            )
            delivery.error = "" if delivery.status == DeliveryStatus.PROCESSED else note
            delivery.processed_at = timezone.now()
            delivery.next_attempt_at = None
        delivery.save()
        return delivery.status


def mapping_reason(exc: Exception) -> str:
    """Return why a payload could not be recorded, for an admin to read."""
    if isinstance(exc, ValidationError) and hasattr(exc, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in exc.message_dict.items()
        )
    return (
        f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, MappingError)
        else str(exc)
    )


def _fail(delivery: WebhookDelivery, reason: str) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.error = reason[:5000]
    delivery.next_attempt_at = None
    logger.warning("Webhook delivery %s failed: %s", delivery.pk, reason)


def _defer_or_fail(delivery: WebhookDelivery, reason: str) -> None:
    if delivery.attempts >= MAX_DEFERRALS:
        _fail(delivery, reason)
        return
    delivery.status = DeliveryStatus.DEFERRED
    delivery.error = reason
    delivery.next_attempt_at = timezone.now() + dt.timedelta(
        minutes=2 ** (delivery.attempts - 1)
    )


def deliveries_process_due(*, limit: int = 500) -> int:
    """Process waiting and deferred deliveries that are due (the scheduler's sweep)."""
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            received_at__lt=now - dt.timedelta(seconds=30),
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    ) + list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.DEFERRED, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        try:
            delivery_process(pk)
        except DatabaseError:
            # One delivery's trouble (a deadlock, say) must not hold up the rest.
            logger.exception("Webhook delivery %s could not be processed", pk)
    return len(due)


def delivery_replay(*, actor, delivery: WebhookDelivery) -> str:
    """Process a failed delivery again (after a mapping fix); admins only."""
    require(actor, Permission.MANAGE)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.IGNORED):
        raise PermissionDenied("Only failed or ignored deliveries are replayed.")
    body = delivery.body.encode()
    if delivery.event_id.startswith("invalid-"):
        adapter = adapter_for(delivery.connection.platform)
        try:
            payload = json.loads(body)
            _event_id, topic = adapter.identify(headers={}, payload=payload)
        except (ValueError, MappingError) as exc:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                error=f"replayed: still not usable: {exc}",
                attempts=delivery.attempts + 1,
            )
            return DeliveryStatus.FAILED
        delivery.topic = topic or delivery.topic
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, topic=delivery.topic, next_attempt_at=None
    )
    return delivery_process(delivery.pk)
