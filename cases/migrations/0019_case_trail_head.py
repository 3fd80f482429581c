"""Each case's trail head (S17): its last event's number and hash, kept where truncating the
trail shows. On PostgreSQL a trigger refuses deleting a head or moving it backwards.

Existing chains get their head (and their keyed seal) from `manage.py seal_audit_trail`, or
from the first event appended to them afterwards (docs/security.md, "The case trail").
"""

import django.db.models.deletion
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION cases_casetrailhead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'cases_casetrailhead: DELETE is not allowed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.case_id <> OLD.case_id OR NEW.seq <= OLD.seq THEN
        RAISE EXCEPTION 'cases_casetrailhead only moves forward'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cases_casetrailhead_forward_only ON cases_casetrailhead;
CREATE TRIGGER cases_casetrailhead_forward_only BEFORE UPDATE OR DELETE ON cases_casetrailhead
    FOR EACH ROW EXECUTE FUNCTION cases_casetrailhead_forward_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cases_casetrailhead_forward_only ON cases_casetrailhead;
DROP FUNCTION IF EXISTS cases_casetrailhead_forward_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0018_posting_clock_appraisal_scan"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseTrailHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("seq", models.PositiveIntegerField(verbose_name="末条事件序号")),
                ("hash", models.CharField(max_length=64, verbose_name="末条事件哈希")),
                ("case", models.OneToOneField(
                    on_delete=django.db.models.deletion.PROTECT, related_name="trail_head",
                    to="cases.case", verbose_name="案件")),
            ],
            options={
                "verbose_name": "案件轨迹末端",
                "verbose_name_plural": "案件轨迹末端",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
