from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from kundig.contacts import selectors as contact_selectors

from .choices import RunStatus
from .models import Playbook, Run


def playbooks_with_counts() -> QuerySet[Playbook]:
    return Playbook.objects.select_related("version").annotate(
        active_runs=Count(
            "runs", filter=Q(runs__status__in=[RunStatus.RUNNING, RunStatus.WAITING])
        ),
        finished_runs=Count("runs", filter=Q(runs__status=RunStatus.DONE)),
    )


def runs_visible_to(user) -> QuerySet[Run]:
    """Runs of contacts ``user`` may see."""
    return Run.objects.filter(
        contact__in=contact_selectors.contacts_visible_to(user)
    ).select_related("playbook", "version", "contact")


def contact_runs(*, user, contact, limit: int = 10) -> list[Run]:
    return list(
        runs_visible_to(user)
        .filter(contact=contact)
        .prefetch_related("log")
        .order_by("-started_at", "-id")[:limit]
    )
