from django.db import migrations


def install(apps, schema_editor):
    from kundig.privacy import defaults

    defaults.install(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("messaging", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
