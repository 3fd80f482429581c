"""A person registered in another township is never named, moved or rewritten from here.

The attack: a township-B clerk (枣园镇) types the ID number of a township-A resident (兰山街道)
into a household form, the acceptance screen or the live ID check. Before the fix the answer
named the person and her village; for a former member the comparison showed her stored name,
健康状况 and 劳动能力, and re-posting with `known=update` and the returned `known_ref` moved her
into 枣园镇 and rewrote her details. Now every path says only "在其他镇街登记" with the number the
clerk typed (masked), nothing is written, and moving her goes through township A.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from cases import idnumber
from cases.households import (
    KNOWN_UPDATE,
    HouseholdError,
    _ref,
    household_save,
    mask_name,
    person_home,
)
from cases.models import AccessLog, Household, Membership, Person, PersonChange
from cases.views.acceptance import DRAFT_KEY
from tests.api.conftest import Api
from tests.cases.test_household_views import browser_form, fill_member, new_household_data
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

NEW_HEAD = {"name": "孙立新", "id_number": idnumber.make_number("371302", dt.date(1975, 6, 1), 31),
            "relationship": "head"}
ELSEWHERE = "在其他镇街登记"


@pytest.fixture
def api(db):
    from django.test import Client

    return Api(Client(enforce_csrf_checks=True))


@pytest.fixture
def current(household_a) -> Person:
    """A current member (the spouse) of a township-A household, with details worth hiding."""
    person = household_a.memberships.exclude(person=household_a.head).get().person
    person.name, person.phone, person.health, person.labour_capacity = (
        "何子轩", "13812345678", "chronic", "partial")
    person.save()
    return person


@pytest.fixture
def former(household_a) -> Person:
    """The spouse of a township-A household who has left it: no current household."""
    membership = household_a.memberships.exclude(person=household_a.head).get()
    membership.ended_on = dt.date(2026, 1, 5)
    membership.save()
    person = membership.person
    person.name, person.phone, person.health, person.labour_capacity = (
        "张秀英", "13812345678", "chronic", "partial")
    person.save()
    return person


def snapshot(person: Person) -> tuple:
    person.refresh_from_db()
    memberships = list(Membership.objects.filter(person=person)
                       .values_list("household_id", "ended_on").order_by("pk"))
    return (person.name, person.phone, person.health, person.labour_capacity, memberships)


def assert_names_nothing(text: str, person: Person, household: Household) -> None:
    assert ELSEWHERE in text
    assert idnumber.mask(person.id_number) in text or "号码有效" in text
    for secret in (person.name, mask_name(person.name), person.phone,
                   household.village.short_name, household.village.township.name):
        assert secret not in text, secret
    # No comparison of stored and typed details (health, labour capacity ...) is shown.
    for words in ("登记的信息与本次填写不一致", "已登记为", "已登记人员的处理",
                  "确认以本次填写为准"):
        assert words not in text, words


def form_data(client, village, members) -> dict:
    """The household form as a browser fills it, at an address naming no other place."""
    return {**new_household_data(client, village, members), "address": "测试路1号"}


def typed(person: Person, **fields) -> dict:
    """The spouse row an attacker types: the victim's number, other values."""
    return {"name": "王某某", "id_number": person.id_number, "relationship": "spouse",
            "health": "healthy", "labour_capacity": "full", **fields}


# --- Household form (/households/new/ and an edit) --------------------------------------------


@pytest.mark.clause("S19")
@pytest.mark.parametrize("who", ["current", "former"])
def test_the_household_form_of_another_township_names_nobody_and_moves_nobody(
        client, request, clerk_b, village_b, household_a, who):
    person = request.getfixturevalue(who)
    before = snapshot(person)
    households = Household.objects.count()
    client.force_login(clerk_b)
    data = form_data(client, village_b, [NEW_HEAD, typed(person)])
    response = client.post(reverse("household_create"), data)
    assert response.status_code in (200, 400)
    text = response.content.decode()
    assert_names_nothing(text, person, household_a)
    assert "须由原登记镇街先结束其在原户的成员资格" in text
    assert re.search(r'value="[0-9a-f]{32}"', text) is None  # no comparison reference
    assert Household.objects.count() == households
    assert snapshot(person) == before


