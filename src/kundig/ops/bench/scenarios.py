"""What the benchmark asks: realistic, varied requests drawn from the data itself.

Two personas look at the data: an administrator, who sees every record, and
a sales rep, who sees their own and their team's. Each request is drawn from
the records the persona may see: a random contact's 360° page, its API
detail, search strings typed the way people type them (the first letters of a
name, "Mueller" for "Müller", "Schmitt" for "Schmidt", part of an email
address or phone number, a company), list filters and API cursors.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone

from kundig.contacts.api.common import encode_cursor
from kundig.contacts.choices import LifecycleStage, Source
from kundig.contacts.filters import CONTACT_SORTS
from kundig.contacts.selectors import contact_list_prefetch, contacts_visible_to
from kundig.core.choices import Visibility
from kundig.core.models import Tag

API = "/api/v1"
SEARCH_TARGET_MS = 50.0
PROFILE_TARGET_MS = 50.0


@dataclass(frozen=True)
class Request:
    path: str
    params: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    api: bool = False


@dataclass
class Persona:
    key: str
    label: str
    user: object
    share: float = 1.0  # of all contacts, the part this persona sees
    token: str = ""
    samples: list = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    build: Callable[[random.Random, Persona], Request]
    target_ms: float | None = None


# --- personas -------------------------------------------------------------------------


def find_personas() -> list[Persona]:
    """Return the administrator and a sales rep in a team, as the seed creates them."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    admin = users.filter(role="admin").first()
    sales = next(
        (
            user
            for user in users.filter(role="sales", team__isnull=False).select_related(
                "team"
            )
            if user.effective_visibility == Visibility.TEAM
        ),
        None,
    )
    if admin is None or sales is None:
        raise LookupError(
            "The benchmark needs an active admin and a sales user in a team; "
            "`kundig seed` creates them."
        )
    return [
        Persona("admin", "admin (sees all)", admin),
        Persona("sales", f"sales, team {sales.team.name}", sales),
    ]


def sample_contacts(persona: Persona, count: int, rng: random.Random) -> list:
    """Return about ``count`` random contacts ``persona`` may see, with their list data.

    Random ids from the id range rather than ``ORDER BY random()``, which
    would sort a million rows.
    """
    visible = contacts_visible_to(persona.user)
    bounds = visible.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return []
    low, high = bounds["low"], bounds["high"]
    chosen: set[int] = set()
    if high - low < count * 20:
        chosen = set(visible.values_list("pk", flat=True))
    else:
        for _round in range(50):
            wanted = rng.sample(range(low, high + 1), min(count * 4, high - low + 1))
            chosen |= set(visible.filter(pk__in=wanted).values_list("pk", flat=True))
            if len(chosen) >= count:
                break
    picked = rng.sample(sorted(chosen), min(count, len(chosen)))
    rows = {
        c.pk: c
        for c in contact_list_prefetch(visible.filter(pk__in=picked), user=persona.user)
    }
    return [rows[pk] for pk in picked if pk in rows]


def prepare_persona(
    persona: Persona, *, samples: int, total: int, rng: random.Random
) -> None:
    """Draw the persona's sample contacts and note how much of the data it sees."""
    persona.samples = sample_contacts(persona, samples, rng)
    persona.tags = list(Tag.objects.order_by("name").values_list("name", flat=True))
    seen = contacts_visible_to(persona.user).count()
    persona.share = seen / total if total else 0.0


# --- search strings, as people type them ----------------------------------------------

_SWAPS = [
    ("dt", "tt"), ("d", "t"), ("t", "d"), ("ei", "ai"), ("ai", "ei"), ("ie", "ei"),
    ("ey", "ei"), ("y", "i"), ("i", "y"), ("ck", "k"), ("ph", "f"), ("tz", "z"),
    ("z", "tz"), ("ss", "s"), ("mm", "m"), ("nn", "n"), ("ll", "l"), ("th", "t"),
]  # fmt: skip
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_DROPPED = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def typo(word: str, rng: random.Random) -> str:
    """Return ``word`` with one typing or spelling mistake after its first letter."""
    if len(word) < 5:
        return word
    lowered = word.lower()
    swaps = [(a, b) for a, b in _SWAPS if a in lowered[1:]]
    choice = rng.random()
    if swaps and choice < 0.4:
        old, new = rng.choice(swaps)
        at = lowered.index(old, 1)
        return word[:at] + new + word[at + len(old) :]
    at = rng.randint(1, len(word) - 2)
    if choice < 0.7:  # a letter missing: "Mueler"
        return word[:at] + word[at + 1 :]
    if choice < 0.85:  # two letters swapped: "Mülelr"
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word[:at] + word[at] + word[at:]  # a letter doubled


def umlaut_variant(word: str, rng: random.Random) -> str:
    """Return "Mueller" or "Muller" for "Müller"; other names in lower case."""
    if not any(c in word.lower() for c in "äöüß"):
        return word.lower()
    table = _SPELLED_OUT if rng.random() < 0.5 else _DROPPED
    return word.lower().translate(table)


def as_typed(text: str, rng: random.Random, *, shortest: int = 3) -> str:
    """Return the first letters of ``text``, as the dropdown sees them while typing."""
    if len(text) <= shortest:
        return text
    return text[: rng.randint(shortest, len(text) - 1)]


