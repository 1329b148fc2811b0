"""Outgoing webhooks: subscriptions, one delivery per event, signed sends with retries.

An event's handler creates the deliveries in the dispatch transaction and
enqueues a send for each after commit. A send first *claims* its delivery with
one conditional UPDATE that moves ``next_attempt_at`` to the end of a lease;
only the worker whose UPDATE matched sends, so two workers never send one
delivery at the same time. The HTTP request runs outside any transaction, and
the outcome is written only if the lease is still that worker's (the attempt
count has not moved on). A failed attempt is retried with exponential backoff
and jitter; after ``MAX_ATTEMPTS`` the delivery gives up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import unicodedata
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kundig.core.audit import audit_changes, audit_created
from kundig.core.choices import Permission
from kundig.core.events import emit
from kundig.core.models import DomainEvent
from kundig.core.permissions import require

from . import net
from .choices import EVENT_TYPES, OPEN_STATUSES, TEST_EVENT, DeliveryStatus
from .models import Delivery, Subscription, new_secret

logger = logging.getLogger(__name__)

USER_AGENT = "Kundig-Webhooks/1"
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
# Longer than any attempt can take (DNS, then at most net.TIMEOUT).
LEASE = timedelta(minutes=5)
# The sweep leaves a due delivery this long to the task meant to send it.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BUDGET_SECONDS = 45
MIN_SECRET_LENGTH = 16
EDITABLE = ("name", "url", "event_types", "secret", "is_active")

_random = secrets.SystemRandom()


# --- Subscriptions --------------------------------------------------------------------


def _clean(data: dict) -> dict:
    """Return ``data`` normalised; raise one ValidationError naming every bad field."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    if "name" in data:
        name = " ".join(str(data["name"] or "").split())
        if not name:
            errors["name"] = [_("Give the subscription a name.")]
        elif len(name) > 100:
            errors["name"] = [_("Use at most 100 characters.")]
        elif any(unicodedata.category(c) == "Cc" for c in name):
            errors["name"] = [_("Remove the invisible control characters.")]
        cleaned["name"] = name
    if "url" in data:
        url = str(data["url"] or "").strip()
        try:
            if len(url) > 500:
                raise ValidationError(_("Use at most 500 characters."))
            target = net.parse(url)
        except ValidationError as exc:
            errors["url"] = exc.messages
        else:
            if net.obvious_problem(target) is not None:
                errors["url"] = [
                    _(
                        "Kundig sends no webhooks to loopback, private or "
                        "link-local addresses such as %(host)s."
                    )
                    % {"host": target.host}
                ]
        cleaned["url"] = url
    if "event_types" in data:
        chosen = data["event_types"] or []
        if isinstance(chosen, str) or not all(isinstance(e, str) for e in chosen):
            errors["event_types"] = [_("Choose event types from the list.")]
        else:
            unknown = sorted(set(chosen) - set(EVENT_TYPES))
            if unknown:
                errors["event_types"] = [
                    _("Unknown event type: %(names)s.") % {"names": ", ".join(unknown)}
                ]
            # In the list's order, each once.
            cleaned["event_types"] = [e for e in EVENT_TYPES if e in set(chosen)]
    if "secret" in data:
        secret = str(data["secret"] or "").strip()
        if len(secret) < MIN_SECRET_LENGTH:
            errors["secret"] = [
                _("Use at least %(n)d characters.") % {"n": MIN_SECRET_LENGTH}
            ]
        elif len(secret) > 200:
            errors["secret"] = [_("Use at most 200 characters.")]
        elif not secret.isascii() or any(c.isspace() for c in secret):
            errors["secret"] = [_("Use letters, digits and punctuation, no spaces.")]
        cleaned["secret"] = secret
    if "is_active" in data:
        cleaned["is_active"] = bool(data["is_active"])
    if errors:
        raise ValidationError(errors)
    return cleaned


def _readable(subscription: Subscription) -> dict:
    return {
        "name": subscription.name,
        "url": subscription.url,
        "event_types": subscription.event_types or ["*"],
        "is_active": subscription.is_active,
    }


@transaction.atomic
def subscription_create(
    *,
    actor,
    name: str,
    url: str,
    event_types: list[str] | None = None,
    secret: str | None = None,
    is_active: bool = True,
) -> Subscription:
    """Create a subscription; without ``secret`` a random one is made."""
    require(actor, Permission.MANAGE)
    data = _clean(
        {
            "name": name,
            "url": url,
            "event_types": event_types or [],
            "secret": secret if secret is not None else new_secret(),
            "is_active": is_active,
        }
    )
    subscription = Subscription(**data)
    subscription.full_clean()
    subscription.save()
    audit_created(subscription, actor=actor)
    return subscription


