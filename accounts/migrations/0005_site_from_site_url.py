"""The Site row says what SITE_URL says, not the live domain 0003 wrote into every database.

From here on ``imc.links.site_sync`` keeps it so after every migrate (``imc.apps``)."""

from django.db import migrations

from imc.links import site_sync


def site_from_settings(apps, schema_editor):
    site_sync(apps.get_model("sites", "Site"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_single_line_fields"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(site_from_settings, migrations.RunPython.noop)]
