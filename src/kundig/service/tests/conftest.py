"""What the service desk's tests share."""

import pytest

from kundig.core.services import user_create
from kundig.messaging.tests.conftest import mailbox, smtp  # noqa: F401
from kundig.service import services
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


@pytest.fixture
def lead(db):
    """A service team lead who sees every customer."""
    return english(
        user_create(
            email="lea@kundig.test", password="x", role="service",
            team_name="Service", check_password=False, first_name="Lea",
            last_name="Lead",
        )
    )  # fmt: skip


@pytest.fixture
def desk(lead, admin):
    """The default queue: Lea leads it, the administrator takes the hard cases."""
    queue = Queue.objects.get(is_default=True)
    queue.team_lead, queue.escalation_owner = lead, english(admin)
    queue.save()
    return queue


@pytest.fixture
def late(anna, desk):
    """A late-delivery ticket: its plan lets agents grant 25 €, team leads 100 €."""
    return services.ticket_open(
        actor=None, contact=anna, subject="Wo bleibt mein Paket?", channel="web",
        category="late_delivery",
    )  # fmt: skip
