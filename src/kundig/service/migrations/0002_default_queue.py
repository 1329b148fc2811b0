"""A first queue, so that mail and shop events have somewhere to go."""

from django.db import migrations


def create(apps, schema_editor):
    Queue = apps.get_model("service", "Queue")
    if not Queue.objects.exists():
        Queue.objects.create(name="Service", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
