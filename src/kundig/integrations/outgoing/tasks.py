from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler


@task()
def delivery_send_task(delivery_id: int) -> str:
    """Make one attempt at an outgoing webhook delivery."""
    from .services import delivery_send

    return delivery_send(delivery_id)


@task()
def deliveries_sweep() -> int:
    """Send deliveries whose task was lost and retries whose task is late."""
    from .services import deliveries_send_due

    return deliveries_send_due()


scheduler.every(
    timedelta(minutes=1),
    "outgoing_webhooks.deliveries_sweep",
    "kundig.integrations.outgoing.tasks.deliveries_sweep",
)
