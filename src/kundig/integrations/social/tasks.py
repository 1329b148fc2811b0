from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from kundig.core import scheduler


@task()
def social_poll() -> dict:
    """Read the active feeds and Mastodon accounts for new posts."""
    from .services import sources_poll

    return {"new": sources_poll()}


scheduler.every(
    timedelta(minutes=5), "social.poll", "kundig.integrations.social.tasks.social_poll"
)
