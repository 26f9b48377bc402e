from django.db import migrations


def set_fillfactor(apps, schema_editor):
    # Room in every page for the updated version of a delivery row, so that marking it sent
    # stays a HOT update (no index touched). PostgreSQL only.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE newsletter_delivery SET (fillfactor = 70)")


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0001_initial")]

    operations = [migrations.RunPython(set_fillfactor, migrations.RunPython.noop)]
