"""The seed command: realistic, consistent data, fast, appendable, on both databases."""

from __future__ import annotations

import io
import random
import re
import string

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from stdnum.de import vat as de_vat

from kundig.activity.choices import Channel, Direction, Kind
from kundig.contacts.selectors import contact_search
from kundig.contacts.validation import normalize_phone
from kundig.core.models import User
from kundig.core.sanitize import sanitize_html
from kundig.core.text import search_key
from kundig.ops.fakedata import pools, tables, texts
from kundig.ops.fakedata.checks import (
    check_companies,
    check_contacts,
    check_tasks,
    check_timeline,
)
from kundig.ops.fakedata.db import copy_text, writer_for
from kundig.ops.fakedata.keys import KeyBuilder
from kundig.ops.fakedata.phones import PhoneFactory
from kundig.ops.fakedata.records import german_vat_id
from kundig.ops.fakedata.seeder import SeedOptions, seed

Contact = apps.get_model("contacts", "Contact")
Company = apps.get_model("contacts", "Company")
ContactEmail = apps.get_model("contacts", "ContactEmail")
ContactPhone = apps.get_model("contacts", "ContactPhone")
ContactCompany = apps.get_model("contacts", "ContactCompany")
LifecycleChange = apps.get_model("contacts", "LifecycleChange")
TimelineEntry = apps.get_model("activity", "TimelineEntry")
Task = apps.get_model("activity", "Task")

SMALL = SeedOptions(
    contacts=200, companies=20, activities=2000, users=8, seed=42, batch_size=64
)
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only"
)


def quiet(_line: str) -> None:
    pass


@pytest.fixture
def seeded(db):
    return seed(SMALL, write=quiet)


# --- what a run produces --------------------------------------------------------------


def test_it_creates_the_requested_numbers(seeded):
    assert Contact.objects.count() == 200
    assert Company.objects.count() == 20
    assert TimelineEntry.objects.count() == 2000
    assert Task.objects.count() == 20  # contacts / 10
    assert User.objects.count() == 8
    assert seeded.counts["contact"] == 200
    assert seeded.counts["timeline"] == 2000


def test_every_contact_keeps_the_services_invariants(seeded):
    assert check_contacts(limit=None) == []
    assert check_companies(limit=None) == []


def test_contacts_have_one_primary_email_and_phone(seeded):
    emails = ContactEmail.objects.values("contact").annotate(
        primaries=Count("id", filter=Q(is_primary=True))
    )
    assert {row["primaries"] for row in emails} == {1}
    phones = ContactPhone.objects.values("contact").annotate(
        primaries=Count("id", filter=Q(is_primary=True))
    )
    assert {row["primaries"] for row in phones} == {1}
    with_email = ContactEmail.objects.values("contact").distinct().count()
    assert with_email > 150  # about nine in ten


def test_phone_numbers_are_valid_e164(seeded):
    numbers = list(ContactPhone.objects.values_list("number", flat=True))
    numbers += [p for p in Company.objects.values_list("phone", flat=True) if p]
    assert numbers
    for number in numbers:
        assert normalize_phone(number) == number
    assert any(n.startswith(("+4915", "+4916", "+4917")) for n in numbers)
    assert any(not n.startswith("+491") for n in numbers)  # landlines too


def test_vat_ids_are_valid(seeded):
    vat_ids = [v for v in Company.objects.values_list("vat_id", flat=True) if v]
    assert vat_ids
    for vat_id in vat_ids:
        assert vat_id.startswith("DE")
        assert de_vat.is_valid(vat_id)
    assert len(set(vat_ids)) == len(vat_ids)


def test_each_contact_starts_its_lifecycle_history_from_nothing(seeded):
    firsts = LifecycleChange.objects.filter(from_stage="").count()
    assert firsts == Contact.objects.count()
    assert LifecycleChange.objects.count() > firsts  # some have a longer history


def test_about_a_third_of_contacts_work_for_a_company(seeded):
    linked = ContactCompany.objects.values("contact").distinct().count()
    assert 40 <= linked <= 100
    assert all(ContactCompany.objects.values_list("role", flat=True))


