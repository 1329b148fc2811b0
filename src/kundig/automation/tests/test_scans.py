"""The daily scans: customers gone quiet and birthdays, each reported once."""

import datetime as dt

import pytest
from django.apps import apps
from django.utils import timezone

from kundig.activity.models import Task
from kundig.activity.services import timeline_add
from kundig.automation import scans, services
from kundig.automation.models import Playbook, Run, ScanSettings
from kundig.commerce import services as commerce
from kundig.commerce.tests.test_orders import order
from kundig.core import events
from kundig.core.models import DomainEvent, Notification
from kundig.messaging import services as messaging
from kundig.privacy import services as privacy

pytestmark = pytest.mark.django_db

Contact = apps.get_model("contacts", "Contact")

NOW = timezone.now()


def customer(ext: str, *, days_ago: int, owner=None, email=None) -> Contact:
    data = order(ext, placed_at=NOW - dt.timedelta(days=days_ago))
    if email:
        data.buyer.email = email
        data.buyer.last_name = email.partition("@")[0].title()
        data.buyer.customer_ref = email
    placed = commerce.order_record(actor=None, source="shop-1", data=data).order
    contact = Contact.objects.get(pk=placed.contact_id)
    if owner is not None:
        Contact.objects.filter(pk=contact.pk).update(owner=owner)
    return contact


def inactive_events():
    return list(
        DomainEvent.objects.filter(name="customer.inactive").values_list(
            "subject_id", flat=True
        )
    )


def test_a_quiet_customer_is_reported_once_and_the_owner_told(sales_nord):
    quiet = customer("1", days_ago=200, owner=sales_nord)

    assert scans.inactive_scan(now=NOW, days=180) == 1
    assert scans.inactive_scan(now=NOW, days=180) == 0  # the same period
    assert inactive_events() == [quiet.pk]
    event = DomainEvent.objects.get(name="customer.inactive")
    assert event.payload["contact_id"] == quiet.pk
    assert event.payload["days"] == 180
    note = Notification.objects.get(user=sales_nord)
    assert note.title == "1 Kunde ist still geworden"
    assert quiet.full_name in note.body
    assert note.url == quiet.get_absolute_url()


def test_recent_orders_conversations_and_non_customers_are_not_reported(
    sales_nord, make_contact
):
    customer("recent", days_ago=20, email="recent@example.de")
    talked = customer("talked", days_ago=300, email="talked@example.de")
    timeline_add(
        actor=None, kind="call", contact=talked, summary="Rückruf",
        occurred_at=NOW - dt.timedelta(days=30),
    )  # fmt: skip
    make_contact(sales_nord)  # a lead without orders

    assert scans.inactive_scan(now=NOW, days=180) == 0


def test_a_new_order_starts_a_new_period(sales_nord):
    quiet = customer("1", days_ago=400)
    assert scans.inactive_scan(now=NOW, days=180) == 1
    # The customer orders again, then goes quiet again.
    commerce.order_record(
        actor=None, source="shop-1",
        data=order("2", placed_at=NOW - dt.timedelta(days=190)),
    )  # fmt: skip
    assert scans.inactive_scan(now=NOW, days=180) == 1
    assert inactive_events() == [quiet.pk, quiet.pk]


def test_a_scan_cut_off_half_way_resumes_without_doubles(monkeypatch):
    quiet = [customer(str(n), days_ago=200, email=f"q{n}@example.de") for n in range(5)]
    monkeypatch.setattr(scans, "BATCH", 2)
    real_emit = scans.emit_many
    calls = []

    def crash_on_the_second_batch(rows, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_emit(rows, **kwargs)

    monkeypatch.setattr(scans, "emit_many", crash_on_the_second_batch)
    with pytest.raises(RuntimeError):
        scans.inactive_scan(now=NOW, days=180)
    assert len(inactive_events()) == 2  # the first batch stands

    monkeypatch.setattr(scans, "emit_many", real_emit)
    assert scans.inactive_scan(now=NOW, days=180) == 3
    assert sorted(inactive_events()) == sorted(c.pk for c in quiet)


def test_birthdays_once_a_day_and_29_february_in_other_years(sales_nord, make_contact):
    today = dt.date(2027, 2, 28)
    leap = make_contact(sales_nord, birthday=dt.date(1996, 2, 29))
    regular = make_contact(sales_nord, birthday=dt.date(1980, 2, 28))
    make_contact(sales_nord, birthday=dt.date(1980, 3, 1))

    assert scans.birthday_scan(today=today) == 2
    assert scans.birthday_scan(today=today) == 0
    reported = DomainEvent.objects.filter(name="customer.birthday")
    assert {e.subject_id for e in reported} == {leap.pk, regular.pk}
    assert {e.payload["age"] for e in reported} == {31, 47}
    # In a leap year 29 February has its own day.
    assert scans.birthday_scan(today=dt.date(2028, 2, 28)) == 1


def test_the_reactivation_playbook_mails_and_later_tasks_the_owner(
    mailbox, smtp, sales_nord
):
    Playbook.objects.filter(key="reactivation").update(is_active=True)
    quiet = customer("1", days_ago=200, owner=sales_nord)
    privacy.consent_give(
        actor=None, contact=quiet, purpose="newsletter", channel="email",
        evidence=privacy.Evidence(source="staff", note="Signed form"),
    )  # fmt: skip
    ScanSettings.objects.create(pk=1, inactive_after_days=180)

    assert scans.scans_run(now=NOW).inactive == 1
    events.dispatch_pending()
    run = Run.objects.get(playbook__key="reactivation")
    services.run_advance(run.pk)
    assert messaging.outbox_send_due() == 1
    [mail] = smtp.messages
    assert mail["Subject"] == "Wir haben etwas für Sie, Erika"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Fourteen days without an order: the owner is asked to call.
    Run.objects.update(wake_at=timezone.now() - dt.timedelta(seconds=1))
    services.runs_wake_due()
    task = Task.objects.get()
    assert task.assignee == sales_nord
    assert task.contact_id == quiet.pk
    assert ScanSettings.objects.get().last_inactive_found == 1


def test_scan_settings_are_edited_on_the_playbooks_page(admin, client_for):
    client = client_for(admin)
    assert 'id="scan-settings"' in client.get("/playbooks/").content.decode()
    client.post("/playbooks/scans/", {"inactive_after_days": 90, "tell_owner": ""})
    settings = ScanSettings.objects.get()
    assert (settings.inactive_after_days, settings.tell_owner) == (90, False)
    response = client.post("/playbooks/scans/", {"inactive_after_days": 2}, follow=True)
    assert "Wählen Sie mindestens 7 Tage." in response.content.decode()
    assert ScanSettings.objects.get().inactive_after_days == 90


def test_a_period_too_long_for_the_calendar_is_refused(admin, client_for):
    client_for(admin).post("/playbooks/scans/", {"inactive_after_days": 1_000_000})
    assert scans.scan_settings().inactive_after_days == 180
