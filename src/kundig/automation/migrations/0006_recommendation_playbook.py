"""The ready-made playbook that asks for a recommendation after a delivery."""

from django.db import migrations


def install(apps, schema_editor):
    from kundig.automation import defaults

    defaults.install(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0005_ticket_and_survey_triggers"),
        ("service", "0010_survey_templates"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
