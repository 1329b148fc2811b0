"""Shipments, late parcels, returns and revocations."""

import datetime as dt

import pytest
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.commerce import services as commerce
from kundig.commerce.models import Shipment
from kundig.core.models import DomainEvent

from .test_orders import order

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed():
    return commerce.order_record(actor=None, source="shop-1", data=order()).order


def names():
    return list(DomainEvent.objects.order_by("id").values_list("name", flat=True))


def test_a_shipment_is_sent_once_and_moves_the_order(placed):
    data = commerce.ShipmentData(
        external_id="d-1", carrier="DHL", tracking_number="00340"
    )
    commerce.shipment_record(actor=None, source="shop-1", order=placed, data=data)
    commerce.shipment_record(actor=None, source="shop-1", order=placed, data=data)

    placed.refresh_from_db()
    assert placed.status == "shipped"
    assert names().count("shipment.sent") == 1


def test_a_parcel_past_its_promised_day_is_late_once(placed):
    today = timezone.localdate()
    commerce.shipment_record(
        actor=None,
        source="shop-1",
        order=placed,
        data=commerce.ShipmentData(
            external_id="d-1",
            tracking_number="1",
            promised_for=today - dt.timedelta(days=1),
        ),
    )
    commerce.shipment_record(
        actor=None,
        source="shop-1",
        order=placed,
        data=commerce.ShipmentData(
            external_id="d-2", tracking_number="2", promised_for=today
        ),
    )

    assert commerce.shipments_flag_late(today=today) == 1
    assert commerce.shipments_flag_late(today=today) == 0
    late = Shipment.objects.get(external_id="d-1")
    assert late.is_late
    assert names().count("shipment.late") == 1
    assert (
        TimelineEntry.objects.filter(
            kind="shipment", summary__contains="is late"
        ).count()
        == 1
    )


def test_a_return_walks_through_its_statuses(placed):
    data = commerce.ReturnData(external_id="r-1", rma_number="RMA-1", reason="size")
    commerce.return_record(actor=None, source="shop-1", order=placed, data=data)
    data.status = "refunded"
    ret = commerce.return_record(actor=None, source="shop-1", order=placed, data=data)

    assert ret.status == "refunded"
    assert ret.received_at is not None
    assert [n for n in names() if n.startswith("return.")] == [
        "return.announced",
        "return.received",
        "return.decided",
    ]
    assert placed.contact.figures.returns_count == 1


def test_a_revocation_is_due_back_within_fourteen_days(placed):
    day = timezone.localdate() - dt.timedelta(days=1)
    data = commerce.RevocationData(received_on=day)
    first = commerce.revocation_record(
        actor=None, source="shop-1", order=placed, data=data
    )
    again = commerce.revocation_record(
        actor=None, source="shop-1", order=placed, data=data
    )

    assert first == again
    assert first.refund_due_on == day + dt.timedelta(days=14)
    assert names().count("revocation.received") == 1
