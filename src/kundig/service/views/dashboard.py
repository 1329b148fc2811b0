"""The service dashboard: open tickets by queue and age, service levels met,
answer and solution times, first-contact resolution, ratings, top categories
and products, as charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import reports
from ..models import Queue

PERIODS = (4, 12, 26)
COLORS = ["#206bc4", "#2fb344", "#f59f00", "#d63939", "#ae3ec9", "#4299e1"]


def _labels(data: reports.Dashboard) -> list[str]:
    return [date_format(week.start, "j M") for week in data.weeks]


def _line(
    data, series: list[tuple[str, str]], *, unit: str = "", y_min=0, y_max=None
) -> dict:
    """A chart over the weeks: ``series`` is (name, Week attribute)."""
    return {
        "color": COLORS,
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 40, "right": 16, "top": 16, "bottom": 48},
        "xAxis": {"type": "category", "data": _labels(data)},
        "yAxis": {
            "type": "value",
            "min": y_min,
            **({"max": y_max} if y_max is not None else {}),
            "axisLabel": {"formatter": "{value}" + unit},
        },
        "series": [
            {
                "name": name,
                "type": "line",
                "smooth": True,
                "connectNulls": True,
                "data": [getattr(week, attribute) for week in data.weeks],
            }
            for name, attribute in series
        ],
    }


def _bars(data, series: list[tuple[str, str]], **axis) -> dict:
    option = _line(data, series, **axis)
    for item in option["series"]:
        item.update(type="bar", smooth=False)
    return option


def _open_chart(data: reports.Dashboard) -> dict:
    names = {
        "day": _("under a day"),
        "three_days": _("1 to 3 days"),
        "week": _("3 to 7 days"),
        "older": _("over a week"),
    }
    rows = list(reversed(data.open_by_queue))  # the fullest queue on top
    return {
        "color": ["#2fb344", "#f59f00", "#f76707", "#d63939"],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0},
        "grid": {"left": 8, "right": 16, "top": 8, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": [row["queue__name"] for row in rows]},
        "series": [
            {
                "name": label,
                "type": "bar",
                "stack": "age",
                "data": [row[key] for row in rows],
            }
            for key, label in names.items()
        ],
    }


def _ranking(pairs: list[tuple[str, int]], color: str) -> dict:
    pairs = list(reversed(pairs))
    return {
        "color": [color],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 16, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {
            "type": "category",
            "data": [name[:40] for name, _n in pairs],
        },
        "series": [{"type": "bar", "data": [n for _name, n in pairs]}],
    }


def _int_param(request, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@login_required
def service_dashboard(request):
    weeks = _int_param(request, "weeks")
    weeks = weeks if weeks in PERIODS else 12
    queues = list(Queue.objects.order_by("name"))
    queue_id = _int_param(request, "queue")
    queue = next((q for q in queues if q.pk == queue_id), None)
    data = reports.dashboard(user=request.user, weeks=weeks, queue=queue)
    totals = data.totals
    return render(
        request,
        "service/dashboard.html",
        {
            "data": data,
            "totals": totals,
            "weeks": weeks,
            "periods": PERIODS,
            "queues": queues,
            "queue": queue,
            "open_chart": _open_chart(data),
            "service_chart": _line(
                data,
                [
                    (_("Service level met"), "sla_rate"),
                    (_("Solved at first contact"), "fcr_rate"),
                ],
                unit=" %",
                y_max=100,
            ),
            "times_chart": _bars(
                data,
                [
                    (_("First answer (median hours)"), "response_median"),
                    (_("Solution (median hours)"), "resolution_median"),
                ],
                unit=" h",
            ),
            "csat_chart": _line(
                data, [(_("Rating (average, 1 to 5)"), "csat_average")], y_max=5
            ),
            "nps_chart": _bars(data, [(_("NPS"), "nps_score")], y_min=-100, y_max=100),
            "categories_chart": _ranking(data.categories, "#206bc4"),
            "products_chart": _ranking(data.products, "#ae3ec9"),
            "has_ratings": bool(totals.csat),
            "has_nps": bool(totals.nps),
        },
    )
