"""The bulk path records exactly what recording orders one by one records."""

import builtins
import datetime as dt
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kundig.activity.models import TimelineEntry
from kundig.commerce import services
from kundig.commerce.models import (
    IdentityMatch,
    Order,
    OrderLine,
    OrderStatusChange,
    ShopIdentity,
)
from kundig.commerce.services import BuyerData, LineData, OrderData
from kundig.contacts import services as contact_services
from kundig.core.models import AuditEntry, DomainEvent

pytestmark = pytest.mark.django_db
Contact = apps.get_model("contacts", "Contact")
ContactFigures = apps.get_model("contacts", "ContactFigures")
LifecycleChange = apps.get_model("contacts", "LifecycleChange")

SOURCE = "kasse"
DAY = dt.timedelta(days=1)


# One moment for both runs of a scenario: a second passing between them
# would otherwise show as a difference.
BASE = timezone.now().replace(microsecond=0)


def at(days_ago: int) -> dt.datetime:
    return BASE - days_ago * DAY


def order(number, buyer, *, days_ago=30, lines=None, **fields):
    return OrderData(
        external_id=number,
        number=number,
        channel="store",
        placed_at=at(days_ago),
        buyer=buyer,
        lines=lines
        or [LineData(name="Becher", sku="B-1", quantity=2, unit_price="9.95")],
        **fields,
    )


def existing_people(admin):
    """Contacts the shop's buyers may turn out to be."""
    ida = contact_services.contact_create(
        actor=admin,
        fields={"first_name": "Ida", "last_name": "Kasse"},
        emails=[contact_services.EmailData("ida@example.de")],
    )
    otto = contact_services.contact_create(
        actor=admin,
        fields={"first_name": "Otto", "last_name": "Stamm"},
        emails=[contact_services.EmailData("otto@example.de")],
    )
    for n in range(2):  # a customer with two orders already
        services.order_record(
            actor=admin,
            source="web",
            data=order(f"W-{n}", BuyerData(email="otto@example.de"), days_ago=90 + n),
        )
    contact_services.contact_create(
        actor=admin,
        fields={"first_name": "Berta", "last_name": "Laden"},
        addresses=[
            contact_services.AddressData(
                street="Weg 1", postcode="10115", city="Berlin"
            )
        ],
    )
    services.order_record(
        actor=admin,
        source=SOURCE,
        data=order("K-OLD", BuyerData(email="ida@example.de"), days_ago=60),
    )
    return ida, otto


def the_orders():
    new_regular = BuyerData(
        customer_ref="C-7", email="neu@example.de", first_name="Nina"
    )
    store = BuyerData(
        first_name="Paul",
        last_name="Tresen",
        street="Markt 2",
        postcode="80331",
        city="München",
    )
    return [
        order("K-1", BuyerData(email="IDA@example.de "), status="completed"),
        order("K-2", BuyerData(email="otto@example.de", customer_ref="C-1")),
        order("K-3", BuyerData(customer_ref="C-1"), status="paid"),
        order("K-4", new_regular, paid_at=at(29)),
        order("K-5", new_regular, status="cancelled"),
        order("K-6", BuyerData(customer_ref="C-7"), days_ago=20),
        order("K-7", new_regular, days_ago=10, coupon_codes=["HERBST5"]),
        order("K-8", BuyerData(email="gast@example.de", last_name="Gast")),
        order(
            "K-9", BuyerData(first_name="Berta", last_name="Laden", postcode="10115")
        ),
        order("K-10", store),
        order(
            "K-11", BuyerData(first_name="paul", last_name="TRESEN", postcode="80331")
        ),
        order(
            "K-12",
            BuyerData(email="gast@example.de"),
            lines=[
                LineData(name="Tee", sku="T-1", quantity=1, unit_price="4.50"),
                LineData(name="Kanne", quantity=1, unit_price="30", unavailable=True),
            ],
        ),
        order(
            "K-13",
            BuyerData(email="kaputt@example.de"),
            lines=[LineData(name="X", quantity=0)],
        ),
        order(
            "K-14",
            BuyerData(last_name="Falsch", street="Weg 3", postcode="123", city="Köln"),
        ),
        order("K-OLD", BuyerData(email="ida@example.de"), status="shipped"),
        order("K-1", BuyerData(email="ida@example.de"), status="refunded"),
        order("K-15", BuyerData(), total="10.00", lines=[]),
    ]


