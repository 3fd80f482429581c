"""Encryption at rest of ID numbers, phones, bank accounts and health data (cases/crypto.py).

The stored columns hold Fernet tokens, ID numbers are found and kept unique through their keyed
hash, keys rotate without losing a value, production refuses to start without keys, and — on
PostgreSQL — a `pg_dump` of the demo data contains none of the demo's numbers in clear.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from cases import crypto, idnumber
from cases.models import Household, Person, StaffRelative
from cases.models.relatives import StaffPost
from cases.permissions import Role
from tests.factories import HouseholdFactory, PersonFactory, make_user

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
HASH_KEY_1 = "hash-key-one-" + "1" * 40
HASH_KEY_2 = "hash-key-two-" + "2" * 40


def raw_row(table: str, pk: int, *columns: str) -> tuple:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)} "  # noqa: S608
                       "WHERE id = %s", [pk])
        return cursor.fetchone()


def clear_cache(model_instance):
    return type(model_instance).objects.get(pk=model_instance.pk)


# --- What is stored ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_stored_columns_hold_tokens_not_the_clear_values():
    person = PersonFactory(phone="13805391234", health="serious", disability_type="physical",
                           disability_grade=2)
    household = HouseholdFactory(members=[person], bank_account="6228480123456789012")
    stored = raw_row("cases_person", person.pk, "id_number", "phone", "health",
                     "disability_type", "disability_grade", "id_number_hash", "id_tail_hash")
    for value, clear in zip(stored[:5], [person.id_number, "13805391234", "serious",
                                          "physical", "2"], strict=True):
        assert value != clear and str(value).startswith(crypto.TOKEN_PREFIX)
        assert len(clear) < 6 or clear not in value
    assert stored[5] == crypto.id_hash(person.id_number) != person.id_number
    # The tail's hash: its own key, so it equals neither the full hash nor the tail hashed
    # with the full-number key.
    tail = person.id_number[-6:]
    assert stored[6] == crypto.id_tail_hash(person.id_number) == crypto.id_tail_hash(tail)
    assert stored[6] not in (stored[5], crypto.id_hash(tail)) and tail not in stored[6]
    (bank,) = raw_row("cases_household", household.pk, "bank_account")
    assert "6228480123456789012" not in bank and bank.startswith(crypto.TOKEN_PREFIX)

    again = Person.objects.get(pk=person.pk)
    assert (again.id_number, again.phone, again.health, again.disability_type,
            again.disability_grade) == (person.id_number, "13805391234", "serious",
                                        "physical", 2)
    assert again.masked_id == idnumber.mask(person.id_number)
    assert Household.objects.get(pk=household.pk).bank_account == "6228480123456789012"


@pytest.mark.django_db
def test_empty_and_default_values_are_encrypted_too():
    """A blank column would tell who has no disability or no phone."""
    person = PersonFactory()
    stored = raw_row("cases_person", person.pk, "phone", "disability_type", "health",
                     "disability_grade")
    assert all(v.startswith(crypto.TOKEN_PREFIX) for v in stored)
    # The same clear value encrypts differently every time: no frequency analysis.
    other = PersonFactory()
    assert raw_row("cases_person", other.pk, "health") != raw_row("cases_person", person.pk,
                                                                  "health")


# --- Look-ups -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_exact_and_in_lookups_go_through_the_keyed_hash():
    person = PersonFactory(order=11)  # odd order: ends in a digit or X
    number = person.id_number
    typed = " " + number.lower()[:6] + "-" + number.lower()[6:] + " "
    assert list(Person.objects.filter(id_number=typed)) == [person]
    assert list(Person.objects.filter(id_number__in=[number, "110101199003077777"])) == [person]
    household = HouseholdFactory(members=[person])
    assert list(Household.objects.filter(memberships__person__id_number=number)) == [household]
    sql = str(Person.objects.filter(id_number=number).query)
    assert "id_number_hash" in sql and number not in sql


@pytest.mark.django_db
def test_the_admin_finds_a_person_and_a_declared_relative_by_full_id_number(admin_client,
                                                                           township_a):
    person = PersonFactory(name="赵玉兰")
    PersonFactory(name="钱玉兰")
    StaffRelative.objects.create(
        staff_name="王晓燕", post=StaffPost.TOWNSHIP_STAFF, township=township_a,
        relative_name="赵玉兰", relative_id_number=person.id_number, relationship="sibling",
        declared_on=dt.date(2026, 1, 5), recorded_by=make_user("rec", Role.CLERK))
    page = admin_client.get("/admin/cases/person/", {"q": person.id_number.lower()})
    assert page.status_code == 200
    assert "赵玉兰" in page.content.decode() and "钱玉兰" not in page.content.decode()
    page = admin_client.get("/admin/cases/staffrelative/", {"q": person.id_number})
    assert page.status_code == 200 and "赵玉兰" in page.content.decode()


@pytest.mark.django_db
def test_lookups_the_database_cannot_do_are_refused_not_silently_empty():
    for lookup in ("id_number__startswith", "phone", "phone__contains", "health",
                   "bank_account__icontains"):
        model = Household if lookup.startswith("bank") else Person
        with pytest.raises(FieldError, match="encrypted"):
            list(model.objects.filter(**{lookup: "1"}))


@pytest.mark.django_db
def test_an_id_number_is_registered_once():
    person = PersonFactory()
    duplicate = Person(name="重复", id_number=person.id_number.lower(), hukou_type="rural")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.message_dict["id_number"] == ["该身份证号码已登记，不能重复录入。"]
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db
def test_relatives_of_staff_are_matched_through_the_hash(township_a, clerk_a, verifier_a,
                                                         leader_a):
    from cases.demo_cases import build_case
    from cases.verification.relatives import flags_for, relative_cases, relative_declare

    clerk = make_user("clerk_rel", Role.CLERK, townships=[township_a])
    household = HouseholdFactory(members=2)
    member = household.current_members()[1].person
    case = build_case("received", household=household, clerk=clerk_a, verifier=verifier_a,
                      leader=leader_a)
    declaration = relative_declare(
        by=clerk, staff_user=clerk, staff_name="王晓燕", post=StaffPost.TOWNSHIP_STAFF,
        township=township_a, relative_name=member.name,
        relative_id_number=member.id_number.lower(), relationship="sibling",
        declared_on=dt.date(2026, 1, 5))
    (stored,) = raw_row("cases_staffrelative", declaration.pk, "relative_id_number")
    assert member.id_number not in stored
    assert [f.declaration for f in flags_for(case)] == [declaration]
    assert list(relative_cases()) == [case]
    assert StaffRelative.objects.filter(relative_id_number=member.id_number).count() == 1


# --- Keys and rotation ----------------------------------------------------------------------


@pytest.mark.django_db
def test_rotation_re_encrypts_with_the_new_key_and_the_old_key_can_go():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        people = [PersonFactory(phone=f"1380539{i:04d}") for i in range(5)]
        household = HouseholdFactory(members=people[:1], bank_account="6228480000000001")
        before = raw_row("cases_person", people[0].pk, "id_number")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]), pytest.raises(ImproperlyConfigured):
        Person.objects.get(pk=people[0].pk)  # control: B alone cannot read A's tokens
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        with pytest.raises(CommandError):
            call_command("rotate_field_keys", "--check", stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("rotate_field_keys", "--batch", "2", stdout=open(os.devnull, "w"))  # noqa: SIM115
        call_command("rotate_field_keys", "--check", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert raw_row("cases_person", people[0].pk, "id_number") != before
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        for person in people:
            again = Person.objects.get(pk=person.pk)
            assert (again.id_number, again.phone) == (person.id_number, person.phone)
            assert Person.objects.get(id_number=person.id_number) == again
        assert Household.objects.get(pk=household.pk).bank_account == "6228480000000001"


@pytest.mark.django_db
def test_a_new_hash_key_needs_a_rehash_from_the_decrypted_numbers():
    with override_settings(ID_HASH_KEY=HASH_KEY_1):
        person = PersonFactory()
        old_tail = crypto.id_tail_hash(person.id_number)
    with override_settings(ID_HASH_KEY=HASH_KEY_2):
        assert not Person.objects.filter(id_number=person.id_number).exists()  # control
        assert crypto.id_tail_hash(person.id_number) != old_tail  # control: a new tail key
        call_command("rotate_field_keys", "--rehash", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert Person.objects.get(id_number=person.id_number) == person
        assert raw_row("cases_person", person.pk, "id_number_hash")[0] == \
            crypto.id_hash(person.id_number)
        # The tail hash is recomputed with the new key too (its key is derived from it).
        assert raw_row("cases_person", person.pk, "id_tail_hash")[0] == \
            crypto.id_tail_hash(person.id_number)


@pytest.mark.django_db
def test_an_interrupted_rotation_resumes_after_the_last_id():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        people = sorted((PersonFactory() for _ in range(3)), key=lambda p: p.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_field_keys", "--resume", f"cases_person:{people[0].pk}",
                     stdout=open(os.devnull, "w"))  # noqa: SIM115
        token = raw_row("cases_person", people[0].pk, "id_number")[0]
        assert not crypto.encrypted_with_primary(token)  # skipped: before the resume point
        assert crypto.encrypted_with_primary(raw_row("cases_person", people[1].pk,
                                                     "id_number")[0])


def test_the_bulk_encryptor_writes_tokens_fernet_reads():
    seal = crypto.BulkEncryptor()
    tokens = {seal("371302194001010018") for _ in range(3)}
    assert len(tokens) == 3
    assert {crypto.decrypt(t) for t in tokens} == {"371302194001010018"}


BASE = Path(settings.BASE_DIR)


def _production(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DEBUG", "FIELD_ENCRYPTION", "ID_HASH"))}
    env.update({"DJANGO_SETTINGS_MODULE": "lanshan_aid.settings.base", "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "aid.example",
                "AUDIT_HMAC_KEY": secrets.token_urlsafe(40),
                "DOCUMENTS_PUBLIC_BASE_URL": "https://aid.example",
                "VAR_DIR": str(Path(settings.MEDIA_ROOT).parent / "crypto-check-var")})
    env.update(overrides)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=BASE, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_keys_or_with_the_demo_keys():
    good = {"FIELD_ENCRYPTION_KEYS": KEY_A, "ID_HASH_KEY": HASH_KEY_1}
    assert _production(**good).returncode == 0
    for broken in ({"FIELD_ENCRYPTION_KEYS": KEY_A},
                   {"ID_HASH_KEY": HASH_KEY_1},
                   {**good, "FIELD_ENCRYPTION_KEYS": f"{KEY_A},{settings_demo_key()}"}):
        result = _production(**broken)
        assert result.returncode != 0 and "FIELD_ENCRYPTION_KEYS" in result.stderr


def settings_demo_key() -> str:
    from lanshan_aid.settings import base

    return base.DEMO_FIELD_ENCRYPTION_KEY


# --- The database dump ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pg_dump_of_the_demo_holds_no_id_number_phone_or_bank_account_in_clear(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    from cases.demo import TOWNSHIP_B, seed_all
    from tests.factories import township

    # The demo's second verification officer is created in the middle of seed_all, after the
    # demo agreements are filed; with an agreement on file first, every demo case can be built.
    make_user("verifier_b", Role.VERIFIER, townships=[township(TOWNSHIP_B)])
    seed_all()
    household = Household.objects.order_by("pk").first()
    household.bank_account = "6228480402564890018"
    household.save()
    numbers = list(Person.objects.values_list("id_number", flat=True))
    phones = [p for p in Person.objects.values_list("phone", flat=True) if p]
    name = Person.objects.order_by("pk").values_list("name", flat=True).first()
    assert len(numbers) > 100 and len(phones) > 20

    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--no-owner", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    dump = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                          check=True).stdout

    assert name in dump  # control: the dump has the data, in clear where not encrypted
    leaked = [n for n in numbers if n in dump] + [p for p in phones if p in dump]
    assert leaked == []
    assert "6228480402564890018" not in dump
    # The demo's payee accounts and its pending account change (old and new numbers).
    from cases.models import AccountChange

    accounts = [a for a in Household.objects.values_list("bank_account", flat=True) if a]
    change = AccountChange.objects.get()
    accounts += [change.old["bank_account"], change.new["bank_account"]]
    assert len(accounts) > 10 and [a for a in accounts if a in dump] == []
