"""A known ID number typed into a household form does not silently rewrite that person.

The stored details of a registered person who is not a current member of the household are
only replaced after the clerk has seen them beside what was typed and confirmed it per member;
every change of a registered person is recorded (PersonChange), encrypted; the live ID check
names a registered person (masked) only within the clerk's townships.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import idnumber
from cases.households import (
    KNOWN_KEEP,
    KNOWN_UPDATE,
    KnownPersonMismatch,
    describe_change,
    household_save,
    mask_name,
)
from cases.models import AccessLog, Household, Membership, Person, PersonChange
from tests.cases.test_household_views import browser_form, new_household_data
from tests.factories import HouseholdFactory, PersonFactory
from tests.security.hostile_files import png

pytestmark = pytest.mark.django_db

NEW_HEAD = {"name": "孙立新", "id_number": idnumber.make_number("371302", dt.date(1975, 6, 1), 31),
            "relationship": "head"}


@pytest.fixture
def former(household_a) -> Person:
    """The spouse of household_a, who has left it: registered, no current household."""
    membership = household_a.memberships.exclude(person=household_a.head).get()
    membership.ended_on = dt.date(2026, 1, 5)
    membership.save()
    person = membership.person
    person.name, person.phone, person.health = "张秀英", "13812345678", "chronic"
    person.save()
    return person


def post_new(client, village, members):
    return client.post(reverse("household_create"), new_household_data(client, village, members))


def text_of(response) -> str:
    return response.content.decode()


def raw_change_rows() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT fields, changes FROM cases_personchange")
        return list(cursor.fetchall())


# --- Household form ---------------------------------------------------------------------


def test_a_known_number_with_another_name_is_refused_showing_both_and_nothing_is_written(
        client, clerk_a, village_a, former):
    client.force_login(clerk_a)
    households, memberships = Household.objects.count(), Membership.objects.count()
    response = post_new(client, village_a, [
        NEW_HEAD, {"name": "张秀音", "id_number": former.id_number, "relationship": "spouse",
                   "health": "chronic", "phone": "13812345678"}])
    assert response.status_code == 400
    text = text_of(response)
    assert "张秀英" in text and "张秀音" in text  # stored and typed name side by side
    assert former.masked_id in text
    assert "最可能是身份证号码或姓名录入有误" in text
    assert "确认以本次填写为准更新该成员信息" in text and "沿用已登记的信息" in text
    assert "本次未保存" in text
    assert Household.objects.count() == households
    assert Membership.objects.count() == memberships
    assert not Person.objects.filter(id_number=NEW_HEAD["id_number"]).exists()
    former.refresh_from_db()
    assert former.name == "张秀英"
    assert not PersonChange.objects.exists()


def test_every_differing_field_is_listed_with_the_stored_phone_masked_and_the_typed_in_full(
        client, clerk_a, village_a, former):
    client.force_login(clerk_a)
    response = post_new(client, village_a, [
        NEW_HEAD, {"name": "张秀英", "id_number": former.id_number, "relationship": "spouse",
                   "phone": "13900001111", "health": "healthy"}])
    assert response.status_code == 400
    known = response.context["formset"].forms[1].known_person
    assert {d.field: (d.stored, d.typed) for d in known.differences} == {
        "phone": ("138****5678", "13900001111"), "health": ("患慢性病", "健康")}
    text = text_of(response)
    assert "138****5678" in text and "13900001111" in text
    assert "13812345678" not in text
    assert "最可能是" not in text  # the name agrees: no hint of a typing error


def test_the_confirmed_update_writes_and_is_recorded_once(client, clerk_a, village_a, former):
    client.force_login(clerk_a)
    refused = post_new(client, village_a, [
        NEW_HEAD, {"name": "张秀音", "id_number": former.id_number, "relationship": "spouse",
                   "health": "chronic", "phone": "13812345678"}])
    data = browser_form(refused)  # what the re-rendered page posts back, with its reference
    assert data["m-1-known_ref"]
    data["m-1-known"] = KNOWN_UPDATE
    response = client.post(reverse("household_create"), data)
    assert response.status_code == 302
    former.refresh_from_db()
    assert former.name == "张秀音"
    household = Household.objects.latest("id")
    assert household.current_members().filter(person=former).exists()
    change = PersonChange.objects.get()
    assert change.person == former and change.by == clerk_a and change.confirmed
    assert change.source == PersonChange.Source.HOUSEHOLD and change.household == household
    assert change.fields == "name"
    assert change.changes == {"name": ["张秀英", "张秀音"]}
    assert describe_change(change) == ["姓名：张秀英 → 张秀音"]

    # Saving the household again as it now stands changes nothing and records nothing.
    url = reverse("household_edit", args=[household.pk])
    assert client.post(url, browser_form(client.get(url))).status_code == 302
    assert PersonChange.objects.count() == 1


def test_keeping_the_stored_details_saves_the_household_without_changing_the_person(
        client, clerk_a, village_a, former):
    client.force_login(clerk_a)
    refused = post_new(client, village_a, [
        NEW_HEAD, {"name": "张秀音", "id_number": former.id_number, "relationship": "spouse"}])
    data = browser_form(refused)
    data["m-1-known"] = KNOWN_KEEP
    response = client.post(reverse("household_create"), data)
    assert response.status_code == 302
    former.refresh_from_db()
    assert (former.name, former.phone, former.health) == ("张秀英", "13812345678", "chronic")
    assert Household.objects.latest("id").current_members().filter(person=former).exists()
    assert not PersonChange.objects.exists()


def test_a_confirmation_for_other_values_than_those_shown_is_not_taken(
        client, clerk_a, village_a, former):
    client.force_login(clerk_a)
    refused = post_new(client, village_a, [
        NEW_HEAD, {"name": "张秀音", "id_number": former.id_number, "relationship": "spouse",
                   "health": "chronic", "phone": "13812345678"}])
    data = browser_form(refused)
    data["m-1-known"] = KNOWN_UPDATE
    data["m-1-name"] = "李四"  # changed after the comparison was shown
    response = client.post(reverse("household_create"), data)
    assert response.status_code == 400
    assert "李四" in text_of(response)
    former.refresh_from_db()
    assert former.name == "张秀英"
    assert not PersonChange.objects.exists()


def test_identical_details_need_no_confirmation(client, clerk_a, village_a, former):
    client.force_login(clerk_a)
    response = post_new(client, village_a, [
        NEW_HEAD, {"name": "张秀英", "id_number": former.id_number, "relationship": "spouse",
                   "phone": "13812345678", "health": "chronic"}])
    assert response.status_code == 302
    assert Household.objects.latest("id").current_members().filter(person=former).exists()
    assert not PersonChange.objects.exists()


def test_a_blank_phone_for_a_registered_person_keeps_the_stored_one(client, clerk_a, village_a,
                                                                    former):
    client.force_login(clerk_a)
    response = post_new(client, village_a, [
        NEW_HEAD, {"name": "张秀英", "id_number": former.id_number, "relationship": "spouse",
                   "health": "chronic"}])
    assert response.status_code == 302
    former.refresh_from_db()
    assert former.phone == "13812345678"
    assert not PersonChange.objects.exists()


def test_editing_a_current_members_details_is_recorded_without_plaintext(
        client, clerk_a, household_a):
    client.force_login(clerk_a)
    url = reverse("household_edit", args=[household_a.pk])
    data = browser_form(client.get(url))
    head = household_a.head
    index = next(k for k, v in data.items() if v == head.id_number).split("-")[1]
    data[f"m-{index}-phone"] = "13955556666"
    data[f"m-{index}-health"] = "serious"
    response = client.post(url, data)
    assert response.status_code == 302  # the edit form showed the stored details
    change = PersonChange.objects.get()
    assert change.person == head and not change.confirmed
    assert set(change.fields.split(",")) == {"phone", "health"}
    assert change.changes["phone"] == ["", "13955556666"]
    [(fields, raw)] = raw_change_rows()
    assert "phone" in fields
    for secret in ("13955556666", "serious", head.id_number):
        assert secret not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token


def test_a_person_in_another_household_is_still_refused_outright(client, clerk_a, village_a,
                                                                 household_a):
    client.force_login(clerk_a)
    taken = household_a.head
    response = post_new(client, village_a, [
        NEW_HEAD, {"name": "另一个名字", "id_number": taken.id_number, "relationship": "spouse"}])
    errors = response.context["formset"].non_form_errors()
    assert "另一户的在册成员" in errors[0]
    assert not hasattr(response.context["formset"].forms[1], "known_person")


def test_the_service_refuses_before_writing_anything(village_a, former, clerk_a):
    household = Household(village=village_a, address="兰山区测试路1号", hukou_type="rural")
    with pytest.raises(KnownPersonMismatch) as exc:
        household_save(household=household, members=[
            {**NEW_HEAD, "hukou_type": "rural"},
            {"name": "张秀音", "id_number": former.id_number, "relationship": "spouse"}],
            by=clerk_a)
    assert household.pk is None
    [known] = exc.value.known
    assert known.index == 1 and known.name_differs and known.person == former
    assert known.masked_name == "张*英"


def test_the_change_record_is_append_only(former, clerk_a):
    change = PersonChange.objects.create(person=former, by=clerk_a, source="other",
                                         fields="name", changes={"name": ["a", "b"]})
    with pytest.raises(ValueError):
        change.save()
    with pytest.raises(ValueError):
        change.delete()


# --- Acceptance flow ------------------------------------------------------------------------


def acceptance_post(village, members) -> dict:
    data = {"village": village.pk, "address": "兰山街道测试路88号", "hukou_type": "rural",
            "m-TOTAL_FORMS": str(len(members)), "m-INITIAL_FORMS": "0",
            "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "1000"}
    for i, member in enumerate(members):
        row = {"hukou_type": "rural", "disability_grade": "0", "health": "healthy",
               "labour_capacity": "full", **member}
        data.update({f"m-{i}-{k}": v for k, v in row.items()})
    return data


def test_the_acceptance_flow_refuses_a_mismatch_and_records_a_confirmed_update_once(
        client, clerk_a, village_a, former):
    from cases.forms_acceptance import ID_CARD
    from cases.views.acceptance import DRAFT_KEY

    client.force_login(clerk_a)
    start = reverse("accept_start")
    data = acceptance_post(village_a, [
        NEW_HEAD, {"name": "张秀音", "id_number": former.id_number, "relationship": "spouse",
                   "phone": "13812345678", "health": "chronic"}])
    response = client.post(start, data)
    assert response.status_code == 400
    text = text_of(response)
    assert "张秀英" in text and "张秀音" in text and former.masked_id in text
    assert "最可能是身份证号码或姓名录入有误" in text
    assert DRAFT_KEY not in client.session
    known = response.context["formset"].forms[1].known_person
    assert f'value="{known.ref}"' in text

    data.update({"m-1-known": KNOWN_UPDATE, "m-1-known_ref": known.ref})
    response = client.post(start, data)
    assert response.status_code == 302
    former.refresh_from_db()
    assert former.name == "张秀英", "screen 1 only checks (rolled back)"
    assert not PersonChange.objects.exists()

    token = client.session[DRAFT_KEY]["token"]
    response = client.post(reverse("accept_case"), {
        "token": token, "kind": "dibao", "applicant": "0", "hardship": "户主患病，无稳定收入。",
        "materials": [ID_CARD]})
    assert response.status_code == 302, response.context["form"].errors
    former.refresh_from_db()
    assert former.name == "张秀英", "screen 2 saves nothing either"
    page = SimpleUploadedFile("auth.png", png(40, 30))  # real images: the upload check decodes
    page_2 = SimpleUploadedFile("auth2.png", png(41, 31))
    response = client.post(reverse("accept_sign"), {
        "token": token, "scans": [page, page_2], "scan_for": ["0", "1"],
        "signed_on": timezone.localdate().isoformat()})
    assert response.status_code == 302, response.context["form"].errors
    former.refresh_from_db()
    assert former.name == "张秀音"
    change = PersonChange.objects.get()
    assert change.source == PersonChange.Source.ACCEPTANCE and change.confirmed
    assert change.by == clerk_a and change.fields == "name"


def test_the_acceptance_flow_takes_identical_details_without_confirmation(
        client, clerk_a, village_a, former):
    client.force_login(clerk_a)
    response = client.post(reverse("accept_start"), acceptance_post(village_a, [
        NEW_HEAD, {"name": "张秀英", "id_number": former.id_number, "relationship": "spouse",
                   "phone": "13812345678", "health": "chronic"}]))
    assert response.status_code == 302


# --- Live ID check ------------------------------------------------------------------------


def id_check(client, number) -> str:
    response = client.get(reverse("id_check"), {"m-0-id_number": number})
    assert response.status_code == 200
    return text_of(response)


def test_the_id_check_names_a_member_in_scope_by_masked_name_and_village(
        client, clerk_a, household_a):
    client.force_login(clerk_a)
    head = household_a.head
    text = id_check(client, head.id_number)
    assert f"“{mask_name(head.name)}”" in text
    assert household_a.village.short_name in text
    assert head.name not in text
    log = AccessLog.objects.get(object_type="person")
    assert log.user == clerk_a and head.id_number not in log.detail


def test_the_id_check_says_only_another_township_outside_scope(client, clerk_b, household_a):
    client.force_login(clerk_b)
    head = household_a.head
    text = id_check(client, head.id_number)
    assert "其他镇街" in text
    assert mask_name(head.name) not in text and head.name not in text
    assert household_a.village.short_name not in text
    assert household_a.village.township.name not in text


def test_the_id_check_names_a_person_without_a_current_household_within_her_township(
        client, clerk_a, clerk_b, former):
    client.force_login(clerk_a)
    text = id_check(client, former.id_number)
    assert "“张*英”" in text and "目前不在任何在册家庭" in text
    assert former.phone not in text
    client.force_login(clerk_b)  # her last household is in township A
    text = id_check(client, former.id_number)
    assert "其他镇街" in text and "张*英" not in text and "目前不在" not in text


def test_the_id_check_says_nothing_of_an_unknown_number(client, clerk_a, household_a):
    client.force_login(clerk_a)
    text = id_check(client, NEW_HEAD["id_number"])
    assert "号码有效" in text and "已登记" not in text
    assert not AccessLog.objects.filter(object_type="person").exists()


# --- Admin --------------------------------------------------------------------------------


def test_a_change_in_the_admin_is_recorded(client, superuser):
    person = PersonFactory(phone="13811112222")
    HouseholdFactory(members=[person])
    client.force_login(superuser)
    url = reverse("admin:cases_person_change", args=[person.pk])
    data = browser_form(client.get(url))
    data["name"] = "王改名"
    data["phone"] = "13833334444"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = PersonChange.objects.get()
    assert change.source == PersonChange.Source.ADMIN and change.by == superuser
    assert set(change.fields.split(",")) == {"name", "phone"}
    assert "联系电话：138****2222 → 138****4444" in "；".join(describe_change(change))
    page = client.get(reverse("admin:cases_personchange_change", args=[change.pk]))
    assert page.status_code == 200
    assert "13833334444" not in text_of(page) and "138****4444" in text_of(page)


def test_the_audit_administrator_reads_the_change_records_and_changes_nothing(client, former,
                                                                              clerk_a):
    from cases.management.commands.sync_roles import sync_roles
    from cases.permissions import Role
    from tests.factories import make_user

    sync_roles()
    auditor = make_user("admin_audit", Role.AUDITOR, is_staff=True)
    change = PersonChange.objects.create(person=former, by=clerk_a, source="household",
                                         fields="phone",
                                         changes={"phone": ["13812345678", "13900001111"]})
    client.force_login(auditor)
    assert client.get(reverse("admin:cases_personchange_changelist")).status_code == 200
    page = client.get(reverse("admin:cases_personchange_change", args=[change.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert "138****5678 → 139****1111" in text_of(page)
    assert "13812345678" not in text_of(page)


def test_key_rotation_re_encrypts_the_change_records(former, clerk_a):
    """`rotate_field_keys` rewrites the encrypted column (the PostgreSQL trigger lets only
    that through); the record still reads the same with the new key alone."""
    import os

    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_a]):
        change = PersonChange.objects.create(person=former, by=clerk_a, source="admin",
                                             fields="phone",
                                             changes={"phone": ["13812345678", ""]})
        [(_, before)] = raw_change_rows()
    keys = [key_b, key_a, *settings.FIELD_ENCRYPTION_KEYS]  # the fixtures' rows too
    with override_settings(FIELD_ENCRYPTION_KEYS=keys), open(os.devnull, "w") as quiet:
        call_command("rotate_field_keys", stdout=quiet)
    [(_, after)] = raw_change_rows()
    assert after != before
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]):
        assert PersonChange.objects.get(pk=change.pk).changes == {"phone": ["13812345678", ""]}


def test_on_postgresql_the_change_record_cannot_be_updated_or_deleted(former, clerk_a):
    from django.db import DatabaseError, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    change = PersonChange.objects.create(person=former, by=clerk_a, source="admin",
                                         fields="name", changes={"name": ["a", "b"]})
    for sql in ("UPDATE cases_personchange SET fields = 'x' WHERE id = %s",
                "UPDATE cases_personchange SET changes = changes WHERE id = %s",
                "DELETE FROM cases_personchange WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [change.pk])
