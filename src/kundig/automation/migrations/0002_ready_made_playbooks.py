from django.db import migrations


def install(apps, schema_editor):
    from kundig.automation import defaults

    defaults.install(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
        ("messaging", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
