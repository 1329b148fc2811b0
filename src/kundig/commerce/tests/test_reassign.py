"""Undoing a wrong buyer match: the order moves, with all it brought along."""

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.commerce import services as commerce
from kundig.commerce.models import IdentityMatch, Order, ShopIdentity
from kundig.core.models import AuditEntry, DomainEvent

pytestmark = pytest.mark.django_db
Contact = apps.get_model("contacts", "Contact")
ContactFigures = apps.get_model("contacts", "ContactFigures")


def place(number, email, *, ref="", days_ago=5):
    return commerce.order_record(
        actor=None,
        source="shop",
        data=commerce.OrderData(
            external_id=number,
            number=number,
            placed_at=timezone.now() - dt.timedelta(days=days_ago),
            buyer=commerce.BuyerData(email=email, customer_ref=ref),
            lines=[commerce.LineData(name="Becher", quantity=1, unit_price="20")],
        ),
    ).order


@pytest.fixture
def wrong(admin, make_contact):
    """A shared family address matched Jan's order to Eva."""
    eva = make_contact(
        admin, first_name="Eva", last_name="Haus", email="haus@example.de"
    )
    jan = make_contact(
        admin, first_name="Jan", last_name="Haus", email="jan@example.de"
    )
    place("E-1", "haus@example.de", days_ago=30)
    order = place("J-1", "haus@example.de", ref="C-JAN")
    commerce.shipment_record(
        actor=None,
        source="shop",
        order=order,
        data=commerce.ShipmentData(
            external_id="S-1", carrier="DHL", sent_at=timezone.now()
        ),
    )
    return eva, jan, order


def test_the_order_moves_with_its_timeline_and_both_figures_follow(admin, wrong):
    eva, jan, order = wrong

    commerce.order_reassign(actor=admin, order=order, contact=jan)

    order.refresh_from_db()
    assert order.contact == jan
    facts = TimelineEntry.objects.filter(
        source_type="commerce.order", source_id__startswith=f"{order.pk}:"
    )
    assert facts.count() >= 2  # placed and shipped
    assert set(facts.values_list("contact_id", flat=True)) == {jan.pk}
    assert ContactFigures.objects.get(contact=eva).orders_count == 1
    assert ContactFigures.objects.get(contact=jan).orders_count == 1
    jan.refresh_from_db()
    assert jan.lifecycle_stage == "customer"
    match = IdentityMatch.objects.get(order=order)
    assert (match.contact, match.rule, match.undone_by) == (eva, "email", admin)
    assert match.undone_at is not None
    # The shop's customer ID now leads to Jan, so his next order finds him.
    assert ShopIdentity.objects.get(customer_ref="C-JAN").contact == jan
    assert place("J-2", "haus@example.de", ref="C-JAN").contact == jan
    event = DomainEvent.objects.get(name="order.reassigned")
    assert event.payload == {"from_contact_id": eva.pk, "contact_id": jan.pk}
    change = AuditEntry.objects.get(object_type="commerce.order", object_id=order.pk)
    assert (change.old_value, change.new_value) == ("Eva Haus", "Jan Haus")


def test_a_contact_the_user_may_not_see_is_refused(wrong, sales_nord):
    eva, jan, order = wrong  # owned by the admin: outside team Nord

    with pytest.raises(ValidationError) as refused:
        commerce.order_reassign(actor=sales_nord, order=order, contact=jan)

    assert "contact" in refused.value.message_dict
    assert Order.objects.get(pk=order.pk).contact == eva


def test_moving_to_the_same_contact_is_refused(admin, wrong):
    eva, _jan, order = wrong

    with pytest.raises(ValidationError, match="already belongs"):
        commerce.order_reassign(actor=admin, order=order, contact=eva)


def test_the_order_page_moves_it(admin, wrong, client_for):
    _eva, jan, order = wrong
    admin.language = "en"
    admin.save()
    client = client_for(admin)

    page = client.get(order.get_absolute_url())
    assert "Move the order" in page.content.decode()
    found = client.get("/contacts/lookup/", {"q": "Jan Haus"}).json()["results"]
    assert found[0]["id"] == jan.pk
    assert "jan@example.de" in found[0]["label"]
    moved = client.post(
        f"/orders/{order.pk}/reassign/", {"contact": jan.pk}, follow=True
    )

    assert Order.objects.get(pk=order.pk).contact == jan
    text = moved.content.decode()
    assert "moved to Jan Haus" in text
    assert "This match was undone" in text


def test_the_page_refuses_a_contact_out_of_sight(wrong, sales_nord, client_for):
    _eva, jan, order = wrong
    # Sales Nord may see the order once it is on their own customer.
    mine = Contact.objects.create(
        first_name="Nord", owner=sales_nord, team=sales_nord.team
    )
    Order.objects.filter(pk=order.pk).update(contact=mine)
    client = client_for(sales_nord)

    assert client.get("/contacts/lookup/", {"q": "Jan Haus"}).json()["results"] == []
    client.post(f"/orders/{order.pk}/reassign/", {"contact": jan.pk})

    assert Order.objects.get(pk=order.pk).contact == mine


def test_a_read_only_user_cannot_move_orders(wrong, read_only_nord, client_for):
    _eva, jan, order = wrong

    answer = client_for(read_only_nord).post(
        f"/orders/{order.pk}/reassign/", {"contact": jan.pk}
    )

    assert answer.status_code in (403, 404)
    assert Order.objects.get(pk=order.pk).contact != jan
