"""Business hours: working days and hours, without German public holidays."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kundig.service.calendar import ALWAYS, BusinessHours

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessHours(
    days=frozenset({1, 2, 3, 4, 5}), start=dt.time(8), end=dt.time(18),
    time_zone="Europe/Berlin",
)  # fmt: skip


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_minutes_inside_a_working_day_count_one_to_one():
    assert OFFICE.add(at(2026, 12, 8, 9, 0), 90) == at(2026, 12, 8, 10, 30)


def test_what_is_left_at_closing_time_goes_on_the_next_working_morning():
    # Friday 17:00 + 2 hours: one hour on Friday, one on Monday
    assert OFFICE.add(at(2026, 12, 11, 17, 0), 120) == at(2026, 12, 14, 9, 0)


def test_a_request_outside_the_hours_starts_counting_at_opening():
    assert OFFICE.add(at(2026, 12, 12, 23, 0), 30) == at(2026, 12, 14, 8, 30)


def test_christmas_and_new_year_do_not_count():
    # 23 Dec 2026 is a Wednesday; 24 Dec is no holiday, 25 and 26 are
    due = OFFICE.add(at(2026, 12, 24, 17, 0), 60 + 10 * 60 + 30)
    assert due == at(2026, 12, 29, 8, 30)  # Thu 24th, Mon 28th, then Tue 29th


@pytest.mark.parametrize(("region", "counts"), [("BY", False), ("BE", True)])
def test_a_bundeslands_own_holidays_count_only_there(region, counts):
    # Fronleichnam (4 June 2026) is a holiday in Bavaria, not in Berlin
    hours = BusinessHours(
        days=OFFICE.days, start=OFFICE.start, end=OFFICE.end, region=region,
        time_zone="Europe/Berlin",
    )  # fmt: skip
    due = hours.add(at(2026, 6, 4, 8, 0), 60)

    assert due == (at(2026, 6, 4, 9, 0) if counts else at(2026, 6, 5, 9, 0))


def test_the_minutes_between_two_moments_are_the_working_ones():
    # Friday 16:00 to Tuesday 10:00: 2 h Friday + 10 h Monday + 2 h Tuesday
    assert OFFICE.between(at(2026, 12, 11, 16), at(2026, 12, 15, 10)) == 14 * 60
    assert OFFICE.between(at(2026, 12, 15, 10), at(2026, 12, 11, 16)) == 0


def test_adding_the_minutes_between_comes_back_to_the_end():
    start, end = at(2026, 3, 27, 15, 45), at(2026, 3, 31, 11, 20)  # over the DST change
    assert OFFICE.add(start, OFFICE.between(start, end)) == end


def test_around_the_clock_every_minute_counts():
    start = at(2026, 12, 24, 23, 0)
    assert ALWAYS.add(start, 120) == at(2026, 12, 25, 1, 0)
    assert ALWAYS.between(start, at(2026, 12, 25, 1, 0)) == 120


def test_a_calendar_without_working_days_is_refused():
    never = BusinessHours(days=frozenset(), start=dt.time(8), end=dt.time(18))
    with pytest.raises(ValueError, match="No working hours"):
        never.add(at(2026, 1, 1), 1)