def test_contacts_are_spread_over_owners_and_teams(seeded):
    owners = Contact.objects.values("owner").distinct().count()
    teams = set(Contact.objects.values_list("team__name", flat=True))
    assert owners >= 4
    assert {"Nord", "Süd"} <= teams


def test_timeline_entries_are_plausible(seeded):
    assert check_timeline(limit=None) == []
    kinds = set(TimelineEntry.objects.values_list("kind", flat=True))
    assert {"note", "email", "call", "order", "shipment", "campaign"} <= kinds
    directions = set(
        TimelineEntry.objects.filter(kind="email").values_list("direction", flat=True)
    )
    assert directions == {"in", "out"}
    oldest = TimelineEntry.objects.order_by("occurred_at").first().occurred_at
    assert (timezone.now() - oldest).days > 300


def test_most_contacts_have_a_few_entries_and_some_have_many(seeded):
    per_contact = sorted(
        TimelineEntry.objects.filter(contact__isnull=False)
        .values("contact")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    median = per_contact[len(per_contact) // 2]
    assert median <= 8
    assert per_contact[-1] >= 5 * median


def test_tasks_are_around_now_and_no_past_reminder_is_pending(seeded):
    now = timezone.now()
    assert Task.objects.filter(status="open", due_at__lt=now).exists()  # overdue
    assert Task.objects.filter(status="open", due_at__gt=now).exists()
    done = Task.objects.filter(status="done")
    assert done.exists()
    assert check_tasks() == []
    for task in done:
        entry = TimelineEntry.objects.get(
            kind="task_completed",
            source_type="activity.task",
            source_id=f"{task.pk}:{task.completed_at.isoformat()}",
        )
        assert entry.contact_id == task.contact_id
        assert entry.summary == task.title
        assert entry.actor_id == task.completed_by_id == task.assignee_id


def test_search_finds_a_seeded_contact_by_a_misspelled_last_name(seeded):
    # given a contact whose name has a double letter, "Hoffmann" or "Müller"
    double = re.compile(r"([a-zäöüß])\1")
    contact = next(
        c
        for c in Contact.objects.order_by("id")
        if len(c.last_name) >= 6 and double.search(c.last_name)
    )
    # when someone types it with a single one, "Hofmann", "Müler"
    wrong = double.sub(r"\1", contact.last_name, count=1)
    found = contact_search(Contact.objects.all(), wrong)
    # then the contact is found
    assert contact in found


# --- appending and reproducing --------------------------------------------------------


def test_seeding_twice_appends(seeded):
    # given a seeded database
    first_ids = set(Contact.objects.values_list("id", flat=True))
    # when seeding again
    seed(SMALL, write=quiet)
    # then the data doubles, the users are reused and everything still holds
    assert Contact.objects.count() == 400
    assert TimelineEntry.objects.count() == 4000
    assert User.objects.count() == 8
    assert first_ids < set(Contact.objects.values_list("id", flat=True))
    assert check_contacts(limit=None) == []


def test_the_same_seed_gives_the_same_people(db):
    seed(SMALL, write=quiet)
    first = list(Contact.objects.order_by("id").values_list("first_name", "last_name"))
    seed(SMALL, write=quiet)
    second = list(
        Contact.objects.order_by("id").values_list("first_name", "last_name")[200:]
    )
    assert first == second


def test_activities_can_be_added_to_existing_contacts(seeded):
    seed(
        SeedOptions(contacts=0, companies=0, activities=300, users=8, seed=1),
        write=quiet,
    )
    assert TimelineEntry.objects.count() == 2300
    assert Contact.objects.count() == 200
    assert check_timeline(limit=None) == []


def test_the_command_prints_progress_and_checks_its_work(db):
    out = io.StringIO()
    call_command(
        "seed",
        "--contacts=150",
        "--companies=10",
        "--activities=600",
        "--users=6",
        "--seed=3",
        stdout=out,
    )
    text = out.getvalue()
    assert "contacts: 150 in" in text
    assert "rows/s" in text
    assert "fine." in text
    assert Contact.objects.count() == 150


# --- PostgreSQL: indexes dropped and rebuilt around a load ----------------------------


def _index_definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE %s",
            ["contacts_%"],
        )
        indexes = dict(cursor.fetchall())
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text LIKE %s",
            ["contacts_%"],
        )
        return indexes | dict(cursor.fetchall())