def snapshot(started):
    """Everything the orders wrote, with ids replaced by what they stand for."""

    def when(value):
        if value is None:
            return ""
        return "now" if value >= started else value.isoformat()

    def sorted(items):  # orders any mix of values
        return builtins.sorted(items, key=repr)

    contacts = {
        c.pk: (
            c.first_name,
            c.last_name,
            tuple(sorted(e.email for e in c.emails.all())),
        )
        for c in Contact.objects.prefetch_related("emails")
    }
    orders = {o.pk: o.external_id for o in Order.objects.all()}
    lines = {
        line.pk: (orders[line.order_id], line.position)
        for line in OrderLine.objects.all()
    }
    entries = {e.pk: (e.source_type, e.source_id) for e in TimelineEntry.objects.all()}

    def source_id(text):
        pk, _, fact = text.partition(":")
        return f"{orders[int(pk)]}:{fact}"

    def payload(data):
        data = dict(data)
        for key, table in (
            ("contact_id", contacts),
            ("order_id", orders),
            ("line_id", lines),
        ):
            if data.get(key) is not None:
                data[key] = table[data[key]]
        return tuple(sorted((k, str(v)) for k, v in data.items()))

    subjects = {
        "contacts.contact": contacts,
        "commerce.order": orders,
        "activity.timelineentry": {
            pk: (kind, source_id(sid) if kind == "commerce.order" else sid)
            for pk, (kind, sid) in entries.items()
        },
    }
    return {
        "contacts": sorted(
            (
                *contacts[c.pk],
                c.lifecycle_stage,
                c.source,
                c.search_key,
                c.sort_name,
                c.owner_id,
                c.team_id,
                tuple(
                    (a.street, a.postcode, a.city, a.country, a.kind)
                    for a in c.addresses.all()
                ),
            )
            for c in Contact.objects.all()
        ),
        "stages": sorted(
            (contacts[s.contact_id], s.from_stage, s.to_stage, s.source)
            for s in LifecycleChange.objects.all()
        ),
        "orders": sorted(
            (
                o.external_id,
                o.number,
                contacts[o.contact_id],
                o.channel,
                o.status,
                o.currency,
                o.subtotal,
                o.discount_total,
                o.shipping_total,
                o.tax_total,
                o.total,
                o.refunded_total,
                tuple(o.coupon_codes),
                o.email,
                o.customer_ref,
                when(o.placed_at),
                when(o.paid_at),
                when(o.cancelled_at),
            )
            for o in Order.objects.all()
        ),
        "lines": sorted(
            (
                orders[line.order_id],
                line.position,
                line.sku,
                line.name,
                line.quantity,
                line.unit_price,
                line.discount,
                line.tax_rate,
                line.tax,
                line.total,
                line.unavailable,
                line.product_id,
            )
            for line in OrderLine.objects.all()
        ),
        "status_changes": sorted(
            (
                orders[s.order_id],
                s.from_status,
                s.to_status,
                when(s.changed_at),
                s.source,
            )
            for s in OrderStatusChange.objects.all()
        ),
        "matches": sorted(
            (orders[m.order_id], contacts[m.contact_id], m.rule, m.detail)
            for m in IdentityMatch.objects.all()
        ),
        "identities": sorted(
            (i.source, i.customer_ref, contacts[i.contact_id])
            for i in ShopIdentity.objects.all()
        ),
        "timeline": sorted(
            (
                contacts[e.contact_id],
                e.kind,
                e.channel,
                e.direction,
                when(e.occurred_at),
                e.summary,
                e.body,
                source_id(e.source_id),
                e.source_url.replace(f"/{e.source_id.partition(':')[0]}/", "/<order>/"),
            )
            for e in TimelineEntry.objects.filter(source_type="commerce.order")
        ),
        "events": Counter(
            (
                e.name,
                e.subject_type,
                subjects.get(e.subject_type, {}).get(e.subject_id),
                payload(e.payload),
            )
            for e in DomainEvent.objects.all()
        ),
        "audit": Counter(
            (
                e.object_type,
                contacts.get(e.object_id)
                if e.object_type == "contacts.contact"
                else "",
                e.action,
                e.field,
                e.old_value,
                e.new_value,
            )
            for e in AuditEntry.objects.filter(object_type="contacts.contact")
        ),
        "figures": sorted(
            (
                contacts[f.contact_id],
                when(f.first_order_at),
                when(f.last_order_at),
                f.orders_count,
                f.revenue,
                f.average_order_value,
                f.returns_count,
                f.returns_rate,
            )
            for f in ContactFigures.objects.all()
        ),
    }


