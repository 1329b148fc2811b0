"""Timestamps as the database stores them, formatted without datetime per row.

Generated rows carry times as POSIX seconds (floats). :class:`TsFormat` turns
them into the text the backend stores: on PostgreSQL an ISO timestamp with
``+00`` for COPY, on SQLite the naive UTC text Django writes
(``2025-03-01 09:15:00.123456``, without the fraction when it is zero).
"""

from __future__ import annotations

import datetime as dt

DAY = 86400.0
UTC = dt.UTC


class TsFormat:
    def __init__(self, *, vendor: str) -> None:
        self.suffix = "+00" if vendor == "postgresql" else ""
        self._days: dict[int, str] = {}
        self._clock = [
            f"{h:02d}:{m:02d}:{s:02d}"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]

    def __call__(self, ts: float) -> str:
        seconds, us = divmod(round(ts * 1_000_000), 1_000_000)
        day, sec = divmod(seconds, 86400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = (
                dt.datetime.fromtimestamp(day * 86400, UTC).date().isoformat()
            )
        if us:
            return f"{date} {self._clock[sec]}.{us:06d}{self.suffix}"
        return f"{date} {self._clock[sec]}{self.suffix}"


def iso(ts: float) -> str:
    """Return ``ts`` as ``datetime.isoformat()`` of an aware UTC datetime gives it."""
    return to_datetime(ts).isoformat()


def to_datetime(ts: float) -> dt.datetime:
    micros = round(ts * 1_000_000)
    seconds, us = divmod(micros, 1_000_000)
    return dt.datetime.fromtimestamp(seconds, UTC).replace(microsecond=us)


def date_text(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, UTC).date().isoformat()
