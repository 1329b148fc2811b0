"""The portal's sign-in mail as a ready-made template."""

from django.db import migrations


def install(apps, schema_editor):
    from kundig.service.defaults import install as install_templates

    install_templates(apps)


class Migration(migrations.Migration):
    dependencies = [("service", "0013_portal_links")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
