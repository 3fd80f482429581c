"""Encryption at rest of the data an issued document was built from, and of the number called
when it could not be delivered (cases/crypto.py, docs/security.md "Encryption at rest").

`IssuedDocument.context` and `.extra` hold the ID numbers, phone numbers and bank accounts as
printed; they become one Fernet token each. Issued documents stay immutable: on PostgreSQL the
trigger still refuses every UPDATE and DELETE, except an UPDATE that changes only these two
encrypted columns inside a transaction that set `lanshan.field_key_rotation` (this migration
and `rotate_field_keys`, through `cases.crypto.allow_token_rewrite`).
"""

from django.db import migrations

import cases.crypto

TRIGGER = """
CREATE OR REPLACE FUNCTION documents_issueddocument_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('lanshan.field_key_rotation', true) = 'on'
       AND (to_jsonb(NEW) - 'context' - 'extra') = (to_jsonb(OLD) - 'context' - 'extra') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '已出具的文书不能修改或删除（%）', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER_BEFORE = """
CREATE OR REPLACE FUNCTION documents_issueddocument_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '已出具的文书不能修改或删除（%）', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def trigger_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def trigger_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_BEFORE, params=None)


def _rewrite(schema_editor, convert):
    connection = schema_editor.connection
    crypto = cases.crypto
    crypto.allow_token_rewrite(connection)
    crypto.rewrite_all(connection, "documents_issueddocument", ["context", "extra"], convert)
    crypto.rewrite_all(connection, "documents_phonenotification", ["phone_number"], convert)


def encrypt(apps, schema_editor):
    _rewrite(schema_editor, cases.crypto.encrypt_if_clear)


def decrypt(apps, schema_editor):
    _rewrite(schema_editor, cases.crypto.decrypt)


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0004_attachments"),
        ("cases", "0010_encrypt_personal_data"),
    ]

    operations = [
        migrations.RunPython(trigger_forwards, trigger_backwards, elidable=False),
        migrations.AlterField(
            model_name="issueddocument",
            name="context",
            field=cases.crypto.EncryptedJSONField(default=dict, verbose_name="出具时数据"),
        ),
        migrations.AlterField(
            model_name="issueddocument",
            name="extra",
            field=cases.crypto.EncryptedJSONField(blank=True, default=dict, verbose_name="出具参数"),
        ),
        migrations.AlterField(
            model_name="phonenotification",
            name="phone_number",
            field=cases.crypto.EncryptedCharField(max_length=20, verbose_name="拨打号码"),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
