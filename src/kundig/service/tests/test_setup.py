"""Setting up the service desk: service levels and business hours, as services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kundig.core.models import AuditEntry
from kundig.service import services
from kundig.service.models import ServiceSettings, SlaPolicy

pytestmark = pytest.mark.django_db


def save_level(actor, **fields):
    return services.sla_policy_save(
        actor=actor,
        **{
            "name": "Notfall",
            "priority": "urgent",
            "first_response_minutes": 30,
            "resolution_minutes": 240,
            "business_hours": False,
            "position": 1,
            **fields,
        },
    )


def errors_of(exc) -> list[str]:
    return list(exc.value.message_dict)


# --- service levels -------------------------------------------------------------------


def test_a_service_level_is_created_changed_and_audited(admin):
    policy = save_level(admin, name="  Notfall \n am Telefon ")

    services.sla_policy_save(actor=admin, policy=policy, resolution_minutes=120)

    policy.refresh_from_db()
    assert policy.name == "Notfall am Telefon"
    assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 120)
    change = AuditEntry.objects.get(
        object_type="service.slapolicy", object_id=policy.pk, field="resolution_minutes"
    )
    assert (change.old_value, change.new_value) == ("240", "120")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"resolution_minutes": 0}, "resolution_minutes"),
        ({"resolution_minutes": 20}, "resolution_minutes"),  # less than the answer
        ({"resolution_minutes": 366 * 24 * 60}, "resolution_minutes"),
        ({"name": " "}, "name"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_a_bad_service_level_is_refused_naming_the_field(fields, field, admin):
    with pytest.raises(ValidationError) as exc:
        save_level(admin, **fields)

    assert errors_of(exc) == [field]
    assert not SlaPolicy.objects.filter(priority="urgent", position=1).exists()


def test_only_admins_set_up_service_levels(service_agent, admin):
    policy = SlaPolicy.objects.first()
    pk = policy.pk

    with pytest.raises(PermissionDenied):
        save_level(service_agent)
    with pytest.raises(PermissionDenied):
        services.sla_policy_delete(actor=service_agent, policy=policy)

    services.sla_policy_delete(actor=admin, policy=policy)
    assert not SlaPolicy.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(
        object_type="service.slapolicy", object_id=pk, action="delete"
    ).exists()


def test_an_unknown_field_is_a_programming_error(admin):
    with pytest.raises(TypeError):
        save_level(admin, escalate_to="nobody")


# --- business hours -------------------------------------------------------------------


def test_the_hours_change_alone_and_the_switches_stay(admin):
    services.service_settings_save(
        actor=admin, open_on_late_shipment=False, open_on_unavailable=True
    )

    services.service_settings_save(
        actor=admin,
        work_days=[5, 1, 3, 3],
        work_start=dt.time(9),
        work_end=dt.time(17, 30),
        holiday_region="NW",
    )

    saved = ServiceSettings.current()
    assert saved.work_days == "135"
    assert (saved.work_start, saved.work_end) == (dt.time(9), dt.time(17, 30))
    assert saved.holiday_region == "NW"
    assert (saved.open_on_late_shipment, saved.open_on_unavailable) == (False, True)
    hours = saved.business_hours()
    assert hours.days == frozenset({1, 3, 5}) and hours.region == "NW"
    assert AuditEntry.objects.filter(
        object_type="service.servicesettings", field="work_days", new_value="135"
    ).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"work_days": ""}, "work_days"),
        ({"work_days": "1238"}, "work_days"),
        ({"work_end": dt.time(8)}, "work_end"),  # the default day starts at 8
        ({"work_start": dt.time(18, 30)}, "work_end"),
        ({"holiday_region": "XX"}, "holiday_region"),
    ],
)
def test_bad_hours_are_refused_naming_the_field(fields, field, admin):
    with pytest.raises(ValidationError) as exc:
        services.service_settings_save(actor=admin, **fields)

    assert errors_of(exc) == [field]
    assert not ServiceSettings.objects.exists()


def test_only_admins_set_the_hours(service_agent):
    with pytest.raises(PermissionDenied):
        services.service_settings_save(actor=service_agent, work_days="12345")
