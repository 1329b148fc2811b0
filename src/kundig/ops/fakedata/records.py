"""Generate companies and contacts as database rows, keeping the services' invariants.

Nothing here touches the database: a factory returns, for one record, the
rows of every table it spans (the record, its emails, phones, addresses,
company links, lifecycle history and tags) as tuples in the column order of
:mod:`kundig.ops.fakedata.tables`. The invariants the contact services keep
hold by construction: lower-case valid emails unique per contact with
exactly one primary, E.164 phones with exactly one primary, German
five-digit postcodes, valid VAT IDs, the search key ``contact_search_key``
would compute, and a lifecycle history that starts from ``""`` and ends in
the contact's stage.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import random
from dataclasses import dataclass, field

from stdnum.iso7064 import mod_11_10

from kundig.core.text import fold, sort_name

from . import pools
from .clock import DAY, TsFormat, date_text
from .keys import KeyBuilder
from .phones import PhoneFactory


@dataclass
class Owner:
    """A user records can belong to."""

    id: int
    team_id: int | None
    role: str = "sales"


@dataclass
class CompanyInfo:
    """What contacts and timeline entries need to know about a generated company."""

    id: int
    name: str
    domain: str
    area: str
    owner_id: int | None
    team_id: int | None
    created_ts: float


@dataclass
class ContactInfo:
    """What timeline entries and tasks need to know about a generated contact."""

    id: int
    created_ts: float
    owner_id: int | None
    team_id: int | None
    stage: str
    addressee: str  # "Frau Schäfer"
    company_index: int  # index into the run's companies, -1 for none


@dataclass
class Person:
    """A contact before it becomes rows: drawn at random or written out by hand."""

    salutation: str
    first_name: str
    last_name: str
    created_ts: float
    stage: str
    source: str = ""
    language: str = "de"
    form_of_address: str = "formal"
    title: str = ""
    birthday: str | None = None
    owner_id: int | None = None
    team_id: int | None = None
    updated_ts: float | None = None
    emails: list[tuple[str, str]] = field(default_factory=list)  # primary first
    phones: list[tuple[str, str]] = field(default_factory=list)  # E.164, kind
    # (kind, recipient, street, extra, postcode, city)
    addresses: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    links: list[tuple[int, str, bool]] = field(default_factory=list)  # company index
    history: list[tuple[str, str, float]] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    custom: dict = field(default_factory=dict)
    shop_customer: bool = False


@dataclass
class Rows:
    """Rows per table, filled by the factories and drained by a writer."""

    tables: dict[str, list[tuple]] = field(default_factory=dict)

    def add(self, table: str, row: tuple) -> None:
        self.tables.setdefault(table, []).append(row)


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(weights))


class Weighted:
    """Draw from ``values`` with ``weights`` in O(log n), faster than random.choices."""

    def __init__(self, values, weights) -> None:
        self.values = list(values)
        self.cum = _cumulative(weights)
        self.total = self.cum[-1]

    def draw(self, rng: random.Random):
        return self.values[bisect.bisect(self.cum, rng.random() * self.total)]


def _slug(text: str) -> str:
    out = []
    for ch in fold(text):
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


@functools.lru_cache(maxsize=65536)
def _sort_name(last_name: str, first_name: str) -> str:
    return sort_name(last_name, first_name)


@functools.lru_cache(maxsize=65536)
def local_part(text: str) -> str:
    """Return ``text`` as ASCII letters for an email address: Jürgen -> juergen."""
    return "".join(c for c in fold(text) if c.isascii() and c.isalnum())


def german_vat_id(rng: random.Random, used: set[str]) -> str:
    """Return a new, valid German VAT ID (DE + 8 digits + ISO 7064 check digit)."""
    while True:
        body = str(rng.randrange(10_000_000, 100_000_000))
        number = "DE" + body + mod_11_10.calc_check_digit(body)
        if number not in used:
            used.add(number)
            return number


def money(amount: float) -> str:
    """Return ``amount`` the German way: 1.234,50 €."""
    text = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{text} €"


class RecordFactory:
    """Generate companies and contacts; one per run, as it remembers used emails."""

    def __init__(
        self,
        *,
        rng: random.Random,
        ts: TsFormat,
        keys: KeyBuilder,
        owners: list[Owner],
        tag_ids: dict[str, int],
        now: float,
        external_ids: bool = True,
        vat_share: float = 0.75,
        exclude_last_names: set[str] = frozenset(),
    ) -> None:
        self.rng = rng
        self.ts = ts
        self.keys = keys
        self.now = now
        self.phones = PhoneFactory(rng)
        self.external_ids = external_ids
        self.vat_share = vat_share
        self.owners = [o for o in owners if o.role in ("sales", "manager")] or owners
        self.tag_ids = tag_ids
        self.used_emails: set[str] = set()
        self.used_vat_ids: set[str] = set()

        male = pools.FIRST_NAMES_MALE
        female = pools.FIRST_NAMES_FEMALE
        self.male = Weighted(male, pools.ranked_weights(male, offset=25))
        self.female = Weighted(female, pools.ranked_weights(female, offset=25))
        names, weights = pools.last_names()
        kept = [
            (name, weight)
            for name, weight in zip(names, weights, strict=True)
            if name not in exclude_last_names
        ]
        self.last = Weighted([n for n, _w in kept], [w for _n, w in kept])
        self.cities = Weighted(
            pools.CITIES, [pools.CITY_WEIGHTS.get(c[1], 1.0) for c in pools.CITIES]
        )
        self.streets = pools.STREETS
        self.extras = Weighted(pools.ADDRESS_EXTRAS, pools.ADDRESS_EXTRAS.values())
        self.stages = Weighted(
            pools.LIFECYCLE_WEIGHTS, pools.LIFECYCLE_WEIGHTS.values()
        )
        self.sources = Weighted(pools.SOURCE_WEIGHTS, pools.SOURCE_WEIGHTS.values())
        self.languages = Weighted(
            pools.LANGUAGE_WEIGHTS, pools.LANGUAGE_WEIGHTS.values()
        )
        self.domains = Weighted(
            pools.PRIVATE_MAIL_DOMAINS, pools.PRIVATE_MAIL_DOMAINS.values()
        )
        self.legal = Weighted(pools.LEGAL_FORMS, [f[2] for f in pools.LEGAL_FORMS])
        self.sizes = Weighted(pools.COMPANY_SIZES, pools.COMPANY_SIZES.values())
        self.roles = Weighted(pools.COMPANY_ROLES, [r[3] for r in pools.COMPANY_ROLES])
        self._addressees: dict[tuple[str, str, str], str] = {}

    # --- small draws ---------------------------------------------------------------

    def owner(self) -> tuple[int | None, int | None]:
        """Return (owner id, team id); a few records belong to nobody yet."""
        if not self.owners or self.rng.random() < 0.05:
            teams = [o.team_id for o in self.owners if o.team_id]
            team = self.rng.choice(teams) if teams and self.rng.random() < 0.5 else None
            return None, team
        owner = self.rng.choice(self.owners)
        return owner.id, owner.team_id

    def street(self) -> str:
        rng = self.rng
        number = str(int(rng.paretovariate(1.1)) + rng.randrange(0, 12))
        if rng.random() < 0.08:
            number += rng.choice("abc")
        return f"{rng.choice(self.streets)} {number}"

    def person_name(self) -> tuple[str, str, str]:
        """Return (salutation, first name, last name)."""
        rng = self.rng
        r = rng.random()
        if r < 0.49:
            salutation, first = "frau", self.female.draw(rng)
        elif r < 0.98:
            salutation, first = "herr", self.male.draw(rng)
        else:
            salutation = "divers" if r < 0.99 else "none"
            first = (self.female if rng.random() < 0.5 else self.male).draw(rng)
        if rng.random() < 0.03:
            salutation = "none"
        last = self.last.draw(rng)
        if rng.random() < 0.035:
            other = self.last.draw(rng)
            if other != last and " " not in other + last:
                last = f"{last}-{other}"
        return salutation, first, last

    def addressee(self, salutation: str, first: str, last: str) -> str:
        key = (salutation, first if salutation in ("divers", "none") else "", last)
        text = self._addressees.get(key)
        if text is None:
            if salutation == "frau":
                text = f"Frau {last}"
            elif salutation == "herr":
                text = f"Herr {last}"
            else:
                text = f"{first} {last}"
            self._addressees[key] = text
        return text

    def private_email(self, first: str, last: str, birth_year: int | None) -> str:
        rng = self.rng
        f, la = local_part(first), local_part(last)
        pattern = rng.random()
        if pattern < 0.34:
            local = f"{f}.{la}"
        elif pattern < 0.46:
            local = f"{f[:1]}.{la}"
        elif pattern < 0.56:
            local = f"{f}{la}"
        elif pattern < 0.64:
            local = f"{la}.{f}"
        elif pattern < 0.72:
            local = f"{f}_{la}"
        elif pattern < 0.86:
            year = birth_year or rng.randrange(1950, 2005)
            local = f"{f}.{la}{year % 100:02d}"
        else:
            local = f"{f[:1]}{la}{rng.randrange(1, 999)}"
        return self._unique(local or "kunde", self.domains.draw(rng))

    def _unique(self, local: str, domain: str) -> str:
        email = f"{local}@{domain}"
        while email in self.used_emails:
            email = f"{local}{self.rng.randrange(1, 9999)}@{domain}"
        self.used_emails.add(email)
        return email

    # --- companies -----------------------------------------------------------------

    def company_name(self) -> tuple[str, str, str, str]:
        """Return (name, legal form code, industry, name without legal form)."""
        rng = self.rng
        code, suffix, _w = self.legal.draw(rng)
        pattern = rng.random()
        if code == "ev":
            city = self.cities.draw(rng)[1].split(" (")[0]
            base = rng.choice(
                [f"Förderverein {city}", f"Gewerbeverein {city}", f"TSV {city}"]
            )
            return f"{base} e.V.", code, "Verein", base
        if code == "sole":
            trade, industry = rng.choice(pools.TRADES)
            _s, first, last = self.person_name()
            base = f"{trade} {first} {last}"
            return base, code, industry, base
        if pattern < 0.34:
            trade, industry = rng.choice(pools.TRADES)
            base = f"{trade} {self.last.draw(rng)}"
        elif pattern < 0.62:
            trade, industry = rng.choice(pools.TRADES)
            base = f"{self.last.draw(rng)} {trade}"
        elif pattern < 0.74:
            a, b = self.last.draw(rng), self.last.draw(rng)
            trade, industry = rng.choice(pools.TRADES)
            base = f"{a} & {b}" if a != b else f"{a} & Söhne"
        elif pattern < 0.80:
            trade, industry = rng.choice(pools.TRADES)
            base = f"{self.last.draw(rng)} & Söhne"
        else:
            trade, industry = rng.choice(pools.INVENTED_TRADES)
            base = f"{rng.choice(pools.INVENTED_STEMS)} {trade}"
        return f"{base} {suffix}", code, industry, base

    def company(
        self,
        company_id: int,
        created_ts: float,
        rows: Rows,
        *,
        name: tuple[str, str, str, str] | None = None,
        custom: dict | None = None,
        tags: list[str] = (),
        owner: tuple[int | None, int | None] | None = None,
    ) -> CompanyInfo:
        """Add the rows of a company; ``name`` is (name, legal form, industry, base)."""
        rng = self.rng
        name, legal_form, industry, base = name or self.company_name()
        domain = f"{_slug(base)}.example"
        postcode, city, area = self.cities.draw(rng)
        owner_id, team_id = owner or self.owner()
        website = f"https://www.{domain}" if rng.random() < 0.85 else ""
        email = f"{rng.choice(['info', 'kontakt', 'service', 'mail'])}@{domain}"
        email = email if rng.random() < 0.8 else ""
        phone = self.phones.landline(area) if rng.random() < 0.85 else ""
        vat_id = (
            german_vat_id(rng, self.used_vat_ids)
            if legal_form not in ("sole", "ev") and rng.random() < self.vat_share
            else ""
        )
        external_id = (
            f"erp-{company_id}" if self.external_ids and rng.random() < 0.2 else None
        )
        addresses = [("billing", self.street(), postcode, city)]
        if rng.random() < 0.15:
            p2, c2, _a = self.cities.draw(rng)
            addresses.append(("shipping", f"{self.street()} (Lager)", p2, c2))
        for kind, street, pc, ct in addresses:
            rows.add(
                "address",
                (None, company_id, kind, "", street, "", pc, ct, "DE"),
            )
        key = self.keys.company(
            name=name,
            vat_id=vat_id,
            website=website,
            email=email,
            phone=phone,
            cities=[a[3] for a in addresses],
            external_id=external_id,
        )
        ts = self.ts(created_ts)
        updated = self.ts(min(self.now, created_ts + rng.random() * 200 * DAY))
        rows.add(
            "company",
            (
                company_id,
                ts,
                updated,
                name,
                legal_form,
                vat_id,
                industry,
                self.sizes.draw(rng),
                website,
                email,
                phone,
                json.dumps(custom, ensure_ascii=False) if custom else "{}",
                external_id,
                key,
                owner_id,
                owner_id,
                team_id,
            ),
        )
        tags = list(tags)
        if rng.random() < 0.3:
            tags.append("B2B")
        if rng.random() < 0.08:
            tags.append("Messe 2026")
        for tag in dict.fromkeys(tags):
            if tag in self.tag_ids:
                rows.add("company_tag", (company_id, self.tag_ids[tag]))
        return CompanyInfo(
            company_id, name, domain, area, owner_id, team_id, created_ts
        )

    # --- contacts ------------------------------------------------------------------

    def stage_history(
        self, stage: str, created_ts: float, *, full: bool
    ) -> list[tuple[str, str, float]]:
        """Return (from, to, when) changes ending in ``stage``, the first from ""."""
        path = pools.STAGE_PATHS[stage] if full else [stage]
        span = max(self.now - created_ts, 60.0)
        moments = sorted(created_ts + self.rng.random() * span for _ in path[1:])
        changes = [("", path[0], created_ts)]
        for before, after, when in zip(path, path[1:], moments, strict=False):
            changes.append((before, after, when))
        return changes

    def draw_person(
        self,
        created_ts: float,
        *,
        companies: list[CompanyInfo],
        company_pick: Weighted | None,
        history_share: float = 0.3,
        rich: float = 0.0,
    ) -> Person:
        """Draw a contact; ``rich`` (0 to 1) makes email, phone, address likelier."""
        rng = self.rng
        salutation, first, last = self.person_name()
        person = Person(
            salutation=salutation,
            first_name=first,
            last_name=last,
            created_ts=created_ts,
            stage=self.stages.draw(rng),
            source=self.sources.draw(rng),
            language=self.languages.draw(rng),
            form_of_address="informal" if rng.random() < 0.12 else "formal",
        )
        person.owner_id, person.team_id = self.owner()
        if rng.random() < 0.03:
            person.title = rng.choice(pools.ACADEMIC_TITLES)
        birth_year = None
        if rng.random() < 0.35 + rich * 0.3:
            age_days = rng.randrange(18 * 365, 85 * 365)
            person.birthday = date_text(self.now - age_days * DAY)
            birth_year = int(person.birthday[:4])

        if companies and company_pick is not None and rng.random() < 0.33:
            first_index = company_pick.draw(rng)
            person.links.append((first_index, self.role(salutation), True))
            if rng.random() < 0.05:
                second = company_pick.draw(rng)
                if second != first_index:
                    person.links.append((second, self.role(salutation), False))

        if rng.random() < 0.9 + rich * 0.1:
            if person.links and rng.random() < 0.6:
                domain = companies[person.links[0][0]].domain
                local = f"{local_part(first)[:1]}.{local_part(last)}"
                person.emails.append((self._unique(local, domain), "work"))
            else:
                email = self.private_email(first, last, birth_year)
                person.emails.append((email, "private"))
            if rng.random() < 0.15:
                email = self.private_email(first, last, birth_year)
                person.emails.append((email, "other"))
        postcode, city, area = self.cities.draw(rng)
        if rng.random() < 0.75 + rich * 0.2:
            person.phones.append((self.phones.mobile(), "mobile"))
            if rng.random() < 0.25:
                if person.links:
                    area = companies[person.links[0][0]].area
                    person.phones.append((self.phones.landline(area), "work"))
                else:
                    person.phones.append((self.phones.landline(area), "landline"))
        elif rng.random() < 0.5:
            person.phones.append((self.phones.landline(area), "landline"))

        if rng.random() < 0.8 + rich * 0.2:
            extra = self.extras.draw(rng)
            person.addresses.append(
                ("billing", "", self.street(), extra, postcode, city)
            )
            if rng.random() < 0.1 + rich * 0.1:
                p2, c2, _a = self.cities.draw(rng)
                recipient = f"{first} {last}" if rng.random() < 0.5 else ""
                person.addresses.append(
                    ("shipping", recipient, self.street(), "", p2, c2)
                )
        person.shop_customer = self.external_ids and rng.random() < 0.3
        person.history = self.stage_history(
            person.stage, created_ts, full=rng.random() < history_share
        )
        person.updated_ts = max(
            person.history[-1][2],
            min(self.now, created_ts + rng.random() * 90 * DAY),
        )
        person.tags = self.tags_for(person.stage, bool(person.links))
        return person

    def write_contact(
        self,
        contact_id: int,
        person: Person,
        rows: Rows,
        *,
        companies: list[CompanyInfo],
        change_source: str = "import",
    ) -> ContactInfo:
        """Add the rows of ``person`` as contact ``contact_id``; return its summary.

        Emails, phones and company links are written primary first, so their
        ids follow the order ``contact_search_key`` reads them in.
        """
        external_id = f"shop-{contact_id}" if person.shop_customer else None
        key = self.keys.contact(
            first_name=person.first_name,
            last_name=person.last_name,
            emails=[e for e, _k in person.emails],
            phones=[p for p, _k in person.phones],
            company_names=[companies[i].name for i, _r, _p in person.links],
            external_id=external_id,
        )
        custom = (
            json.dumps(person.custom, ensure_ascii=False) if person.custom else "{}"
        )
        ts = self.ts
        rows.add(
            "contact",
            (
                contact_id,
                ts(person.created_ts),
                ts(person.updated_ts or person.created_ts),
                person.salutation,
                person.title,
                person.first_name,
                person.last_name,
                person.form_of_address,
                person.language,
                person.birthday,
                person.stage,
                ts(person.history[-1][2]),
                person.source,
                custom,
                external_id,
                key,
                _sort_name(person.last_name, person.first_name),
                person.owner_id,
                person.owner_id,
                person.team_id,
            ),
        )
        for i, (email, kind) in enumerate(person.emails):
            rows.add("email", (contact_id, email, kind, i == 0))
        for i, (number, kind) in enumerate(person.phones):
            rows.add("phone", (contact_id, number, kind, i == 0))
        for kind, recipient, street, extra, postcode, city in person.addresses:
            rows.add(
                "address",
                (
                    contact_id,
                    None,
                    kind,
                    recipient,
                    street,
                    extra,
                    postcode,
                    city,
                    "DE",
                ),
            )
        for index, role, primary in person.links:
            rows.add("link", (contact_id, companies[index].id, role, primary))
        actor = person.owner_id if change_source == "manual" else None
        for before, after, when in person.history:
            rows.add(
                "stage", (contact_id, before, after, ts(when), change_source, actor)
            )
        for tag in dict.fromkeys(person.tags):
            rows.add("contact_tag", (contact_id, tag))
        return ContactInfo(
            contact_id,
            person.created_ts,
            person.owner_id,
            person.team_id,
            person.stage,
            self.addressee(person.salutation, person.first_name, person.last_name),
            person.links[0][0] if person.links else -1,
        )

    def contact(
        self,
        contact_id: int,
        created_ts: float,
        rows: Rows,
        *,
        companies: list[CompanyInfo],
        company_pick: Weighted | None,
        history_share: float = 0.3,
    ) -> ContactInfo:
        """Draw a contact and add its rows."""
        person = self.draw_person(
            created_ts,
            companies=companies,
            company_pick=company_pick,
            history_share=history_share,
        )
        return self.write_contact(contact_id, person, rows, companies=companies)

    def role(self, salutation: str) -> str:
        male, female, neutral, _w = self.roles.draw(self.rng)
        return {"herr": male, "frau": female}.get(salutation, neutral)

    def tags_for(self, stage: str, b2b: bool) -> list[int]:
        rng, ids = self.rng, self.tag_ids
        wanted = []
        if stage in ("customer", "regular_customer") and rng.random() < 0.35:
            wanted.append("Stammkunde" if stage == "regular_customer" else "Onlineshop")
        if stage == "subscriber" or rng.random() < 0.2:
            wanted.append("Newsletter")
        if stage == "regular_customer" and rng.random() < 0.08:
            wanted.append("VIP")
        if b2b and rng.random() < 0.6:
            wanted.append("B2B")
        if rng.random() < 0.03:
            wanted.append("Reklamation")
        if rng.random() < 0.08:
            wanted.append("Treueprogramm")
        if rng.random() < 0.02:
            wanted.append("Messe 2026")
        return [ids[name] for name in dict.fromkeys(wanted) if name in ids]
