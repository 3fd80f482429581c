"""Households carry their township: a copy of `village.township`, filled in one statement.

The column is added nullable, filled from the village by one UPDATE … FROM (PostgreSQL, and
SQLite from 3.33), then made non-null, and the list's (township, -updated_at, -id) index is
built on the filled column.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL_SQL = """
    UPDATE cases_household
    SET township_id = v.township_id
    FROM cases_village v
    WHERE v.id = cases_household.village_id
      AND cases_household.township_id IS DISTINCT FROM v.township_id
"""


def fill_household_township(connection) -> int:
    """Copy every household's township from its village; returns the rows changed."""
    with connection.cursor() as cursor:
        cursor.execute(FILL_SQL)
        changed = cursor.rowcount
        if connection.vendor == "postgresql":
            # The new foreign key is checked at commit (deferred); check it now, so that the
            # column can be altered in this transaction (no pending trigger events).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return changed


def forwards(apps, schema_editor):
    fill_household_township(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0012_household_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='household',
            name='township',
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='households', to='cases.township', verbose_name='所在镇街'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='household',
            name='township',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='households', to='cases.township', verbose_name='所在镇街'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['township', '-updated_at', '-id'], name='household_township_idx'),
        ),
    ]
