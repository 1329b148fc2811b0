"""Load the German demo data, once.

``load_demo_data()`` fills an empty installation with what a visitor of the
demo should see: a team of users (log in as ``admin@kundig.demo`` /
``kundig-demo``), about 2,000 contacts and 300 companies with addresses,
valid phone numbers and VAT IDs, tags, custom fields, a timeline of about
20,000 interactions over two years, and tasks that are overdue, due today,
upcoming and done.

The demo admin user is the marker: if it exists the data was loaded and
nothing is changed. Loading runs in one transaction (with an advisory lock
on PostgreSQL), so two processes starting the demo at once load it once.

Records are written in bulk, as the seed command does, keeping the
services' invariants (search keys, one primary email and phone, lifecycle
history, custom field values in their stored form). No domain events are
written: the demo's worker should not run playbooks on sample data. The
order history (``demo_orders``) goes through the commerce services; its
events are marked as handled for the same reason. Task
reminders that lie in the past are marked as sent, so no reminder email
goes out when the worker starts.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from kundig.core.customfields import convert_value
from kundig.core.models import AuditEntry, CustomFieldDefinition, User
from kundig.core.services import custom_field_save, team_get_or_create
from kundig.core.text import sort_name

from .fakedata import tables
from .fakedata.clock import DAY
from .fakedata.db import writer_for
from .fakedata.keys import KeyBuilder
from .fakedata.records import (
    CompanyInfo,
    Owner,
    Person,
    RecordFactory,
    Rows,
    Weighted,
)
from .fakedata.seeder import creation_times, seed_tags
from .fakedata.showcase import (
    CUSTOM_FIELDS,
    DEMO_ADMIN_EMAIL,
    DEMO_PASSWORD,
    DEMO_USERS,
    JUERGEN_TASKS,
    JUERGEN_TIMELINE,
    SHOWCASE_COMPANIES,
    SHOWCASE_PEOPLE,
)
from .fakedata.timeline import ContactPool, EntryFactory, TaskFactory

__all__ = ["DEMO_ADMIN_EMAIL", "DEMO_PASSWORD", "DemoInfo", "load_demo_data"]

_LOCK_KEY = 0x6B756E646967  # "kundig"
_CUSTOMER_STAGES = ("customer", "regular_customer", "at_risk", "inactive")


@dataclass
class DemoInfo:
    login_email: str
    login_password: str
    created: bool
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_loaded() -> bool:
    """Return whether the demo data is there (its admin user is the marker)."""
    return User.objects.filter(email=DEMO_ADMIN_EMAIL).exists()


def load_demo_data(
    *,
    stdout=None,
    contacts: int = 2000,
    companies: int = 300,
    activities: int = 20_000,
    tasks_per_user: int = 12,
    order_customers: int = 80,
    seed: int = 2026,
) -> DemoInfo:
    """Load the demo data unless it is there; ``created`` tells which happened."""
    started = time.monotonic()
    info = DemoInfo(DEMO_ADMIN_EMAIL, DEMO_PASSWORD, created=False)
    if demo_loaded():
        return info

    def write(line: str) -> None:
        if stdout is not None:
            stdout.write(line + "\n")

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        if demo_loaded():  # another process loaded it while we waited
            return info
        loader = _DemoLoader(
            rng=random.Random(seed),
            write=write,
            tasks_per_user=tasks_per_user,
        )
        info.counts = loader.run(
            contacts=contacts,
            companies=companies,
            activities=activities,
            order_customers=order_customers,
        )
    info.created = True
    info.seconds = time.monotonic() - started
    write(f"Demo data loaded in {info.seconds:.1f} s.")
    return info


class _DemoLoader:
    def __init__(self, *, rng: random.Random, write, tasks_per_user: int) -> None:
        self.rng = rng
        self.write = write
        self.tasks_per_user = tasks_per_user
        self.now = time.time()
        self.writer = writer_for(connection, index_mode="keep", log=write)
        self.counts: dict[str, int] = {}

    def run(
        self, *, contacts: int, companies: int, activities: int, order_customers: int
    ) -> dict:
        self.users = self.create_users()
        self.owners = [Owner(u.pk, u.team_id, u.role) for u in self.users.values()]
        self.tag_ids = seed_tags()
        self.fields = self.create_custom_fields()
        self.factory = RecordFactory(
            rng=self.rng,
            ts=self.writer.ts,
            keys=KeyBuilder(),
            owners=self.owners,
            tag_ids=self.tag_ids,
            now=self.now,
            vat_share=0.92,
            # The tour's Jürgen Müller should be the one Müller a search finds.
            exclude_last_names={"Müller"},
        )
        self.companies: list[CompanyInfo] = []
        self.company_index: dict[str, int] = {}
        self.create_companies(companies)
        self.pool = ContactPool()
        self.showcase_ids: dict[str, int] = {}
        self.create_contacts(contacts)
        completions = self.create_tasks()
        self.create_timeline(activities, completions)
        self.writer.analyze(list(tables.ALL))
        self.create_orders(order_customers)
        return self.counts

    def create_orders(self, customers: int) -> None:
        """The shop's order history, through the commerce services (slower, real)."""
        from kundig.core.models import DomainEvent

        from .demo_orders import load_demo_orders

        started = timezone.now()
        orders = load_demo_orders(rng=self.rng, write=self.write, customers=customers)
        for key, value in orders.items():
            self.counts[key] = value
        # As with the rest of the demo data: no playbook runs on sample history.
        DomainEvent.objects.filter(occurred_at__gte=started).update(
            dispatched_at=timezone.now()
        )

    def _write(self, rows: Rows) -> None:
        self.writer.write_rows(rows)
        for key, items in rows.tables.items():
            self.counts[key] = self.counts.get(key, 0) + len(items)

    def _user_id(self, email: str | None) -> int | None:
        return self.users[email].pk if email else None

    # --- users, tags, fields -------------------------------------------------------

    def create_users(self) -> dict[str, User]:
        """Create the demo team; a team member who exists already is kept as is."""
        emails = [email for email, *_rest in DEMO_USERS]
        existing = set(
            User.objects.filter(email__in=emails).values_list("email", flat=True)
        )
        # One hash for all: the same password, and one PBKDF2 run instead of nine.
        hashed = make_password(DEMO_PASSWORD)
        users = [
            User(
                email=email,
                first_name=first,
                last_name=last,
                role=role,
                team=team_get_or_create(name=team) if team else None,
                password=hashed,
                is_staff=role == "admin",
                is_superuser=role == "admin",
                date_joined=timezone.now() - dt.timedelta(days=800),
            )
            for email, first, last, role, team in DEMO_USERS
            if email not in existing
        ]
        User.objects.bulk_create(users)
        self.counts["user"] = len(users)
        self.write(f"users: {len(users)} (password {DEMO_PASSWORD!r})")
        return {u.email: u for u in User.objects.filter(email__in=emails)}

    def create_custom_fields(self) -> dict[tuple[str, str], CustomFieldDefinition]:
        admin = self.users[DEMO_ADMIN_EMAIL]
        result = {}
        for entity, key, label, kind, choices, position in CUSTOM_FIELDS:
            definition = CustomFieldDefinition.objects.filter(
                entity=entity, key=key
            ).first()
            if definition is None:
                definition = custom_field_save(
                    definition=CustomFieldDefinition(
                        entity=entity,
                        key=key,
                        label=label,
                        field_type=kind,
                        choices=choices,
                        position=position,
                    ),
                    actor=admin,
                )
            result[(entity, key)] = definition
        return result

    def _stored(self, entity: str, values: dict) -> dict:
        """Return ``values`` in the form the custom field services store."""
        stored = {}
        for key, raw in values.items():
            value = convert_value(self.fields[(entity, key)], raw)
            if value is not None:
                stored[key] = value
        return stored

    # --- companies -------------------------------------------------------------------

    def create_companies(self, count: int) -> None:
        rng, rows = self.rng, Rows()
        people = {p.company: p for p in SHOWCASE_PEOPLE if p.company}
        showcase = SHOWCASE_COMPANIES[: max(count, 0)]
        moments = creation_times(
            rng,
            max(count - len(showcase), 0),
            start=self.now - 900 * DAY,
            end=self.now - DAY,
        )
        planned = [(self.now - c.days_ago * DAY, c) for c in showcase]
        planned += [(ts, None) for ts in moments]
        planned.sort(key=lambda item: item[0])
        ids = self.writer.reserve_ids(tables.COMPANY, len(planned))
        for pk, (ts, company) in zip(ids, planned, strict=True):
            custom = {}
            if rng.random() < 0.6:
                custom["rahmenvertrag"] = rng.random() < 0.35
            if rng.random() < 0.7:
                custom["zahlungsziel"] = rng.choice(
                    ["14", "14", "30", "30", "30", "60"]
                )
            if company is None:
                info = self.factory.company(
                    pk, ts, rows, custom=self._stored("company", custom)
                )
            else:
                owner = self.users[people[company.key].owner]
                info = self.factory.company(
                    pk,
                    ts,
                    rows,
                    name=(
                        company.name,
                        company.legal_form,
                        company.industry,
                        company.base,
                    ),
                    custom=self._stored("company", company.custom),
                    tags=list(company.tags),
                    owner=(owner.pk, owner.team_id),
                )
                self.company_index[company.key] = len(self.companies)
            self.companies.append(info)
        self._write(rows)
        self._audit(
            "contacts",
            "Company",
            [(c.id, c.owner_id, c.created_ts, c.name) for c in self.companies],
        )
        self.write(f"companies: {len(self.companies)}")

    # --- contacts --------------------------------------------------------------------

    def _showcase_person(self, spec) -> Person:
        owner = self.users[spec.owner]
        created = self.now - spec.days_ago * DAY
        path = spec.stage_path
        history = [("", path[0], created)]
        for i, (before, after) in enumerate(itertools.pairwise(path), 1):
            when = created + (self.now - created) * i / len(path) * 0.9
            history.append((before, after, when))
        links = []
        if spec.company and spec.company in self.company_index:
            links.append((self.company_index[spec.company], spec.role, True))
        return Person(
            salutation=spec.salutation,
            title=spec.title,
            first_name=spec.first_name,
            last_name=spec.last_name,
            created_ts=created,
            updated_ts=history[-1][2],
            stage=path[-1],
            source=spec.source,
            birthday=spec.birthday,
            owner_id=owner.pk,
            team_id=owner.team_id,
            emails=list(spec.emails),
            phones=list(spec.phones),
            addresses=list(spec.addresses),
            links=links,
            history=history,
            tags=[self.tag_ids[t] for t in spec.tags if t in self.tag_ids],
            custom=self._stored("contact", spec.custom),
        )

    def _backdate(self, person: Person, created: float) -> None:
        """Move ``person``'s creation, and with it the lifecycle history, back."""
        person.created_ts = created
        person.history = self.factory.stage_history(
            person.stage, created, full=len(person.history) > 1
        )
        person.updated_ts = max(person.history[-1][2], created)

    def _demo_custom(self, person: Person, number: int) -> dict:
        rng = self.rng
        values: dict = {}
        if person.stage in _CUSTOMER_STAGES:
            values["kundennummer"] = f"K-{number}"
            value = Decimal(str(round(min(rng.lognormvariate(5.5, 1.0), 60_000), 2)))
            values["kundenwert"] = value
        if self.tag_ids.get("Newsletter") in person.tags:
            values["newsletter"] = True
        elif rng.random() < 0.3:
            values["newsletter"] = False
        if rng.random() < 0.5:
            values["bevorzugter_kanal"] = rng.choice(
                ["E-Mail", "E-Mail", "Telefon", "Brief", "WhatsApp"]
            )
        return self._stored("contact", values)

    def create_contacts(self, count: int) -> None:
        rng = self.rng
        showcase = SHOWCASE_PEOPLE[: max(count, 0)]
        moments = creation_times(
            rng,
            max(count - len(showcase), 0),
            start=self.now - 800 * DAY,
            end=self.now - DAY,
        )
        pick = None
        if self.companies:
            weights = [min(rng.paretovariate(1.2), 40.0) for _ in self.companies]
            for key, index in self.company_index.items():
                # A few colleagues, and none for Jürgen Müller: the tour's search
                # for "Mueler" should find him first, not someone at his firm.
                weights[index] = 0.0 if key == "mueller" else 0.5
            pick = Weighted(range(len(self.companies)), weights)
        people: list[tuple[Person, str | None]] = [
            (self._showcase_person(spec), spec.key) for spec in showcase
        ]
        for ts in moments:
            person = self.factory.draw_person(
                ts,
                companies=self.companies,
                company_pick=pick,
                history_share=0.4,
                rich=0.7,
            )
            people.append((person, None))
        # The contacts a list shows first, by name, are long-standing customers,
        # so that their pages show a real history.
        by_name = sorted(
            (p for p, key in people if key is None),
            key=lambda p: sort_name(p.last_name, p.first_name),
        )
        for person in by_name[:25]:
            if person.created_ts > self.now - 300 * DAY:
                self._backdate(person, self.now - (300 + rng.random() * 400) * DAY)
        people.sort(key=lambda item: item[0].created_ts)
        number = 10_003
        for person, key in people:
            if key is None:
                person.custom = self._demo_custom(person, number)
                number += 1 if "kundennummer" in person.custom else 0
        rows = Rows()
        ids = self.writer.reserve_ids(tables.CONTACT, len(people))
        for pk, (person, key) in zip(ids, people, strict=True):
            info = self.factory.write_contact(
                pk, person, rows, companies=self.companies, change_source="manual"
            )
            self.pool.add(info)
            if key:
                self.showcase_ids[key] = pk
        self._write(rows)
        self._audit(
            "contacts",
            "Contact",
            [
                (
                    pk,
                    p.owner_id,
                    p.created_ts,
                    " ".join(x for x in (p.title, p.first_name, p.last_name) if x),
                )
                for pk, (p, _k) in zip(ids, people, strict=True)
            ],
        )
        # The contacts a list shows first (by name, and newest) get a long history.
        by_name = sorted(
            zip(ids, people, strict=True),
            key=lambda x: (sort_name(x[1][0].last_name, x[1][0].first_name), x[0]),
        )
        newest = sorted(
            zip(ids, people, strict=True), key=lambda x: -x[1][0].created_ts
        )
        weights = {pk: 40.0 for pk, _p in by_name[:25] + newest[:15]}
        weights.update(dict.fromkeys(self.showcase_ids.values(), 60.0))
        weights[self.showcase_ids.get("juergen", 0)] = (
            8.0  # his history is hand-written
        )
        self.pool.finish(rng, weights=weights, cap=25.0)
        self.write(f"contacts: {len(people)}")

    def _audit(self, app: str, model: str, records) -> None:
        label = apps.get_model(app, model)._meta.label_lower
        admin_id = self.users[DEMO_ADMIN_EMAIL].pk
        entries = [
            AuditEntry(
                object_type=label,
                object_id=pk,
                actor_id=owner or admin_id,
                at=dt.datetime.fromtimestamp(ts, dt.UTC),
                action="create",
                new_value=name,
            )
            for pk, owner, ts, name in records
        ]
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
        self.counts["audit"] = self.counts.get("audit", 0) + len(entries)

    # --- tasks -----------------------------------------------------------------------

    def _visible_indices(self, user: User) -> list[int]:
        pool = self.pool
        scope = user.effective_visibility
        return [
            i
            for i in range(len(pool))
            if scope == "all"
            or pool.owner[i] == user.pk
            or (scope == "team" and user.team_id and pool.team[i] == user.team_id)
        ]

    def create_tasks(self) -> list[tuple]:
        rng, now = self.rng, self.now
        factory = TaskFactory(
            rng=rng,
            ts=self.writer.ts,
            users=self.owners,
            companies=self.companies,
            now=now,
        )
        local_now = timezone.localtime()
        end_of_day = local_now.replace(hour=23, minute=30, second=0, microsecond=0)
        today_left = max((end_of_day.timestamp() - now) / 3600, 0.25)
        plan = []  # (user, index, due, done, remind_before, title, description)
        index_of = {pk: i for i, pk in enumerate(self.pool.ids)}
        juergen = index_of.get(self.showcase_ids.get("juergen"))
        if juergen is not None:
            jonas = self.users["jonas.krueger@kundig.demo"]
            for days, title, text, done, remind in JUERGEN_TASKS:
                due = now + days * DAY if days else now + min(2.0, today_left) * 3600
                plan.append(
                    (jonas, juergen, due, done, remind * DAY, title, f"<p>{text}</p>")
                )
        workers = [u for u in self.users.values() if u.role != "read_only"]
        for user in workers:
            candidates = self._visible_indices(user)
            if not candidates:
                continue
            for n in range(self.tasks_per_user):
                slot = n % 6
                if slot == 0:  # overdue
                    due, done = now - (1 + rng.random() * 10) * DAY, False
                elif slot == 1:  # due today
                    due, done = now + rng.random() * today_left * 3600, False
                elif slot in (2, 3):  # upcoming, half of them with an early reminder
                    due, done = now + (1 + rng.random() * 20) * DAY, False
                else:  # done
                    due, done = now - (rng.random() * 40 - 3) * DAY, True
                remind = DAY if slot == 3 else 0.0
                due = int(due // 900) * 900.0 if due > now + 900 else due
                plan.append(
                    (user, rng.choice(candidates), due, done, remind, None, None)
                )
        rows, completions = Rows(), []
        ids = self.writer.reserve_ids(tables.TASK, len(plan))
        for pk, (user, index, due, done, remind, title, text) in zip(
            ids, plan, strict=True
        ):
            row, completion = factory.task(
                pk,
                self.pool,
                index,
                due=due,
                done=done,
                assignee=user.pk,
                title=title,
                description=text,
                remind_before=remind,
            )
            rows.add("task", row)
            if completion is not None:
                completions.append(completion)
        self._write(rows)
        self.write(f"tasks: {len(plan)}")
        return completions

    # --- timeline --------------------------------------------------------------------

    def _juergen_entries(self) -> list[tuple]:
        contact_id = self.showcase_ids.get("juergen")
        if contact_id is None:
            return []
        ts_format, rows = self.writer.ts, []
        for (
            days,
            hour,
            kind,
            channel,
            direction,
            actor,
            summary,
            body,
            minutes,
            source,
        ) in JUERGEN_TIMELINE:
            day = int((self.now - days * DAY) // DAY) * DAY
            ts = min(day + (hour - 1) * 3600 + self.rng.random() * 1800, self.now - 60)
            stamp = ts_format(ts)
            number = re.search(r"\d{7}", summary)
            source_id = number.group() if source and number else ""
            rows.append(
                (
                    contact_id, None, kind, channel, direction, stamp,
                    self._user_id(actor), summary, body, source, source_id, "",
                    minutes, stamp,
                )
            )  # fmt: skip
        return rows

    def create_timeline(self, count: int, completions: list[tuple]) -> None:
        if not len(self.pool):
            return
        fixed = completions + self._juergen_entries()
        self.writer.write(tables.TIMELINE, fixed)
        # Created after the fixed entries are stored: it numbers shop records on
        # from the highest number stored.
        factory = EntryFactory(
            rng=self.rng,
            ts=self.writer.ts,
            users=self.owners,
            companies=self.companies,
            now=self.now,
        )
        generated = 0
        for rows in factory.stream(
            self.pool, max(count - len(fixed), 0), start=self.now - 730 * DAY
        ):
            self.writer.write(tables.TIMELINE, rows)
            generated += len(rows)
        self.counts["timeline"] = len(fixed) + generated
        self.write(f"timeline entries: {len(fixed) + generated}")
