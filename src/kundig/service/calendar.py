"""Business hours: which minutes count toward a service level's clock.

The service desk's hours (working days, from, until) in Kundig's time zone,
without the public holidays of Germany and, if set, of one Bundesland (the
``holidays`` package). A service level's target — "answer within 8 business
hours" — runs only in these minutes; an urgent one may run around the clock
(:data:`ALWAYS`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

UTC = dt.UTC
# A target further off than this is a mistake, not a plan.
MAX_DAYS = 3660


@dataclass(frozen=True)
class BusinessHours:
    """Working days (ISO: 1 Monday … 7 Sunday) from ``start`` until ``end``."""

    days: frozenset[int]
    start: dt.time
    end: dt.time
    region: str = ""  # a Bundesland code (BY, NW, …), or nationwide holidays only
    time_zone: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone or settings.TIME_ZONE)

    def is_holiday(self, day: dt.date) -> bool:
        return day in _holidays(self.region, day.year)

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.days and not self.is_holiday(day)

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The day's working hours, in UTC."""
        tz = self.tz
        return (
            dt.datetime.combine(day, self.start, tzinfo=tz).astimezone(UTC),
            dt.datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC),
        )

    def add(self, moment: dt.datetime, minutes: float) -> dt.datetime:
        """The moment ``minutes`` working minutes after ``moment``."""
        remaining = dt.timedelta(minutes=minutes)
        cursor = moment.astimezone(UTC)
        day = moment.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                opens, closes = self._window(day)
                begin = max(cursor, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return begin + remaining
                    remaining -= closes - begin
            day += dt.timedelta(days=1)
        raise ValueError("No working hours within ten years: check the calendar.")

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working minutes from ``start`` to ``end`` (0 if ``end`` is earlier)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        total = dt.timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            if day > last:
                break
            if self.is_working_day(day):
                opens, closes = self._window(day)
                overlap = min(closes, end) - max(opens, start)
                if overlap > dt.timedelta():
                    total += overlap
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60


class _Always:
    """Around the clock: every minute counts."""

    def add(self, moment: dt.datetime, minutes: float) -> dt.datetime:
        return moment + dt.timedelta(minutes=minutes)

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        return max((end - start).total_seconds() / 60, 0.0)


ALWAYS = _Always()


@functools.lru_cache(maxsize=64)
def _holidays(region: str, year: int):
    return holidays.Germany(subdiv=region or None, years=year, language="de")


def regions() -> list[tuple[str, str]]:
    """The Bundesländer the calendar knows, as (code, name)."""
    names = {
        "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin",
        "BB": "Brandenburg", "HB": "Bremen", "HH": "Hamburg", "HE": "Hessen",
        "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen",
        "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz", "SL": "Saarland",
        "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
        "TH": "Thüringen",
    }  # fmt: skip
    known = set(holidays.Germany.subdivisions)
    return [(code, name) for code, name in names.items() if code in known]


def holidays_in(region: str, year: int) -> list[tuple[dt.date, str]]:
    """The public holidays of ``year`` where the desk works, by date."""
    return sorted(_holidays(region, year).items())
