"""The ready-made recommendation playbook: 14 days after a delivery, a customer
who agreed to surveys is asked how likely they are to recommend the shop."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kundig.automation import services, steps
from kundig.automation.models import Playbook, Run
from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.core import events
from kundig.privacy import services as privacy
from kundig.service.models import Survey

pytestmark = pytest.mark.django_db


def delivered(ext="9100"):
    placed = commerce.order_record(actor=None, source="shop-1", data=order(ext)).order
    commerce.shipment_record(
        actor=None, source="shop-1", order=placed,
        data=commerce.ShipmentData(
            external_id=f"s-{ext}", carrier="DHL", delivered_at=timezone.now()
        ),
    )  # fmt: skip
    return placed.contact


def waiting_run(contact) -> Run:
    events.dispatch_pending()
    run = Run.objects.get(playbook__key="recommendation-after-delivery")
    services.run_advance(run.pk)
    run.refresh_from_db()
    assert run.status == "waiting"
    return run


@pytest.fixture(autouse=True)
def switched_on(mailbox):
    Playbook.objects.filter(key="recommendation-after-delivery").update(is_active=True)


def test_after_the_wait_the_customer_is_asked_once(admin, smtp):
    erika = delivered()
    privacy.consent_give(
        actor=None, contact=erika, purpose="surveys", channel="email",
        evidence=privacy.Evidence(source="staff", note="Checkout box"),
    )  # fmt: skip
    run = waiting_run(erika)

    run = services.run_continue(actor=admin, run=run)

    assert run.status == "done"
    survey = Survey.objects.get()
    assert (survey.kind, survey.contact, survey.problem) == ("nps", erika, "")
    assert survey.message.purpose == "surveys"
    assert "Recommendation survey sent" in run.log.order_by("-index").first().detail


def test_without_consent_the_step_fails_with_the_reason(admin):
    run = waiting_run(delivered("9101"))

    services.run_continue(actor=admin, run=run)

    survey = Survey.objects.get()
    assert survey.message is None
    step = Run.objects.get().log.order_by("-index").first()
    assert (step.outcome, step.detail) == (
        "failed", "No confirmed consent for Surveys.",
    )  # fmt: skip


def test_the_step_needs_no_settings():
    assert steps.clean([{"kind": "send_survey", "junk": 1}]) == [
        {"kind": "send_survey"}
    ]
    with pytest.raises(ValidationError):
        steps.clean([{"kind": "send_nothing"}])
