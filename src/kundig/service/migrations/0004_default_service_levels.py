"""Service levels to start with, one per priority, in business hours.

With the default hours (Monday to Friday, 8 to 18 o'clock) a working day is
600 minutes.
"""

from django.db import migrations

LEVELS = [
    # name, priority, answer within, solve within (business minutes)
    ("Dringend / Urgent", "urgent", 60, 600),
    ("Hoch / High", "high", 240, 1200),
    ("Normal", "normal", 600, 3000),
    ("Niedrig / Low", "low", 1200, 6000),
]


def create(apps, schema_editor):
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    if SlaPolicy.objects.exists():
        return
    for position, (name, priority, answer, solve) in enumerate(LEVELS, start=1):
        SlaPolicy.objects.create(
            name=name,
            priority=priority,
            first_response_minutes=answer,
            resolution_minutes=solve,
            position=position * 10,
        )


class Migration(migrations.Migration):
    dependencies = [("service", "0003_service_levels")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
