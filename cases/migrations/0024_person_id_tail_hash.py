"""The keyed hash of the last six characters of a person's ID number (`Person.id_tail_hash`),
for the search by an ID number's tail; existing people get theirs from the decrypted number.

Reversing drops the column (the fill has nothing to undo).
"""

from django.db import migrations

import cases.crypto

BATCH = 2000


def fill_id_tail_hashes(apps, schema_editor, *, batch: int = BATCH) -> int:
    """Set `id_tail_hash` of every person from the decrypted ID number, a batch of rows at a
    time in raw SQL (SQLite and PostgreSQL); returns the number of rows set."""
    crypto = cases.crypto
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    table = qn("cases_person")
    done, last = 0, 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT {qn('id')}, {qn('id_number')} FROM {table} "  # noqa: S608
                           f"WHERE {qn('id')} > %s ORDER BY {qn('id')} LIMIT %s",
                           [last, batch])
            rows = cursor.fetchall()
            if not rows:
                return done
            updates = [[crypto.id_tail_hash(crypto.decrypt(token)), pk]
                       for pk, token in rows if token]
            if updates:
                cursor.executemany(f"UPDATE {table} SET {qn('id_tail_hash')} = %s "  # noqa: S608
                                   f"WHERE {qn('id')} = %s", updates)
            done += len(updates)
            last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0023_delivery_clock_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="id_tail_hash",
            field=cases.crypto.KeyedTailHashField(
                db_index=True, null=True, source="id_number",
                verbose_name="身份号码后六位检索摘要"),
        ),
        migrations.RunPython(fill_id_tail_hashes, migrations.RunPython.noop),
    ]
