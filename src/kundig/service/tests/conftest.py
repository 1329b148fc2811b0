"""What the service desk's tests share."""

import pytest

from kundig.messaging.tests.conftest import mailbox, smtp  # noqa: F401
from kundig.service.models import Queue


def english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def agent(service_agent):
    """The service agent, reading English."""
    return english(service_agent)


@pytest.fixture
def anna(make_contact, sales_nord):
    return make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )


@pytest.fixture
def queue(manager_nord, admin):
    """The default queue, with a team lead and an escalation owner."""
    queue = Queue.objects.get(is_default=True)
    queue.team_lead = manager_nord
    queue.escalation_owner = admin
    queue.save()
    return queue
