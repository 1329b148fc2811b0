"""Returns (RMA) Kundig records itself: announced from an order's lines, then
label sent, on its way back, received, inspected, decided — each step a status,
an event and a timeline entry, only forward."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kundig.activity.models import TimelineEntry
from kundig.commerce import services
from kundig.commerce.models import Return
from kundig.commerce.tests.test_orders import order
from kundig.core.models import DomainEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(sales_nord):
    placed = services.order_record(
        actor=None, source="shop-1", data=order("4001")
    ).order
    placed.contact.owner = sales_nord  # (so team Nord sees it)
    placed.contact.save(update_fields=["owner"])
    return placed


def announce(placed, actor=None, key="k1", quantity=1, reason="size"):
    line = placed.lines.get()
    return services.return_announce(
        actor=actor, order=placed, lines={line.pk: quantity}, reason=reason,
        comment="Zu klein", key=key,
    )  # fmt: skip


def names() -> list[str]:
    return list(
        DomainEvent.objects.filter(name__startswith="return.")
        .order_by("id")
        .values_list("name", flat=True)
    )


def test_a_return_is_announced_once_from_the_orders_lines(placed):
    ret = announce(placed)
    again = announce(placed, quantity=2)

    assert again == ret
    assert (ret.rma_number, ret.status, ret.reason) == (
        "R-SW4001-1",
        "announced",
        "size",
    )
    assert [(line.name, line.quantity) for line in ret.lines.all()] == [
        ("T-Shirt", Decimal("1.000"))
    ]
    assert names() == ["return.announced"]


@pytest.mark.parametrize(
    ("lines", "reason", "field"),
    [
        ("none", "size", "lines"),
        ("zero", "size", "lines"),
        ("too many", "size", "lines"),
        ("foreign", "size", "lines"),
        ("one", "gefällt nicht", "reason"),
    ],
)
def test_a_bad_announcement_is_refused_naming_the_field(placed, lines, reason, field):
    line = placed.lines.get()
    lines = {
        "none": {}, "zero": {line.pk: 0}, "too many": {line.pk: 3},
        "foreign": {999999: 1}, "one": {line.pk: 1},
    }[lines]  # fmt: skip

    with pytest.raises(ValidationError) as error:
        services.return_announce(
            actor=None, order=placed, lines=lines, reason=reason, key="k"
        )

    assert field in error.value.message_dict
    assert not Return.objects.exists()


def test_each_step_is_a_status_an_event_and_a_timeline_entry(placed, admin):
    ret = announce(placed)

    ret = services.return_step(
        actor=admin, ret=ret, status="label_sent", label_reference="DHL-RET-77"
    )
    ret = services.return_step(
        actor=None, ret=ret, status="in_transit", carrier="DHL",
        tracking_number="00340434161094000001",
    )  # fmt: skip
    ret = services.return_step(actor=admin, ret=ret, status="received")
    ret = services.return_step(
        actor=admin, ret=ret, status="inspected", condition="as_new"
    )
    ret = services.return_step(actor=admin, ret=ret, status="refunded")

    assert ret.status == "refunded"
    assert (ret.label_reference, ret.return_tracking) == (
        "DHL-RET-77", "00340434161094000001",
    )  # fmt: skip
    assert names() == [
        "return.announced", "return.label_sent", "return.shipped_back",
        "return.received", "return.inspected", "return.decided",
    ]  # fmt: skip
    steps = TimelineEntry.objects.filter(kind="return").count()
    assert steps == 6


@pytest.mark.parametrize(
    ("status", "field"),
    [
        ("label_sent", "label_reference"),
        ("in_transit", "tracking_number"),
        ("inspected", "condition"),
        ("nonsense", "status"),
    ],
)
def test_a_step_without_what_it_needs_is_refused(placed, admin, status, field):
    ret = announce(placed)

    with pytest.raises(ValidationError) as error:
        services.return_step(actor=admin, ret=ret, status=status)

    assert field in error.value.message_dict
    ret.refresh_from_db()
    assert ret.status == "announced"


def test_a_return_only_moves_forward(placed, admin):
    ret = services.return_step(actor=admin, ret=announce(placed), status="received")

    with pytest.raises(ValidationError, match="already past that step"):
        services.return_step(
            actor=admin, ret=ret, status="label_sent", label_reference="x"
        )


def test_the_customer_may_only_say_the_parcel_is_on_its_way(placed):
    with pytest.raises(PermissionDenied):
        services.return_step(actor=None, ret=announce(placed), status="received")


# --- the order page -------------------------------------------------------------------


def test_staff_announce_a_return_and_take_it_step_by_step(
    placed, sales_nord, client_for
):
    client = client_for(sales_nord)
    line = placed.lines.get()

    response = client.post(
        reverse("commerce:return_announce", args=[placed.pk]),
        {f"line-{line.pk}": "1", "reason": "defective", "comment": "", "key": "f1"},
    )
    ret = Return.objects.get()
    stepped = client.post(
        reverse("commerce:return_step", args=[ret.pk]),
        {"status": "received", "next": placed.get_absolute_url()},
    )

    assert response.status_code == 302 and stepped.status_code == 302
    ret.refresh_from_db()
    assert ret.status == "received"
    page = client.get(placed.get_absolute_url()).content.decode()
    assert 'id="return-step-' in page and "R-SW4001-1" in page


def test_a_bad_announcement_on_the_page_names_it(placed, sales_nord, client_for):
    response = client_for(sales_nord).post(
        reverse("commerce:return_announce", args=[placed.pk]),
        {"reason": "defective", "key": "f1"},
    )

    assert response.status_code == 422
    assert not Return.objects.exists()


def test_nobody_steps_a_return_they_may_not_see(placed, sales_sued, client_for):
    ret = announce(placed)

    response = client_for(sales_sued).post(
        reverse("commerce:return_step", args=[ret.pk]), {"status": "received"}
    )

    assert response.status_code == 404
    ret.refresh_from_db()
    assert ret.status == "announced"


def test_what_came_back_already_cannot_be_announced_again(placed, admin):
    line = placed.lines.get()  # two T-shirts
    announce(placed, key="a", quantity=2)

    with pytest.raises(ValidationError) as error:
        announce(placed, key="b", quantity=1)

    assert "choose between 0 and 0" in error.value.message_dict["lines"][0]
    ret = Return.objects.get()
    services.return_step(actor=admin, ret=ret, status="rejected")
    assert announce(placed, key="c", quantity=2).lines.get().quantity == line.quantity


def test_returns_of_one_order_are_numbered_in_turn(placed):
    first = announce(placed, key="a", quantity=1)
    second = announce(placed, key="b", quantity=1)

    assert (first.rma_number, second.rma_number) == ("R-SW4001-1", "R-SW4001-2")


def test_the_order_page_closes_what_it_opens(placed, sales_nord, client_for):
    page = client_for(sales_nord).get(placed.get_absolute_url()).content.decode()

    assert page.count("<div") == page.count("</div>")