@transaction.atomic
def subscription_update(
    *, actor, subscription: Subscription, **changes
) -> Subscription:
    """Change the ``EDITABLE`` fields; deactivating stops its waiting deliveries."""
    require(actor, Permission.MANAGE)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    data = _clean(changes)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    before = _readable(subscription)
    was_active, old_secret = subscription.is_active, subscription.secret
    for field, value in data.items():
        setattr(subscription, field, value)
    subscription.full_clean()
    subscription.save()
    after = _readable(subscription)
    if subscription.secret != old_secret:
        # The audit log records that the secret changed, never the secret.
        before["secret"], after["secret"] = "•", "••"
    audit_changes(subscription, actor=actor, before=before, after=after)
    if was_active and not subscription.is_active:
        Delivery.objects.filter(
            subscription=subscription, status__in=OPEN_STATUSES
        ).update(
            status=DeliveryStatus.GAVE_UP,
            next_attempt_at=None,
            last_error="The subscription was deactivated.",
        )
    return subscription


# --- Deliveries -----------------------------------------------------------------------


def deliveries_create(*, event: DomainEvent) -> list[int]:
    """Create a delivery of ``event`` for each active subscription that wants it."""
    return deliveries_create_many(events=[event])


def deliveries_create_many(*, events: list[DomainEvent]) -> list[int]:
    """Create a delivery of each event for each active subscription that wants it.

    Runs in the event handler's transaction, in the same few queries however
    many events; the sends are enqueued after commit. Running it again for
    the same events adds nothing.
    """
    with transaction.atomic():
        subscriptions = list(
            Subscription.objects.filter(is_active=True).only("event_types")
        )
        pairs = [
            (subscription, event)
            for event in events
            for subscription in subscriptions
            if subscription.wants(event.name)
        ]
        if not pairs:
            return []
        now = timezone.now()
        Delivery.objects.bulk_create(
            [
                Delivery(subscription=subscription, event=event, next_attempt_at=now)
                for subscription, event in pairs
            ],
            ignore_conflicts=True,
        )
        ids = list(
            Delivery.objects.filter(
                event__in={event.pk for _s, event in pairs},
                subscription__in={subscription.pk for subscription, _e in pairs},
                status=DeliveryStatus.PENDING,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for pk in ids:
            transaction.on_commit(partial(_enqueue_send, pk))
    return ids


def _enqueue_send(delivery_id: int, run_after=None) -> None:
    from .tasks import delivery_send_task

    task = delivery_send_task
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the sweep sends it when it is due
        task = task.using(run_after=run_after)
    task.enqueue(delivery_id)


def payload(event: DomainEvent) -> dict:
    """Return what a subscriber receives about ``event``."""
    return {
        "id": event.pk,
        "event": event.name,
        "occurred_at": event.occurred_at.isoformat(),
        "subject": {"type": event.subject_type or None, "id": event.subject_id},
        "data": event.payload,
    }


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``X-Kundig-Signature``: HMAC-SHA256 of ``<timestamp>.<body>``."""
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


def request_for(delivery: Delivery, *, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers of one attempt of ``delivery``."""
    body = json.dumps(
        payload(delivery.event),
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Kundig-Event": delivery.event.name,
        "X-Kundig-Delivery": str(delivery.pk),
        "X-Kundig-Timestamp": str(timestamp),
        "X-Kundig-Signature": sign(
            secret=delivery.subscription.secret, timestamp=timestamp, body=body
        ),
    }
    return body, headers


def backoff(attempts: int) -> timedelta:
    """Return the pause after the ``attempts``-th failure: 1, 2, 4 … minutes, ≤ 6 h."""
    pause = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)
    jitter = timedelta(seconds=_random.uniform(0, pause.total_seconds() / 10))
    return min(pause + jitter, MAX_RETRY)


def _claim(delivery_id: int) -> Delivery | None:
    now = timezone.now()
    with transaction.atomic():
        # One conditional UPDATE on the row alone: whichever worker matches
        # first owns the attempt; the others find next_attempt_at in the future.
        claimed = Delivery.objects.filter(
            pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=now
        ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1, sent_at=now)
        if not claimed:
            return None
        return Delivery.objects.select_related("subscription", "event").get(
            pk=delivery_id
        )


def _finish(delivery: Delivery, **fields) -> bool:
    """Write an attempt's outcome if the lease is still ours; say whether it was."""
    with transaction.atomic():
        written = Delivery.objects.filter(
            pk=delivery.pk, attempts=delivery.attempts
        ).update(**fields)
        if written and fields.get("status") == DeliveryStatus.FAILED:
            transaction.on_commit(
                partial(_enqueue_send, delivery.pk, fields["next_attempt_at"])
            )
    if not written:
        logger.warning(
            "Webhook delivery %s: attempt %s ended after its lease; outcome dropped",
            delivery.pk,
            delivery.attempts,
        )
    return bool(written)


def _failed(delivery: Delivery, *, code: int | None, error: str) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        status, next_at = DeliveryStatus.GAVE_UP, None
    else:
        status = DeliveryStatus.FAILED
        next_at = timezone.now() + backoff(delivery.attempts)
    _finish(
        delivery,
        status=status,
        next_attempt_at=next_at,
        last_status_code=code,
        last_error=error[:500],
    )
    logger.warning(
        "Webhook delivery %s to subscription %s failed (attempt %s): %s",
        delivery.pk,
        delivery.subscription_id,
        delivery.attempts,
        error[:500],
    )
    return status


def delivery_send(delivery_id: int) -> str:
    """Make one attempt at a due delivery; return its status, or "skipped".

    "skipped": not due, finished, or being sent by another worker right now.
    Call it outside a transaction: it waits for the receiver.
    """
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"
    subscription = delivery.subscription
    if not subscription.is_active:
        _finish(
            delivery,
            status=DeliveryStatus.GAVE_UP,
            next_attempt_at=None,
            attempts=delivery.attempts - 1,  # nothing was sent
            last_error="The subscription is inactive.",
        )
        return DeliveryStatus.GAVE_UP
    body, headers = request_for(delivery, timestamp=int(time.time()))
    try:
        answer = net.post(subscription.url, body, headers)
    except net.Refused as exc:
        return _failed(delivery, code=None, error=str(exc))
    except OSError as exc:
        return _failed(delivery, code=None, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        logger.exception("Webhook delivery %s: unexpected error", delivery.pk)
        return _failed(delivery, code=None, error=f"{type(exc).__name__}: {exc}")
    if 200 <= answer.status < 300:
        _finish(
            delivery,
            status=DeliveryStatus.SUCCEEDED,
            next_attempt_at=None,
            last_status_code=answer.status,
            last_error="",
        )
        return DeliveryStatus.SUCCEEDED
    error = f"HTTP {answer.status} {answer.reason}".strip()
    if 300 <= answer.status < 400:
        error += " (redirects are not followed)"
    if answer.body:
        error += f": {answer.body}"
    return _failed(delivery, code=answer.status, error=error)


def deliveries_send_due(*, limit: int = 100) -> int:
    """Send deliveries overdue by a minute: lost tasks, retries (the sweep)."""
    started = time.monotonic()
    due = list(
        Delivery.objects.filter(
            status__in=OPEN_STATUSES,
            next_attempt_at__lte=timezone.now() - SWEEP_GRACE,
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in due:
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break  # the next sweep goes on; this one ends before it starts
        if delivery_send(pk) != "skipped":
            sent += 1
    return sent


@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> Delivery:
    """Make a failed or given-up delivery due now; the caller then sends it.

    A delivery that had given up gets one more attempt; failing again, it
    gives up again.
    """
    require(actor, Permission.MANAGE)
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery.pk)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP):
        raise ValidationError(
            {"status": _("Only failed deliveries can be sent again.")}
        )
    if not delivery.subscription.is_active:
        raise ValidationError({"subscription": _("Activate the subscription first.")})
    delivery.status = DeliveryStatus.FAILED
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    return delivery


@transaction.atomic
def subscription_send_test(*, actor, subscription: Subscription) -> Delivery:
    """Record a ``webhook.test`` event for this subscription only; caller sends it."""
    require(actor, Permission.MANAGE)
    if not subscription.is_active:
        raise ValidationError({"is_active": _("Activate the subscription first.")})
    event = emit(
        TEST_EVENT,
        subscription,
        actor=actor,
        message="This is a test event from Kundig.",
    )
    return Delivery.objects.create(subscription=subscription, event=event)


def delivery_create_for(*, subscription: Subscription, event: DomainEvent) -> Delivery:
    """Deliver ``event`` to this one subscription, whatever it subscribed to.

    For a playbook's webhook step: the step chose the subscription. Running
    it again for the same event adds nothing.
    """
    with transaction.atomic():
        Delivery.objects.bulk_create(
            [
                Delivery(
                    subscription=subscription,
                    event=event,
                    next_attempt_at=timezone.now(),
                )
            ],
            ignore_conflicts=True,
        )
        delivery = Delivery.objects.get(subscription=subscription, event=event)
        if delivery.status == DeliveryStatus.PENDING:
            transaction.on_commit(partial(_enqueue_send, delivery.pk))
    return delivery
