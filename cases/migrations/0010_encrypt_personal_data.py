"""Encryption at rest (cases/crypto.py, docs/security.md "Encryption at rest").

ID numbers, phone numbers, bank accounts, health and disability details and the home-visit
health notes become Fernet tokens in text columns; ID numbers also get their keyed hash
(HMAC-SHA256 with ID_HASH_KEY), which takes over the uniqueness of `Person.id_number` and the
active-declaration constraint of `StaffRelative`. Existing rows are encrypted and hashed in
place with the keys in the settings; reversing decrypts them back to clear text.
"""

from django.db import migrations, models

import cases.crypto
import cases.idnumber
import cases.models.people

PERSON = ["id_number", "phone", "disability_grade", "disability_type", "health"]


def encrypt(apps, schema_editor):
    connection = schema_editor.connection
    crypto = cases.crypto
    crypto.rewrite_all(connection, "cases_person", PERSON, crypto.encrypt_if_clear,
                       hashes=(("id_number_hash", "id_number"),))
    crypto.rewrite_all(connection, "cases_staffrelative", ["relative_id_number"],
                       crypto.encrypt_if_clear,
                       hashes=(("relative_id_number_hash", "relative_id_number"),))
    crypto.rewrite_all(connection, "cases_household", ["bank_account"], crypto.encrypt_if_clear)
    crypto.rewrite_all(connection, "cases_homevisit", ["member_conditions"],
                       crypto.encrypt_if_clear)


def decrypt(apps, schema_editor):
    connection = schema_editor.connection
    crypto = cases.crypto
    crypto.rewrite_all(connection, "cases_person", PERSON, crypto.decrypt)
    crypto.rewrite_all(connection, "cases_staffrelative", ["relative_id_number"], crypto.decrypt)
    crypto.rewrite_all(connection, "cases_household", ["bank_account"], crypto.decrypt)
    crypto.rewrite_all(connection, "cases_homevisit", ["member_conditions"], crypto.decrypt)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_case_next_due_and_list_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="staffrelative",
            name="staff_relative_active_uniq",
        ),
        migrations.AddField(
            model_name="person",
            name="id_number_hash",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.AddField(
            model_name="staffrelative",
            name="relative_id_number_hash",
            field=models.CharField(max_length=64, null=True, editable=False),
        ),
        migrations.AlterField(
            model_name="person",
            name="id_number",
            field=cases.crypto.EncryptedCharField(hash_field="id_number_hash", max_length=18, validators=[cases.idnumber.validate_id_number], verbose_name="公民身份号码"),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone",
            field=cases.crypto.EncryptedCharField(blank=True, max_length=20, validators=[cases.models.people.phone_validator], verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="person",
            name="disability_grade",
            field=cases.crypto.EncryptedSmallIntegerField(choices=[(0, "无残疾"), (1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")], default=0, verbose_name="残疾等级"),
        ),
        migrations.AlterField(
            model_name="person",
            name="disability_type",
            field=cases.crypto.EncryptedCharField(blank=True, choices=[("", "无"), ("visual", "视力残疾"), ("hearing", "听力残疾"), ("speech", "言语残疾"), ("physical", "肢体残疾"), ("intellectual", "智力残疾"), ("mental", "精神残疾"), ("multiple", "多重残疾")], default="", max_length=16, verbose_name="残疾类别"),
        ),
        migrations.AlterField(
            model_name="person",
            name="health",
            field=cases.crypto.EncryptedCharField(choices=[("healthy", "健康"), ("chronic", "患慢性病"), ("serious", "患重特大疾病"), ("disabled", "残疾")], default="healthy", max_length=12, verbose_name="健康状况"),
        ),
        migrations.AlterField(
            model_name="household",
            name="bank_account",
            field=cases.crypto.EncryptedCharField(blank=True, max_length=40, verbose_name="银行账号"),
        ),
        migrations.AlterField(
            model_name="staffrelative",
            name="relative_id_number",
            field=cases.crypto.EncryptedCharField(hash_field="relative_id_number_hash", max_length=18, validators=[cases.idnumber.validate_id_number], verbose_name="近亲属公民身份号码"),
        ),
        migrations.AlterField(
            model_name="homevisit",
            name="member_conditions",
            field=cases.crypto.EncryptedJSONField(blank=True, default=list, verbose_name="成员健康与劳动能力"),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
        migrations.AlterField(
            model_name="person",
            name="id_number_hash",
            field=cases.crypto.KeyedHashField(error_messages={"unique": "该身份证号码已登记，不能重复录入。"}, source="id_number", unique=True, verbose_name="身份号码检索摘要"),
        ),
        migrations.AlterField(
            model_name="staffrelative",
            name="relative_id_number_hash",
            field=cases.crypto.KeyedHashField(db_index=True, source="relative_id_number", verbose_name="近亲属身份号码检索摘要"),
        ),
        migrations.AddConstraint(
            model_name="staffrelative",
            constraint=models.UniqueConstraint(condition=models.Q(("ended_on__isnull", True)), fields=("staff_name", "township", "relative_id_number_hash"), name="staff_relative_active_uniq", violation_error_message="该近亲属已由同一备案人备案。"),
        ),
    ]