def one_by_one(admin, orders):
    errors = []
    for data in orders:
        try:
            with transaction.atomic():
                services.order_record(actor=admin, source=SOURCE, data=data)
        except Exception as exc:  # compared below
            errors.append((data.external_id, sorted(exc.message_dict)))
    return errors


def test_the_bulk_path_writes_what_one_by_one_writes(admin):
    existing_people(admin)
    started = timezone.now()
    with transaction.atomic():
        expected_errors = one_by_one(admin, the_orders())
        expected = snapshot(started)
        transaction.set_rollback(True)

    outcomes = services.orders_record_many(
        actor=admin, source=SOURCE, orders=the_orders()
    )

    errors = [
        (data.external_id, sorted(outcome.errors))
        for data, outcome in zip(the_orders(), outcomes, strict=True)
        if outcome.errors
    ]
    assert (
        errors
        == expected_errors
        == [
            ("K-13", ["lines.0.quantity", "total"]),
            ("K-14", ["addresses.0.postcode"]),
            ("K-15", ["buyer"]),
        ]
    )
    actual = snapshot(started)
    for part in expected:
        assert actual[part] == expected[part], part
    # The scenario covers what it should.
    rules = Counter(m[2] for m in actual["matches"])
    assert set(rules) == {"created", "email", "customer_id", "name_postcode"}
    stages = {c[0:2]: c[3] for c in actual["contacts"]}
    assert stages[("Nina", "")] == stages[("Otto", "Stamm")] == "regular_customer"
    assert stages[("Paul", "Tresen")] == "customer"
    assert Order.objects.get(external_id="K-1").status == "refunded"


def test_the_bulk_path_takes_the_same_statements_for_ten_orders_or_a_hundred(admin):
    def run(prefix, count):
        orders = [
            order(
                f"{prefix}-{n}",
                BuyerData(email=f"{prefix}{n % (count // 2)}@example.de"),
                status="paid",
            )
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            outcomes = services.orders_record_many(
                actor=admin, source=SOURCE, orders=orders
            )
        assert not any(o.errors for o in outcomes)
        return len(queries)

    run("warm", 4)
    assert run("a", 10) == run("b", 100) <= 40


def test_an_import_chunk_that_fails_leaves_nothing_behind(admin, monkeypatch):
    before = (
        Order.objects.count(),
        Contact.objects.count(),
        DomainEvent.objects.count(),
    )

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(contact_services, "contact_figures_set_many", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.orders_record_many(
            actor=admin,
            source=SOURCE,
            orders=[order("F-1", BuyerData(email="neu@example.de"))],
        )
    after = (
        Order.objects.count(),
        Contact.objects.count(),
        DomainEvent.objects.count(),
    )
    assert after == before


def test_money_and_the_buyers_reach_the_figures(admin):
    services.orders_record_many(
        actor=admin,
        source=SOURCE,
        orders=[
            order("M-1", BuyerData(email="m@example.de"), days_ago=3),
            order(
                "M-2",
                BuyerData(email="m@example.de"),
                days_ago=1,
                shipping_total="4.95",
            ),
        ],
    )
    figures = ContactFigures.objects.get(contact__emails__email="m@example.de")
    assert (figures.orders_count, figures.revenue, figures.average_order_value) == (
        2,
        Decimal("44.75"),
        Decimal("22.38"),
    )


@pytest.mark.django_db(transaction=True)
def test_an_import_chunk_and_a_webhook_for_the_same_new_buyer_make_one_contact(
    admin,
):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    barrier = threading.Barrier(4)
    failures = []

    def run(work):
        try:
            barrier.wait()
            with transaction.atomic():
                work()
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    buyer = BuyerData(email="zugleich@example.de", customer_ref="Z-1")

    def chunk(prefix):
        return lambda: services.orders_record_many(
            actor=admin,
            source=SOURCE,
            orders=[order(f"{prefix}-{n}", buyer) for n in range(50)],
        )

    def single(number):
        return lambda: services.order_record(
            actor=admin, source="web", data=order(number, buyer)
        )

    threads = [
        threading.Thread(target=run, args=(work,))
        for work in (chunk("A"), chunk("B"), single("W-1"), single("W-2"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert Contact.objects.filter(emails__email="zugleich@example.de").count() == 1
    figures = ContactFigures.objects.get(contact__emails__email="zugleich@example.de")
    assert figures.orders_count == Order.objects.count() == 102
    assert DomainEvent.objects.filter(name="customer.first_order").count() == 1
