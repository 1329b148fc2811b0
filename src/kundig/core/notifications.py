"""In-app notifications, optionally also sent to the user by email.

A notification row is written in the transaction that decided to notify;
the worker sends its email afterwards. Claiming a row before sending and
marking it after means two workers never send the same email; a worker
that dies between the SMTP server's acceptance and the mark leaves the row
"sending", and it is retried only after ``STALE_CLAIM`` (at-least-once).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .choices import EmailState
from .models import Notification, User

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=10)


def notification_create(
    *,
    user: User,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str | None = None,
    email: bool = False,
) -> Notification | None:
    """Create a notification, at most once per ``dedupe_key``; None if it existed."""
    values = {
        "user": user,
        "title": title[:200],
        "body": body,
        "url": url,
        "email_state": EmailState.PENDING if email and user.email else EmailState.NONE,
    }
    if dedupe_key is None:
        notification = Notification.objects.create(**values)
    else:
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    dedupe_key=dedupe_key, **values
                )
        except IntegrityError:
            return None
    if notification.email_state == EmailState.PENDING:
        transaction.on_commit(_enqueue_send)
    return notification


def _enqueue_send() -> None:
    from .tasks import notification_emails_send

    notification_emails_send.enqueue()


def notifications_mark_read(*, user: User, ids=None) -> int:
    qs = user.notifications.filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def _claim(now) -> Notification | None:
    stale = now - STALE_CLAIM
    candidates = Notification.objects.filter(
        Q(email_state=EmailState.PENDING)
        | Q(email_state=EmailState.SENDING, email_claimed_at__lt=stale)
    ).order_by("id")
    for candidate in candidates.only("pk", "email_state", "email_claimed_at")[:20]:
        claimed = Notification.objects.filter(
            pk=candidate.pk,
            email_state=candidate.email_state,
            email_claimed_at=candidate.email_claimed_at,
        ).update(
            email_state=EmailState.SENDING,
            email_claimed_at=now,
            email_attempts=F("email_attempts") + 1,
        )
        if claimed:
            return Notification.objects.select_related("user").get(pk=candidate.pk)
    return None


def _message(notification: Notification) -> EmailMultiAlternatives:
    user = notification.user
    link = (
        f"{settings.BASE_URL}{notification.url}"
        if notification.url.startswith("/")
        else notification.url
    )
    with translation.override(user.language):
        context = {"notification": notification, "user": user, "link": link}
        text = render_to_string("core/email/notification.txt", context)
        html = render_to_string("core/email/notification.html", context)
    message = EmailMultiAlternatives(
        subject=notification.title,
        body=text,
        to=[user.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Kundig-Notification": str(notification.pk),
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def send_pending_emails(*, limit: int = 200) -> int:
    """Send the emails of pending notifications; return how many went out."""
    sent = 0
    for _ in range(limit):
        now = timezone.now()
        notification = _claim(now)
        if notification is None:
            break
        if not notification.user.is_active:
            Notification.objects.filter(pk=notification.pk).update(
                email_state=EmailState.NONE, email_claimed_at=None
            )
            continue
        try:
            _message(notification).send()
        except Exception as exc:
            failed = notification.email_attempts >= MAX_EMAIL_ATTEMPTS
            logger.warning(
                "Email for notification %s failed (attempt %s): %s",
                notification.pk,
                notification.email_attempts,
                exc.__class__.__name__,
            )
            Notification.objects.filter(pk=notification.pk).update(
                email_state=EmailState.FAILED if failed else EmailState.PENDING,
                email_claimed_at=None,
                email_error=f"{exc.__class__.__name__}: {exc}"[:1000],
            )
            if not failed:
                break  # the mail server is likely down; the next run retries
            continue
        Notification.objects.filter(pk=notification.pk).update(
            email_state=EmailState.SENT, email_sent_at=timezone.now(), email_error=""
        )
        sent += 1
    return sent
