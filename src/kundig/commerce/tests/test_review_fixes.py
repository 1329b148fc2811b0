"""Bugs found in review, each with the test that would have caught it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kundig.commerce import importing
from kundig.commerce import services as commerce
from kundig.commerce.models import Order
from kundig.commerce.services import orders as order_services
from kundig.core.jobs import runner

from .test_orders import order

pytestmark = pytest.mark.django_db
Contact = apps.get_model("contacts", "Contact")


def test_an_import_cannot_change_an_order_of_a_customer_it_may_not_see(
    manager_nord, sales_sued, make_contact, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    manager_nord.language = "en"
    manager_nord.save(update_fields=["language"])
    stranger = make_contact(sales_sued, first_name="Susi", last_name="Süd")
    theirs = commerce.order_record(
        actor=None, source="shopify-3", contact=stranger, data=order("4711")
    ).order
    csv = "Bestellnummer;Status;Artikel;Menge;Einzelpreis\n4711;storniert;X;1;1\n"
    job = importing.order_import_start(
        actor=manager_nord,
        upload=SimpleUploadedFile("o.csv", csv.encode()),
        source="shopify-3",
        channel="store",
    )
    runner.job_run(job_id=job.pk)

    theirs.refresh_from_db()
    job.refresh_from_db()
    assert theirs.status == "placed"
    assert theirs.lines.get().name == "T-Shirt"
    assert "may not see" in " ".join(job.state["errors"])


def test_a_first_order_in_another_currency_counts_no_revenue():
    result = commerce.order_record(
        actor=None, source="s", data=order(currency="CHF", total="10.00")
    )

    figures = Contact.objects.get(pk=result.order.contact_id).figures
    assert (figures.orders_count, figures.revenue) == (1, Decimal("0.00"))
    assert figures.average_order_value == Decimal("0.00")


def test_a_concurrent_twin_of_a_new_order_updates_it(monkeypatch):
    commerce.order_record(actor=None, source="s", data=order("1"))
    calls = []

    def not_found_first(source, external_id):
        calls.append(external_id)
        if len(calls) == 1:
            return None  # as if the twin's insert was not committed yet
        return Order.objects.get(source=source, external_id=external_id)

    monkeypatch.setattr(order_services, "_existing", not_found_first)
    paid = commerce.order_record(
        actor=None, source="s", data=order("1", paid_at=timezone.now())
    )

    assert not paid.created
    assert paid.order.paid_at is not None
    assert Order.objects.count() == 1


def test_a_partial_update_keeps_what_it_does_not_send():
    commerce.order_record(
        actor=None,
        source="s",
        data=order(channel="store", shipping_total="4.95", coupon_codes=["A"]),
    )
    commerce.order_record(
        actor=None,
        source="s",
        data=commerce.OrderData(external_id="1001", status="shipped"),
    )

    stored = Order.objects.get()
    assert (stored.number, stored.channel, stored.status) == (
        "SW1001",
        "store",
        "shipped",
    )
    assert (stored.shipping_total, stored.coupon_codes) == (Decimal("4.95"), ["A"])
    assert stored.email == "erika@example.de"


def test_a_buyer_known_only_by_email_becomes_a_contact():
    result = commerce.order_record(
        actor=None,
        source="s",
        data=order(buyer=commerce.BuyerData(email="nur-mail@example.de")),
    )

    contact = Contact.objects.get(pk=result.order.contact_id)
    assert str(contact)
    assert contact.emails.get().email == "nur-mail@example.de"


def test_an_impossible_date_is_a_row_error_not_a_stuck_import(
    admin, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    admin.language = "en"
    admin.save(update_fields=["language"])
    csv = (
        "order_number;date;email;product;quantity;unit_price\n"
        "A-1;2026-02-30;a@example.de;X;1;1\n"
        "A-2;2026-02-03;b@example.de;Y;1;2\n"
    )
    job = importing.order_import_start(
        actor=admin,
        upload=SimpleUploadedFile("o.csv", csv.encode()),
        source="s",
        channel="store",
    )
    runner.job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "done"
    assert job.counters["orders"] == 1
    assert "2026-02-30 is not a date" in " ".join(job.state["errors"])
    assert Order.objects.get().placed_at.date() == dt.date(2026, 2, 3)
