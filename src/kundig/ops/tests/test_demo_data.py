"""The demo data: loaded once, rich, consistent, and the tour's contact is findable."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.db.models import Count, F
from django.test import Client
from django.utils import timezone

from kundig.commerce import selectors as commerce_selectors
from kundig.contacts.selectors import contact_search, contacts_visible_to
from kundig.core.customfields import convert_value
from kundig.core.models import AuditEntry, CustomFieldDefinition, Tag, User
from kundig.ops.demo_data import DEMO_ADMIN_EMAIL, DEMO_PASSWORD, load_demo_data
from kundig.ops.fakedata.checks import (
    check_companies,
    check_contacts,
    check_tasks,
    check_timeline,
)

Contact = apps.get_model("contacts", "Contact")
Company = apps.get_model("contacts", "Company")
LifecycleChange = apps.get_model("contacts", "LifecycleChange")
Address = apps.get_model("contacts", "Address")
TimelineEntry = apps.get_model("activity", "TimelineEntry")
Task = apps.get_model("activity", "Task")

SIZES = {
    "contacts": 300,
    "companies": 30,
    "activities": 3000,
    "tasks_per_user": 6,
    "order_customers": 8,
}
TABLES = [User, Tag, CustomFieldDefinition, Contact, Company, Address,
          LifecycleChange, TimelineEntry, Task, AuditEntry]  # fmt: skip


@pytest.fixture
def demo(db):
    return load_demo_data(**SIZES)


def _snapshot():
    return {
        model.__name__: (
            model.objects.count(),
            max(model.objects.values_list("pk", flat=True), default=0),
        )
        for model in TABLES
    }


def test_it_loads_the_demo_once(demo):
    # given the demo was loaded
    assert demo.created is True
    assert demo.login_email == DEMO_ADMIN_EMAIL
    assert demo.login_password == DEMO_PASSWORD
    before = _snapshot()
    # when it is loaded again
    again = load_demo_data(**SIZES)
    # then nothing changes
    assert again.created is False
    assert again.login_email == DEMO_ADMIN_EMAIL
    assert _snapshot() == before


def test_it_creates_what_it_reports(demo):
    assert Contact.objects.count() == 300 == demo.counts["contact"]
    assert Company.objects.count() == 30
    shop = TimelineEntry.objects.filter(source_type="commerce.order")
    assert TimelineEntry.objects.exclude(source_type="commerce.order").count() == 3000
    assert User.objects.count() == 10
    # and the order history of eight customers, through the commerce services
    orders = apps.get_model("commerce", "Order").objects
    assert orders.count() == demo.counts["orders"] >= 8
    assert orders.values("contact").distinct().count() == 8
    # one of them waits for a late parcel, for the service desk's demo
    assert demo.counts["late"] >= 1
    assert commerce_selectors.late_shipments().count() == demo.counts["late"]
    assert shop.filter(kind="order").count() >= demo.counts["orders"]


def test_the_demo_admin_can_log_in(demo):
    admin = User.objects.get(email=DEMO_ADMIN_EMAIL)
    assert admin.check_password(DEMO_PASSWORD)
    assert admin.role == "admin"
    assert admin.is_superuser
    assert admin.first_name == "Greta"
    client = Client()
    assert client.login(email=DEMO_ADMIN_EMAIL, password=DEMO_PASSWORD)


def test_the_team_has_every_role_and_the_same_password(demo):
    users = User.objects.select_related("team")
    assert {u.role for u in users} == {
        "admin", "sales", "service", "marketing", "manager", "read_only",
    }  # fmt: skip
    assert {u.team.name for u in users if u.role == "sales"} == {"Nord", "Süd"}
    assert all(u.check_password(DEMO_PASSWORD) for u in users)
    assert any(set(u.last_name) & set("äöüß") for u in users)


def test_the_data_keeps_the_services_invariants(demo):
    assert check_contacts(limit=None) == []
    assert check_companies(limit=None) == []
    assert check_timeline(limit=None) == []
    assert check_tasks() == []


@pytest.mark.parametrize("query", ["Mueler", "Jurgen Muller", "Jürgen Müller"])
def test_the_tour_finds_juergen_mueller_despite_typos(demo, query):
    admin = User.objects.get(email=DEMO_ADMIN_EMAIL)
    found = contact_search(contacts_visible_to(admin), query).order_by(
        "-rank", "last_name", "first_name", "id"
    )
    best = found.first()
    assert (best.first_name, best.last_name) == ("Jürgen", "Müller")
    assert best.emails.get(is_primary=True).email == "juergen.mueller@example.de"


def test_juergen_mueller_has_a_rich_history(demo):
    juergen = Contact.objects.get(first_name="Jürgen", last_name="Müller")
    kinds = set(juergen.timeline_entries.values_list("kind", flat=True))
    assert {"note", "email", "call", "meeting", "chat", "letter", "social", "order",
            "shipment", "return", "survey"} <= kinds  # fmt: skip
    assert juergen.stage_changes.count() == 3
    assert juergen.company_links.get().role == "Geschäftsführer"
    assert set(juergen.tags.values_list("name", flat=True)) >= {"VIP", "Stammkunde"}
    assert juergen.custom["kundennummer"] == "K-10001"
    assert juergen.tasks.filter(status="open", due_at__lt=timezone.now()).exists()
    assert juergen.addresses.filter(kind="shipping").exists()


def test_contacts_span_all_stages_with_some_history(demo):
    stages = set(Contact.objects.values_list("lifecycle_stage", flat=True))
    assert len(stages) == 9
    longer = (
        LifecycleChange.objects.values("contact")
        .annotate(n=Count("id"))
        .filter(n__gte=3)
        .count()
    )
    assert longer >= 30


def test_addresses_tags_and_companies_are_there(demo):
    assert Address.objects.filter(kind="shipping", contact__isnull=False).exists()
    assert Address.objects.filter(postcode__startswith="0").exists()
    tags = set(Tag.objects.values_list("name", flat=True))
    assert {
        "VIP",
        "Stammkunde",
        "Newsletter",
        "B2B",
        "Messe 2026",
        "Reklamation",
    } <= tags
    with_vat = Company.objects.exclude(vat_id="").count()
    assert with_vat > Company.objects.count() / 2
    assert Contact.objects.filter(company_links__isnull=False).exists()


def test_custom_fields_are_defined_and_their_values_are_valid(demo):
    definitions = {(d.entity, d.key): d for d in CustomFieldDefinition.objects.all()}
    assert {("contact", "kundennummer"), ("contact", "newsletter"),
            ("contact", "kundenwert"), ("contact", "bevorzugter_kanal"),
            ("company", "rahmenvertrag")} <= set(definitions)  # fmt: skip
    filled = 0
    for entity, model in (("contact", Contact), ("company", Company)):
        for custom in model.objects.values_list("custom", flat=True):
            for key, value in custom.items():
                assert convert_value(definitions[(entity, key)], value) == value
                filled += 1
    assert filled > 200


def test_tasks_are_overdue_due_today_upcoming_and_done(demo):
    now = timezone.localtime()
    open_tasks = Task.objects.filter(status="open")
    assert open_tasks.filter(due_at__lt=now).exists()
    assert open_tasks.filter(due_at__date=now.date()).exists() or now.hour >= 23
    assert open_tasks.filter(due_at__gt=now + dt.timedelta(days=1)).exists()
    assert open_tasks.filter(
        remind_at__lt=F("due_at"), reminded_at__isnull=True
    ).exists()
    done = Task.objects.filter(status="done")
    assert done.count() == TimelineEntry.objects.filter(kind="task_completed").count()
    admin = User.objects.get(email=DEMO_ADMIN_EMAIL)
    assert admin.tasks.exists()


def test_the_first_contacts_of_the_list_look_rich(demo):
    first = Contact.objects.order_by("sort_name", "id")[:10]
    for contact in first:
        assert contact.emails.exists() or contact.phones.exists()
        assert contact.timeline_entries.count() >= 3


def test_it_writes_progress_to_stdout(db):
    out = io.StringIO()
    load_demo_data(
        stdout=out,
        contacts=40,
        companies=5,
        activities=200,
        tasks_per_user=2,
        order_customers=2,
    )
    assert "contacts: 40" in out.getvalue()
    assert AuditEntry.objects.filter(object_type="contacts.contact").count() == 40