@on_postgres
def test_a_rebuild_restores_the_same_indexes_and_constraints(db):
    before = _index_definitions()
    assert "contacts_contact_search_trgm" in before
    result = seed(
        SeedOptions(
            contacts=120, companies=10, activities=300, users=6, index_mode="rebuild"
        ),
        write=quiet,
    )
    assert "contacts_contact" in result.rebuilt_indexes
    assert _index_definitions() == before
    assert check_contacts(limit=None) == []
    assert contact_search(Contact.objects.all(), "a").exists()


@on_postgres
def test_a_failed_load_leaves_the_indexes_in_place(db):
    before = _index_definitions()
    writer = writer_for(connection, index_mode="rebuild", log=quiet)
    during: dict[str, str] = {}

    def load():
        with writer.phase({tables.CONTACT: 1}):
            during.update(_index_definitions())
            raise RuntimeError("the load broke")

    with pytest.raises(RuntimeError, match="the load broke"):
        load()
    assert "contacts_contact_search_trgm" not in during  # it was dropped
    assert _index_definitions() == before


@on_postgres
def test_copy_escapes_what_copy_must_not_see_raw(db):
    # given a row with tabs, newlines, backslashes, NULL and booleans
    writer = writer_for(connection, log=quiet)
    contact_id = writer.reserve_ids(tables.CONTACT, 1)[0]
    ts = writer.ts(timezone.now().timestamp())
    tricky = "Tab\there\nnew line \\N and \\ backslash"
    row = (
        contact_id, ts, ts, "none", "", tricky, "O'Brien", "formal", "de", None,
        "lead", ts, "", "{}", None, "x", "x", None, None, None,
    )  # fmt: skip
    # when it is copied
    writer.write(tables.CONTACT, [row])
    # then it arrives unchanged
    stored = Contact.objects.get(pk=contact_id)
    assert stored.first_name == tricky
    assert stored.birthday is None
    assert stored.external_id is None


# --- the pools and builders -----------------------------------------------------------


def test_copy_text_takes_the_fast_path_for_plain_rows():
    data = copy_text([(1, "Müller", None, True), (2, "a\tb", "c\\d", False)], 4, [2, 3])
    assert data == "1\tMüller\t\\N\tt\n2\ta\\tb\tc\\\\d\tf\n".encode()


def test_pools_hold_no_characters_that_need_escaping():
    texts_to_check = [
        *pools.FIRST_NAMES_MALE,
        *pools.FIRST_NAMES_FEMALE,
        *pools.last_names()[0],
        *pools.STREETS,
        *[c[1] for c in pools.CITIES],
        *texts.PRODUCTS,
        *texts.FAIRS,
        *texts.CAMPAIGNS,
        *texts.CARRIERS,
    ]
    for text in texts_to_check:
        assert text
        assert text.strip() == text
        assert not set(text) & set('\t\n\r\\&<>"'), text
    for postcode, _city, _area in pools.CITIES:
        assert len(postcode) == 5
        assert postcode.isdigit()
    assert any(p.startswith("0") for p, _c, _a in pools.CITIES)


def test_timeline_templates_are_sanitised_html_and_mark_their_company_slot():
    values = {
        name: "Becker &amp; Wolf OHG" if name == "company" else "Wert"
        for name in ("name", "company", "order", "amount", "product", "product2",
                     "carrier", "tracking", "ticket", "fair", "campaign", "days",
                     "weekday", "score", "nps", "city")
    }  # fmt: skip
    for kind, templates in texts.TIMELINE_TEMPLATES.items():
        assert kind in dict(
            apps.get_model("activity", "TimelineEntry").kind.field.choices
        )
        for template in templates:
            body = template.body.format_map(values)
            assert sanitize_html(body) == body, body
            assert ("{company}" in template.summary + template.body) <= template.b2b
            assert len(template.summary.format_map(values)) <= 300


