"""A trigram index for the directory's ``q`` filter (``search_text LIKE '%...%'``) on PostgreSQL.

Without it every search scans all groups; with it PostgreSQL finds the matches in the index. On
SQLite (the embedded default) there is nothing to do.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS groups_group_search_trgm ON groups_group USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS groups_group_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
