"""The service desk's ready-made message templates (rating, recommendation)."""

from django.db import migrations


def install(apps, schema_editor):
    from kundig.service.defaults import install as install_templates

    install_templates(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0009_surveys"),
        ("messaging", "0005_message_fewer_indexes"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