def test_a_confirmation_forged_for_a_former_member_of_another_township_is_refused(
        client, clerk_b, village_b, household_a, former):
    """The attack's second step: `known=update` with the comparison's reference (computed
    here as the old page handed it out) no longer moves or rewrites her."""
    before = snapshot(former)
    client.force_login(clerk_b)
    row = typed(former, phone="13900000000")
    stored_typed = {k: row[k] for k in ("name", "phone", "health", "labour_capacity")}
    ref = _ref(former.id_number, former, {**stored_typed, "hukou_type": "rural",
                                          "disability_grade": 0, "disability_type": "",
                                          "occupation": ""})
    data = form_data(client, village_b, [NEW_HEAD, {**row, "known": KNOWN_UPDATE,
                                                    "known_ref": ref}])
    response = client.post(reverse("household_create"), data)
    assert_names_nothing(response.content.decode(), former, household_a)
    assert snapshot(former) == before
    assert not PersonChange.objects.exists()
    assert not Membership.objects.filter(person=former, household__village=village_b).exists()


def test_typing_the_stored_details_exactly_is_refused_the_same_way(
        client, clerk_b, village_b, household_a, former):
    """No oracle: the answer does not change when the typed details match the stored ones."""
    client.force_login(clerk_b)
    row = typed(former, name=former.name, phone=former.phone, health=former.health,
                labour_capacity=former.labour_capacity)
    response = client.post(reverse("household_create"),
                           form_data(client, village_b, [NEW_HEAD, row]))
    errors = " ".join(response.context["formset"].non_form_errors())
    assert_names_nothing(errors, former, household_a)
    assert "须由原登记镇街先结束其在原户的成员资格" in errors
    assert not Membership.objects.filter(person=former, ended_on__isnull=True).exists()


@pytest.mark.parametrize("who", ["current", "former"])
def test_adding_her_to_an_existing_household_of_township_b_is_refused(
        client, request, clerk_b, household_a, household_b, who):
    person = request.getfixturevalue(who)
    before = snapshot(person)
    client.force_login(clerk_b)
    url = reverse("household_edit", args=[household_b.pk])
    data = browser_form(client.get(url))
    fill_member(data, int(data["m-TOTAL_FORMS"]) - 1, **typed(person))
    response = client.post(url, data)
    assert_names_nothing(response.content.decode(), person, household_a)
    assert snapshot(person) == before
    assert household_b.current_members().count() == 2


# --- Acceptance (/accept/) --------------------------------------------------------------------


