"""On PostgreSQL, forbid UPDATE and DELETE on the sign-in log and on the look-up log.

Both are audit records (等保 8.1.4.3 c): kept at least six months, changed by nobody. The app
offers no way to delete them; these triggers refuse it to any client of the database as well.
TRUNCATE (a test database being reset) is a different statement and is not refused.
"""

from django.db import migrations

TABLES = ("accounts_securityevent", "cases_accesslog")

FUNCTION = """
CREATE OR REPLACE FUNCTION lanshan_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION lanshan_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(TRIGGER.format(table=table), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
                              params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS lanshan_audit_append_only();", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cases", "0001_initial"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
