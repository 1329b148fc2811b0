"""Orders through the services: matching, events, timeline, figures, stages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.commerce import services as commerce
from kundig.commerce.models import IdentityMatch, Order
from kundig.core.models import DomainEvent

pytestmark = pytest.mark.django_db

Contact = apps.get_model("contacts", "Contact")
ContactFigures = apps.get_model("contacts", "ContactFigures")
LifecycleChange = apps.get_model("contacts", "LifecycleChange")


def order(ext="1001", *, email="erika@example.de", total="59.90", **extra):
    buyer = extra.pop(
        "buyer",
        commerce.BuyerData(
            customer_ref="c-1",
            email=email,
            first_name="Erika",
            last_name="Mustermann",
            street="Hauptstr. 1",
            postcode="10115",
            city="Berlin",
        ),
    )
    return commerce.OrderData(
        external_id=ext,
        number=f"SW{ext}",
        total=total,
        placed_at=extra.pop("placed_at", timezone.now() - dt.timedelta(days=3)),
        buyer=buyer,
        lines=extra.pop(
            "lines",
            [
                commerce.LineData(
                    sku="TS-1", name="T-Shirt", quantity=2, unit_price="29.95"
                )
            ],
        ),
        **extra,
    )


def events(name):
    return DomainEvent.objects.filter(name=name)


def test_a_first_order_creates_the_buyer_and_makes_them_a_customer():
    result = commerce.order_record(actor=None, source="shop-1", data=order())

    contact = Contact.objects.get(pk=result.order.contact_id)
    assert result.created
    assert contact.emails.get().email == "erika@example.de"
    assert contact.lifecycle_stage == "customer"
    assert list(
        LifecycleChange.objects.filter(contact=contact)
        .order_by("id")
        .values_list("from_stage", "to_stage")
    ) == [("", "lead"), ("lead", "customer")]
    assert events("order.placed").count() == 1
    assert events("customer.first_order").count() == 1
    assert TimelineEntry.objects.filter(contact=contact, kind="order").count() == 1
    figures = ContactFigures.objects.get(contact=contact)
    assert (figures.orders_count, figures.revenue) == (1, Decimal("59.90"))
    assert IdentityMatch.objects.get(order=result.order).rule == "created"


def test_the_same_order_again_changes_nothing():
    commerce.order_record(actor=None, source="shop-1", data=order())
    again = commerce.order_record(actor=None, source="shop-1", data=order())

    assert not again.created
    assert Order.objects.count() == 1
    assert events("order.placed").count() == 1
    assert TimelineEntry.objects.filter(kind="order").count() == 1


def test_a_guest_and_a_store_purchase_land_on_the_same_person(make_contact, sales_nord):
    known = make_contact(
        sales_nord, first_name="Erika", last_name="Mustermann", email="ERIKA@example.de"
    )
    guest = commerce.order_record(
        actor=None,
        source="shop-1",
        data=order(buyer=commerce.BuyerData(email="Erika@Example.de ")),
    )
    store = commerce.order_record(
        actor=None,
        source="pos",
        data=order(
            "S-7",
            buyer=commerce.BuyerData(
                first_name="Erika", last_name="Mustermann", postcode="10115"
            ),
        ),
    )
    assert store.order.contact != known  # no address yet: no name + postcode match

    from kundig.contacts.services import AddressData, contact_update

    contact_update(
        actor=sales_nord,
        contact=known,
        addresses=[AddressData(street="Hauptstr. 1", postcode="10115", city="Berlin")],
    )
    later = commerce.order_record(
        actor=None,
        source="pos",
        data=order(
            "S-8",
            buyer=commerce.BuyerData(
                first_name="erika", last_name="MUSTERMANN", postcode="10115"
            ),
        ),
    )

    assert guest.order.contact == known
    assert guest.order.identity_match.rule == "email"
    assert later.order.contact == known
    assert later.order.identity_match.rule == "name_postcode"


def test_the_shop_customer_id_wins_over_a_changed_email():
    first = commerce.order_record(actor=None, source="shop-1", data=order("1"))
    second = commerce.order_record(
        actor=None, source="shop-1", data=order("2", email="new-address@example.de")
    )

    assert second.order.contact == first.order.contact
    assert second.order.identity_match.rule == "customer_id"


def test_a_regular_customer_after_the_configured_number_of_orders(settings):
    settings.KUNDIG_REGULAR_CUSTOMER_ORDERS = 2
    commerce.order_record(actor=None, source="shop-1", data=order("1"))
    result = commerce.order_record(actor=None, source="shop-1", data=order("2"))

    contact = Contact.objects.get(pk=result.order.contact_id)
    assert contact.lifecycle_stage == "regular_customer"
    assert events("customer.first_order").count() == 1


def test_an_older_update_after_a_newer_one_changes_nothing():
    now = timezone.now()
    commerce.order_record(
        actor=None,
        source="shop-1",
        data=order(status="cancelled", updated_at=now),
    )
    stale = commerce.order_record(
        actor=None,
        source="shop-1",
        data=order(
            status="placed", total="10.00", updated_at=now - dt.timedelta(minutes=5)
        ),
    )

    stale.order.refresh_from_db()
    assert not stale.changed
    assert (stale.order.status, stale.order.total) == ("cancelled", Decimal("59.90"))


def test_a_refund_before_the_payment_still_ends_refunded():
    placed = commerce.order_record(actor=None, source="shop-1", data=order()).order
    commerce.refund_record(
        actor=None,
        source="shop-1",
        order=placed,
        data=commerce.RefundData(amount="59.90", external_id="r-1"),
    )
    paid = commerce.order_record(
        actor=None, source="shop-1", data=order(paid_at=timezone.now())
    ).order

    paid.refresh_from_db()
    assert paid.status == "refunded"
    assert paid.paid_at is not None
    assert events("order.paid").count() == 1
    assert events("refund.issued").count() == 1
    assert ContactFigures.objects.get(contact=paid.contact).revenue == Decimal("0.00")


def test_cancelling_takes_the_order_out_of_the_figures():
    placed = commerce.order_record(actor=None, source="shop-1", data=order()).order
    commerce.order_record(actor=None, source="shop-1", data=order(status="cancelled"))

    placed.refresh_from_db()
    assert placed.status == "cancelled"
    assert events("order.cancelled").count() == 1
    assert ContactFigures.objects.get(contact=placed.contact).orders_count == 0


def test_a_line_that_cannot_ship_is_an_event_once():
    lines = [commerce.LineData(sku="X", name="Lamp", unit_price="10", unavailable=True)]
    commerce.order_record(actor=None, source="shop-1", data=order(lines=lines))
    commerce.order_record(actor=None, source="shop-1", data=order(lines=lines))

    assert events("product.unavailable").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"total": "abc"}, "total"),
        ({"currency": "euro"}, "currency"),
        ({"lines": [commerce.LineData(name="X", quantity=0)]}, "lines.0.quantity"),
        (
            {"lines": [commerce.LineData(name="X", unit_price="1.234")]},
            "lines.0.unit_price",
        ),
        ({"buyer": commerce.BuyerData(email="not-an-email")}, "buyer.email"),
        ({"buyer": commerce.BuyerData()}, "buyer"),
        ({"status": "lost"}, "status"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(change, field):
    with pytest.raises(ValidationError) as caught:
        commerce.order_record(actor=None, source="shop-1", data=order(**change))

    assert field in caught.value.message_dict
    assert not Order.objects.exists()
    assert not Contact.objects.exists()
    assert not DomainEvent.objects.exists()


def test_a_read_only_user_may_not_record_orders(read_only_nord):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        commerce.order_record(actor=read_only_nord, source="api", data=order())


def test_the_360_page_shows_orders_in_four_more_queries(
    sales_nord, make_contact, client_for, django_assert_max_num_queries
):
    from kundig.activity.tests.test_contact_360 import CONTACT_PAGE

    contact = make_contact(sales_nord, first_name="Erika", last_name="Kauf")
    for ext in ("1", "2", "3"):
        commerce.order_record(
            actor=None, source="shop-1", contact=contact, data=order(ext)
        )
    client = client_for(sales_nord)
    client.get(f"/contacts/{contact.pk}/")

    with django_assert_max_num_queries(CONTACT_PAGE + 4 + 2):
        page = client.get(f"/contacts/{contact.pk}/")

    html = page.content.decode()
    assert "SW3" in html
    assert "179.70" in html or "179,70" in html  # three orders of 59.90


def test_orders_of_a_contact_nobody_may_see_are_404(sales_sued, client_for):
    placed = commerce.order_record(actor=None, source="shop-1", data=order()).order

    assert client_for(sales_sued).get(placed.get_absolute_url()).status_code == 404