def acceptance_post(village, members) -> dict:
    data = {"village": village.pk, "address": "枣园镇测试路8号", "hukou_type": "rural",
            "m-TOTAL_FORMS": str(len(members)), "m-INITIAL_FORMS": "0",
            "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "1000"}
    for i, member in enumerate(members):
        row = {"hukou_type": "rural", "disability_grade": "0", "health": "healthy",
               "labour_capacity": "full", **member}
        data.update({f"m-{i}-{k}": v for k, v in row.items()})
    return data


@pytest.mark.parametrize("who", ["current", "former"])
def test_acceptance_of_another_townships_resident_names_nobody_and_keeps_no_draft(
        client, request, clerk_b, village_b, household_a, who):
    person = request.getfixturevalue(who)
    before = snapshot(person)
    client.force_login(clerk_b)
    response = client.post(reverse("accept_start"),
                           acceptance_post(village_b, [NEW_HEAD, typed(person)]))
    assert response.status_code == 400
    assert_names_nothing(response.content.decode(), person, household_a)
    assert DRAFT_KEY not in client.session
    assert snapshot(person) == before


@pytest.mark.parametrize("who", ["current", "former"])
def test_the_service_refuses_a_user_outside_her_places_before_writing(
        request, clerk_b, village_b, household_a, who):
    """What screen 2 of the acceptance runs (`household_save` with the clerk as `by`)."""
    person = request.getfixturevalue(who)
    before = snapshot(person)
    household = Household(village=village_b, address="枣园镇测试路9号", hukou_type="rural")
    with pytest.raises(HouseholdError) as exc:
        household_save(household=household, members=[
            {**NEW_HEAD, "hukou_type": "rural"},
            {**typed(person), "hukou_type": "rural", "known": KNOWN_UPDATE}], by=clerk_b)
    assert household.pk is None
    assert_names_nothing(" ".join(exc.value.messages), person, household_a)
    assert snapshot(person) == before


def test_within_her_township_a_former_member_is_still_offered_the_comparison(
        client, clerk_a, village_a, household_a, former):
    """The guard is about places: township A's clerk keeps the known-person flow."""
    client.force_login(clerk_a)
    response = client.post(reverse("household_create"),
                           form_data(client, village_a, [NEW_HEAD, typed(former)]))
    assert response.status_code == 400
    text = response.content.decode()
    assert "张秀英" in text and ELSEWHERE not in text


def test_an_assistant_cannot_take_a_former_member_of_another_village(
        client, assistant_a, village_a, household_a2):
    """An assistant's places are their villages: another village of the same township is
    outside them, and the refusal says so without naming the person."""
    membership = household_a2.memberships.get()
    membership.ended_on = dt.date(2026, 1, 5)
    membership.save()
    person = membership.person
    client.force_login(assistant_a)
    response = client.post(reverse("household_create"), form_data(
        client, village_a, [{**typed(person), "relationship": "head"}]))
    text = response.content.decode()
    assert "在您负责的村(社区)以外登记" in text
    assert person.name not in text and household_a2.village.short_name not in text
    assert not Membership.objects.filter(person=person, ended_on__isnull=True).exists()


def test_the_home_of_a_former_member_is_her_last_household(household_a, former):
    later = HouseholdFactory(village=household_a.village, members=1)
    Membership.objects.create(household=later, person=former, relationship="spouse",
                              ended_on=dt.date(2026, 3, 1))
    assert person_home(former) == later
    assert person_home(PersonFactory()) is None


# --- Live ID check (/id-check/) ---------------------------------------------------------------


@pytest.mark.clause("S19")
@pytest.mark.parametrize("who", ["current", "former"])
def test_the_id_check_says_only_another_township(client, request, clerk_b, household_a, who):
    person = request.getfixturevalue(who)
    client.force_login(clerk_b)
    response = client.get(reverse("id_check"), {"m-0-id_number": person.id_number})
    assert response.status_code == 200
    text = response.content.decode()
    assert_names_nothing(text, person, household_a)
    assert "目前不在任何在册家庭" not in text and "在册家庭成员" not in text
    assert AccessLog.objects.filter(object_type="person", user=clerk_b).exists()


# --- API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["current", "former"])
def test_the_api_finds_nobody_of_another_township_by_number(
        api, request, clerk_b, household_a, who):
    person = request.getfixturevalue(who)
    api.login(clerk_b)
    for path in ("/api/households/", "/api/cases/"):
        response = api.get(path, q=person.id_number)
        assert response.status_code == 200
        body = response.content.decode()
        assert response.json()["count"] == 0, path
        assert person.name not in body and household_a.village.short_name not in body


@pytest.mark.parametrize("who", ["current", "former"])
def test_the_acceptance_lookup_finds_nothing_of_another_township(client, request, clerk_b,
                                                                 household_a, who):
    person = request.getfixturevalue(who)
    client.force_login(clerk_b)
    for number in (person.id_number, household_a.head.id_number):
        response = client.get(reverse("accept_lookup"), {"head_id": number})
        assert response.status_code == 200
        assert response.json()["found"] is False
        body = response.content.decode("unicode_escape")
        assert person.name not in body and household_a.head.name not in body
        assert household_a.village.short_name not in body