def phone_as_typed(number: str, rng: random.Random) -> str:
    """Return the first digits of an E.164 number in national form: "0151 2345"."""
    if number.startswith("+49"):
        number = "0" + number.removeprefix("+49")
    cut = as_typed(number.lstrip("+"), rng, shortest=7)
    return f"{cut[:4]} {cut[4:]}"


SEARCH_KINDS = [
    ("surname", 3),
    ("surname as typed", 4),
    ("umlaut spelling", 1),
    ("typo", 2),
    ("first and last name", 2),
    ("first name as typed", 1),
    ("email", 1),
    ("phone", 1),
    ("company", 1),
]


def search_string(contact, rng: random.Random) -> str:
    """Return a search string someone looking for ``contact`` might type."""
    kinds, weights = zip(*SEARCH_KINDS, strict=True)
    kind = rng.choices(kinds, weights)[0]
    last = contact.last_name or contact.first_name or "Müller"
    first = contact.first_name or last
    if kind == "surname as typed":
        return as_typed(last, rng)
    if kind == "umlaut spelling":
        return umlaut_variant(last, rng)
    if kind == "typo":
        return typo(last, rng)
    if kind == "first and last name":
        return f"{first} {last}"
    if kind == "first name as typed":
        return as_typed(first, rng).lower()
    if kind == "email" and contact.primary_emails:
        return as_typed(contact.primary_emails[0].email, rng, shortest=5)
    if kind == "phone" and contact.primary_phones:
        return phone_as_typed(contact.primary_phones[0].number, rng)
    if kind == "company" and contact.visible_company_links:
        name = contact.visible_company_links[0].company.name
        word = name.split()[0]
        return word if len(word) >= 4 else name
    return last


# --- the requests ---------------------------------------------------------------------


def _pick(rng: random.Random, persona: Persona):
    return rng.choice(persona.samples)


def contact_list(rng: random.Random, persona: Persona) -> Request:
    """The list without filters: the first page most of the time, in various orders."""
    options = [
        {},
        {},
        {},
        {"page": str(rng.randint(2, 40))},
        {"sort": "-created"},
        {"sort": "-name"},
        {"sort": "-updated"},
        {"sort": "stage"},
    ]
    return Request(reverse("contacts:contact_list"), rng.choice(options))


def contact_list_filtered(rng: random.Random, persona: Persona) -> Request:
    """The list with the filters people use: stage, tag, owner, team, dates, search."""
    contact = _pick(rng, persona)
    stage = rng.choice(LifecycleStage.values)
    tag = rng.choice(persona.tags) if persona.tags else None
    since = (
        timezone.localdate() - dt.timedelta(days=rng.choice([7, 30, 90]))
    ).isoformat()
    team = persona.user.team_id or contact.team_id
    options = [
        {"stage": stage},
        {"owner": "me"},
        {"created_after": since},
        {"source": rng.choice(Source.values)},
        {"q": contact.last_name or contact.first_name},
        {"q": as_typed(contact.last_name or contact.first_name, rng), "stage": stage},
        {"stage": stage, "sort": "-created"},
    ]
    if tag:
        options += [{"tag": tag}, {"tag": tag, "stage": stage}]
    if team:
        options.append({"team": str(team), "stage": stage})
    return Request(reverse("contacts:contact_list"), rng.choice(options))


def quick_search(rng: random.Random, persona: Persona) -> Request:
    """The dropdown under the search box: an htmx request per pause in typing."""
    query = search_string(_pick(rng, persona), rng)
    return Request(reverse("contacts:search"), {"q": query}, {"HX-Request": "true"})


def contact_360(rng: random.Random, persona: Persona) -> Request:
    return Request(reverse("activity:contact_detail", args=[_pick(rng, persona).pk]))


def api_first_page(rng: random.Random, persona: Persona) -> Request:
    contact = _pick(rng, persona)
    options = [
        {},
        {},
        {"sort": "name"},
        {"sort": "-created"},
        {"stage": rng.choice(LifecycleStage.values)},
        {"q": contact.last_name or contact.first_name},
    ]
    return Request(f"{API}/contacts", rng.choice(options), api=True)


def api_later_page(rng: random.Random, persona: Persona) -> Request:
    """A page deep in the list: a random contact's cursor, in one of three orders."""
    contact = _pick(rng, persona)
    sort = rng.choice([None, "name", "-created"])
    order = CONTACT_SORTS[sort] if sort else ("id",)
    values = []
    for key in order:
        value = getattr(contact, key.lstrip("-"))
        values.append(value.isoformat() if isinstance(value, dt.datetime) else value)
    params = {"cursor": encode_cursor({"o": ",".join(order), "v": values})}
    if sort:
        params["sort"] = sort
    return Request(f"{API}/contacts", params, api=True)


def api_detail(rng: random.Random, persona: Persona) -> Request:
    return Request(f"{API}/contacts/{_pick(rng, persona).pk}", api=True)


SCENARIOS = [
    Scenario("list", "Contact list", contact_list),
    Scenario("list-filtered", "Contact list, filtered", contact_list_filtered),
    Scenario("search", "Search-as-you-type", quick_search, SEARCH_TARGET_MS),
    Scenario("360", "360° page", contact_360, PROFILE_TARGET_MS),
    Scenario("api-list", "API list, first page", api_first_page),
    Scenario("api-list-later", "API list, later page", api_later_page),
    Scenario("api-detail", "API detail", api_detail),
]
