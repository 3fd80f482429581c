"""On PostgreSQL, refuse UPDATE and DELETE of issued documents in the database itself (S17).

The model already refuses `save()` on an existing row and `delete()`; the trigger also stops
`QuerySet.update()`, raw SQL and the admin. TRUNCATE (used by test database flushes) is not a
row operation and is unaffected. Other databases rely on the model checks.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION documents_issueddocument_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '已出具的文书不能修改或删除（%）', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS documents_issueddocument_immutable ON documents_issueddocument;
CREATE TRIGGER documents_issueddocument_immutable
    BEFORE UPDATE OR DELETE ON documents_issueddocument
    FOR EACH ROW EXECUTE FUNCTION documents_issueddocument_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS documents_issueddocument_immutable ON documents_issueddocument;
DROP FUNCTION IF EXISTS documents_issueddocument_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
