"""The daily customer scans: who has gone quiet, whose birthday is today.

Each scan emits one event per contact and period (``customer.inactive``,
``customer.birthday``) and marks it in the same transaction, batch by batch:
a scan cut off half-way resumes where it stopped, and a second run on the
same day finds nothing new.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from kundig.activity import selectors as activity_selectors
from kundig.contacts import selectors as contact_selectors
from kundig.core.events import emit_many
from kundig.core.notifications import notification_create

from .models import ScanMark, ScanSettings

logger = logging.getLogger(__name__)

BATCH = 1000
INACTIVE = "inactive"
BIRTHDAY = "birthday"
# Names listed in the owner's notification; the rest is counted.
NAMES_SHOWN = 10


def scan_settings() -> ScanSettings:
    settings, _created = ScanSettings.objects.get_or_create(pk=1)
    return settings


@dataclass
class ScanResult:
    inactive: int = 0
    birthdays: int = 0


def scans_run(*, now: dt.datetime | None = None) -> ScanResult:
    """Run both scans; return how many contacts each reported."""
    now = now or timezone.now()
    settings = scan_settings()
    result = ScanResult(
        inactive=inactive_scan(
            now=now, days=settings.inactive_after_days, tell_owner=settings.tell_owner
        ),
        birthdays=birthday_scan(today=timezone.localdate(now)),
    )
    ScanSettings.objects.filter(pk=settings.pk).update(
        last_scan_at=now,
        last_inactive_found=result.inactive,
        last_birthdays_found=result.birthdays,
    )
    return result


def inactive_scan(*, now: dt.datetime, days: int, tell_owner: bool = True) -> int:
    """Emit ``customer.inactive`` for customers without order or conversation.

    Once per inactivity period: the period is the customer's last order, so
    a customer who orders again and goes quiet again is reported again.
    """
    cutoff = now - dt.timedelta(days=days)
    talked = activity_selectors.interactions_since(cutoff).filter(
        contact_id=OuterRef("contact_id")
    )
    reported = ScanMark.objects.filter(
        kind=INACTIVE,
        contact_id=OuterRef("contact_id"),
        period_at=OuterRef("last_order_at"),
    )
    candidates = (
        contact_selectors.customers_last_ordered_before(cutoff)
        .exclude(Exists(talked))
        .exclude(Exists(reported))
        .order_by("contact_id")
        .values_list("contact_id", "last_order_at")
    )
    found = 0
    after = 0
    while True:
        batch = list(candidates.filter(contact_id__gt=after)[:BATCH])
        if not batch:
            break
        after = batch[-1][0]
        with transaction.atomic():
            batch = _mark(
                INACTIVE, [(pk, last_order, last_order) for pk, last_order in batch]
            )
            emit_many(
                (
                    "customer.inactive",
                    "contacts.contact",
                    pk,
                    {
                        "contact_id": pk,
                        "last_order_at": last_order.isoformat(),
                        "days": days,
                    },
                )
                for pk, last_order in batch
            )
            if tell_owner and batch:
                _tell_owners([pk for pk, _last in batch], days=days, now=now)
        found += len(batch)
    logger.info("Inactive scan: %d customers reported", found)
    return found


def _mark(kind: str, rows: list[tuple[int, dt.datetime, object]]) -> list[tuple]:
    """Mark ``(contact, period, value)`` rows reported; return those this scan
    marked (another scan running at the same time keeps the rest)."""
    scan = uuid.uuid4().hex
    ScanMark.objects.bulk_create(
        [ScanMark(kind=kind, contact_id=pk, period_at=period, scan=scan)
         for pk, period, _value in rows],
        ignore_conflicts=True,
    )  # fmt: skip
    ours = set(
        ScanMark.objects.filter(
            kind=kind, scan=scan, contact_id__in=[pk for pk, _p, _v in rows]
        ).values_list("contact_id", flat=True)
    )
    return [(pk, value) for pk, _period, value in rows if pk in ours]


def _tell_owners(contact_ids: list[int], *, days: int, now: dt.datetime) -> None:
    """One notification per owner and batch, naming their quiet customers."""
    contact = apps.get_model("contacts", "Contact")
    by_owner = defaultdict(list)
    for row in (
        contact.objects.filter(pk__in=contact_ids, owner__isnull=False)
        .select_related("owner")
        .order_by("sort_name", "pk")
    ):
        by_owner[row.owner].append(row)
    for owner, customers in by_owner.items():
        names = ", ".join(c.full_name for c in customers[:NAMES_SHOWN])
        more = len(customers) - NAMES_SHOWN
        with override(owner.language or "de"):
            title = ngettext(
                "%(count)d customer has gone quiet",
                "%(count)d customers have gone quiet",
                len(customers),
            ) % {"count": len(customers)}
            body = _("No order and no conversation for %(days)d days: %(names)s") % {
                "days": days,
                "names": names,
            }
            if more > 0:
                body += " " + _("and %(more)d more") % {"more": more}
        url = (
            customers[0].get_absolute_url()
            if len(customers) == 1
            else reverse("contacts:contact_list") + f"?owner={owner.pk}"
        )
        notification_create(
            user=owner,
            title=title,
            body=body,
            url=url,
            dedupe_key=f"inactive:{owner.pk}:{now.date()}:{customers[0].pk}",
        )


def _birthdays_on(today: dt.date) -> list[tuple[int, int]]:
    """(month, day) pairs celebrated today: 29 February on 28 February too."""
    days = [(today.month, today.day)]
    if (today.month, today.day) == (2, 28):
        try:
            dt.date(today.year, 2, 29)
        except ValueError:
            days.append((2, 29))
    return days


def birthday_scan(*, today: dt.date) -> int:
    """Emit ``customer.birthday`` for every contact whose birthday is today."""
    period = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    found = 0
    for month, day in _birthdays_on(today):
        reported = ScanMark.objects.filter(
            kind=BIRTHDAY, contact_id=OuterRef("pk"), period_at=period
        )
        candidates = (
            contact_selectors.contacts_born_on(month, day)
            .exclude(Exists(reported))
            .order_by("pk")
            .values_list("pk", "birthday")
        )
        after = 0
        while True:
            batch = list(candidates.filter(pk__gt=after)[:BATCH])
            if not batch:
                break
            after = batch[-1][0]
            with transaction.atomic():
                batch = _mark(
                    BIRTHDAY, [(pk, period, birthday) for pk, birthday in batch]
                )
                emit_many(
                    (
                        "customer.birthday",
                        "contacts.contact",
                        pk,
                        {
                            "contact_id": pk,
                            "age": today.year - birthday.year,
                            "day": today.isoformat(),
                        },
                    )
                    for pk, birthday in batch
                )
            found += len(batch)
    return found
