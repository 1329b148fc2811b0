"""Continue now: a waiting run goes on at once, as if its wait were over."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kundig.activity.models import Task
from kundig.automation import scans, services
from kundig.automation.models import Playbook, Run, ScanSettings
from kundig.automation.tests.test_scans import NOW, customer
from kundig.core import events
from kundig.privacy import services as privacy

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(mailbox, smtp, sales_nord):
    """A quiet customer's reactivation run, mailed and waiting 14 days."""
    Playbook.objects.filter(key="reactivation").update(is_active=True)
    quiet = customer("1", days_ago=200, owner=sales_nord)
    privacy.consent_give(
        actor=None, contact=quiet, purpose="newsletter", channel="email",
        evidence=privacy.Evidence(source="staff", note="Signed form"),
    )  # fmt: skip
    ScanSettings.objects.create(pk=1, inactive_after_days=180)
    scans.scans_run(now=NOW)
    events.dispatch_pending()
    run = Run.objects.get(playbook__key="reactivation")
    services.run_advance(run.pk)
    run.refresh_from_db()
    assert run.status == "waiting"
    return run


def test_continuing_a_waiting_run_takes_its_next_steps_now(waiting, admin, sales_nord):
    run = services.run_continue(actor=admin, run=waiting)

    assert run.status == "done"
    # no order came (the awaited event counts as not arrived): the owner calls
    task = Task.objects.get()
    assert (task.assignee, task.contact_id) == (sales_nord, waiting.contact_id)
    wait = run.log.get(index=1)
    assert (wait.outcome, wait.detail) == ("done", "Continued early by Ada Admin.")


def test_only_a_waiting_run_can_go_on_early(waiting, admin):
    services.run_stop(actor=admin, run=waiting)

    with pytest.raises(ValidationError, match="Only a waiting run"):
        services.run_continue(actor=admin, run=waiting)
    assert not Task.objects.exists()


def test_the_run_page_continues_a_run_for_messaging_users(
    waiting, client_for, marketing_user, sales_nord
):
    url = reverse("automation:run_continue", args=[waiting.pk])

    assert client_for(sales_nord).post(url).status_code == 403
    assert client_for(marketing_user).get(url).status_code == 405
    page = client_for(marketing_user).get(
        reverse("automation:run_detail", args=[waiting.pk])
    )
    assert url in page.content.decode()

    response = client_for(marketing_user).post(url, follow=True)

    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == "done"
    assert Task.objects.count() == 1
    # and once it is done, the button is gone and a second post changes nothing
    assert url not in response.content.decode()
    client_for(marketing_user).post(url)
    assert Task.objects.count() == 1


def test_a_run_whose_event_arrived_goes_on_with_it(waiting, admin):
    # the customer ordered; the run is woken but its advance not yet taken
    events.emit("order.placed", None, contact_id=waiting.contact_id)
    events.dispatch_pending()

    run = services.run_continue(actor=admin, run=waiting)

    assert run.status == "done"
    assert not Task.objects.exists()  # no call: the customer reacted
    wait = run.log.get(index=1)
    assert wait.detail == "The event order.placed arrived."