def test_kinds_channels_and_directions_are_the_timeline_choices():
    kinds = set(Kind.values)
    assert set(texts.KIND_WEIGHTS_CUSTOMER) | set(texts.KIND_WEIGHTS_PROSPECT) <= kinds
    for kind, channels in texts.KIND_CHANNELS.items():
        assert kind in kinds
        assert {c for c, _w in channels} <= set(Channel.values)
    for templates in texts.TIMELINE_TEMPLATES.values():
        for template in templates:
            assert template.direction in {None, *Direction.values}


def test_every_stage_path_ends_in_its_stage():
    for stage, path in pools.STAGE_PATHS.items():
        assert path[-1] == stage


def test_phone_factory_draws_valid_numbers():
    phones = PhoneFactory(random.Random(5))
    for _ in range(300):
        number = phones.mobile()
        assert normalize_phone(number) == number
    for _postcode, _city, area in pools.CITIES:
        number = phones.landline(area)
        assert normalize_phone(number) == number
        assert number.startswith("+49" + area)


def test_german_vat_ids_are_valid_and_new():
    used: set[str] = set()
    rng = random.Random(9)
    for _ in range(500):
        assert de_vat.is_valid(german_vat_id(rng, used))
    assert len(used) == 500


@pytest.mark.parametrize(
    "parts",
    [
        ("Jürgen", "Müller", "juergen.mueller@example.de", "4915112345678"),
        ("Björn", "Weiß-Schäfer", "b.weiss@web.example", "", "Müller & Söhne KG"),
        ("Ayşe", "Öztürk", "", "shop-12"),
        ("", "", "MAX@EXAMPLE.COM"),
        ("Zoë", "von Bülow", "zoe.vonbuelow@example.org", "Straße", "Strasse"),
    ],
)
def test_fast_search_keys_equal_search_key(parts):
    keys = KeyBuilder(check_every=10**9)  # never cross-check: test the fast path
    cacheable = [
        i < 2 or not any(c in p for c in "@0123456789") for i, p in enumerate(parts)
    ]
    assert keys.build(list(parts), cacheable) == search_key(*parts)
    assert not keys.fell_back


def test_fast_search_keys_equal_search_key_on_random_text():
    rng = random.Random(11)
    alphabet = string.ascii_letters + "äöüÄÖÜß -.@0123456789éçŞ"
    keys = KeyBuilder(check_every=10**9)
    for _ in range(300):
        parts = [
            "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 20)))
            for _ in range(rng.randrange(1, 6))
        ]
        assert keys.build(parts, [True] * len(parts)) == search_key(*parts)


def test_the_tables_match_the_models():
    tables.check_columns()


def test_orders_come_with_lines_timeline_entries_and_figures(seeded):
    from django.db.models import Count, Max, Sum

    Order = apps.get_model("commerce", "Order")
    Figures = apps.get_model("contacts", "ContactFigures")
    seed(
        SeedOptions(contacts=0, companies=0, activities=0, users=8, orders=300, seed=5),
        write=quiet,
    )
    seed(
        SeedOptions(contacts=0, companies=0, activities=0, users=8, orders=100, seed=6),
        write=quiet,
    )

    assert Order.objects.count() == 400
    assert not Order.objects.annotate(n=Count("lines")).filter(n=0).exists()
    assert TimelineEntry.objects.filter(source_type="commerce.order").count() == 400
    assert check_timeline(limit=None) == []  # no order before its buyer existed
    # the figures add up over both runs
    expected = {
        row["contact_id"]: (row["n"], row["revenue"], row["last"])
        for row in Order.objects.exclude(status="cancelled")
        .values("contact_id")
        .annotate(n=Count("id"), revenue=Sum("total"), last=Max("placed_at"))
    }
    stored = {
        f.contact_id: (f.orders_count, f.revenue, f.last_order_at)
        for f in Figures.objects.all()
    }
    assert stored == expected
