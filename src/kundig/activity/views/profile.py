"""The 360° pages of a contact and of a company."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from kundig.contacts import selectors as contact_selectors
from kundig.contacts import services as contact_services
from kundig.core.choices import CustomFieldEntity
from kundig.core.customfields import display_value

from .. import panels, selectors
from ..choices import Channel, Kind
from ..forms import LogEntryForm, QuickTaskForm


def _custom_rows(record, entity: str, user) -> list[tuple[str, str]]:
    rows = []
    for definition in contact_services.custom_definitions(entity, user=user):
        value = (record.custom or {}).get(definition.key)
        if value not in (None, ""):
            rows.append((definition.label, display_value(definition, value)))
    return rows


def _months_chart(figures) -> dict:
    return {
        "grid": {"left": 28, "right": 8, "top": 10, "bottom": 22},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "category",
            "data": [label for label, _count in figures.months],
            "axisLabel": {"formatter": "{value}", "fontSize": 10},
        },
        "yAxis": {"type": "value", "minInterval": 1, "splitNumber": 3},
        "series": [
            {
                "name": _("Interactions"),
                "type": "bar",
                "data": [count for _label, count in figures.months],
                "itemStyle": {"color": "#206bc4", "borderRadius": [3, 3, 0, 0]},
            }
        ],
    }


def _timeline_context(entries, cursor, *, kinds, channels) -> dict:
    return {
        "entries": entries,
        "cursor": cursor.encode() if cursor else "",
        "kind_choices": Kind.choices,
        "channel_choices": Channel.choices,
        "selected_kinds": kinds,
        "selected_channels": channels,
    }


@login_required
def contact_detail(request, pk: int):
    contact = contact_selectors.contact_profile(user=request.user, pk=pk)
    tasks = selectors.open_tasks_for_contact(contact=contact)
    figures = selectors.contact_key_figures(contact=contact, open_tasks=tasks)
    entries, cursor = selectors.contact_timeline(contact=contact)
    context = {
        "contact": contact,
        "figures": figures,
        "months_chart": _months_chart(figures),
        "tasks": tasks,
        "custom_rows": _custom_rows(contact, CustomFieldEntity.CONTACT, request.user),
        "log_form": LogEntryForm(initial={"kind": Kind.NOTE}),
        "task_form": QuickTaskForm(),
        "timeline_url": "activity:contact_timeline",
        "subject": contact,
        "panels": panels.render_panels("contact", request, contact),
        **_timeline_context(entries, cursor, kinds=[], channels=[]),
    }
    return render(request, "activity/contact_detail.html", context)


@login_required
def company_detail(request, pk: int):
    company = contact_selectors.company_profile(user=request.user, pk=pk)
    figures = selectors.company_key_figures(user=request.user, company=company)
    entries, cursor = selectors.company_timeline(user=request.user, company=company)
    people = list(
        contact_selectors.company_contacts(user=request.user, company=company)[:50]
    )
    context = {
        "company": company,
        "people": people,
        "figures": figures,
        "months_chart": _months_chart(figures),
        "tasks": selectors.open_tasks_for_company(user=request.user, company=company),
        "custom_rows": _custom_rows(company, CustomFieldEntity.COMPANY, request.user),
        "log_form": LogEntryForm(initial={"kind": Kind.NOTE}),
        "task_form": QuickTaskForm(),
        "timeline_url": "activity:company_timeline",
        "subject": company,
        "panels": panels.render_panels("company", request, company),
        **_timeline_context(entries, cursor, kinds=[], channels=[]),
    }
    return render(request, "activity/company_detail.html", context)
