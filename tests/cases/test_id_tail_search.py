"""Search by the last six characters of an ID number — what a clerk reads off a receipt or
hears on the phone — on the case list, the household list (both behind the workspace's search
box) and the API: found through the keyed tail hash, only among the user's places."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cases import crypto, idnumber, search
from cases.demo_cases import build_case
from cases.models import AccessLog, CaseNumberCounter, Person
from cases.workflow import CaseKind, CaseStatus
from tests.factories import LANSHAN, HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

fill_migration = importlib.import_module("cases.migrations.0024_person_id_tail_hash")


def same_tail(number: str) -> str:
    """Another valid number with the same last six characters (born in another month and
    year: the check digit decides, so a few are tried)."""
    day, order = int(number[12:14]), int(number[14:17])
    for year in range(1920, 1940):  # the factory's people are born 1940–1989
        for month in range(1, 13):
            try:
                other = idnumber.make_number(LANSHAN, dt.date(year, month, day), order)
            except ValueError:
                continue
            if other[-6:] == number[-6:]:
                return other
    raise AssertionError("no number with the same tail")


def ending_in_x() -> str:
    for order in range(1000):
        number = idnumber.make_number(LANSHAN, dt.date(1938, 5, 17), order)
        if number.endswith("X"):
            return number
    raise AssertionError("no number ending in X")


def _case(village, staff, *people):
    household = HouseholdFactory(village=village, members=[*people, PersonFactory()]
                                 if people else 2)
    return build_case(CaseStatus.RECEIVED, household=household, **staff)


def case_list(client, q: str) -> list[int]:
    return [c.pk for c in client.get(reverse("case_list"), {"q": q}).context["page"]]


def household_list(client, q: str) -> list[int]:
    return [h.pk for h in client.get(reverse("home"), {"q": q}).context["page"].object_list]


def api_cases(client, q: str) -> list[int]:
    response = client.get(reverse("api:case_list"), {"q": q})
    assert response.status_code == 200
    return [c["id"] for c in response.json()["results"]]


def api_households(client, q: str) -> list[int]:
    response = client.get(reverse("api:household_list"), {"q": q})
    assert response.status_code == 200
    return [h["id"] for h in response.json()["results"]]


def test_the_tail_finds_the_applicants_case_and_household_on_every_search(
        client, village_a, staff, clerk_a):
    case = _case(village_a, staff)
    _case(village_a, staff)  # another case in scope, not found
    tail = case.applicant.id_number[-6:]
    client.force_login(clerk_a)
    assert case_list(client, tail) == [case.pk]
    assert household_list(client, tail) == [case.household_id]
    assert api_cases(client, tail) == [case.pk]
    assert api_households(client, tail) == [case.household_id]
    # A member who is not the applicant: their household, not the case.
    spouse = case.household.memberships.order_by("pk")[1].person
    assert household_list(client, spouse.id_number[-6:]) == [case.household_id]
    assert case_list(client, spouse.id_number[-6:]) == []


def test_the_workspace_box_hands_the_tail_to_the_case_and_household_lists(client, clerk_a):
    client.force_login(clerk_a)
    html = client.get(reverse("clerk_home")).content.decode()
    assert f'action="{reverse("case_list")}"' in html
    assert f'formaction="{reverse("home")}"' in html and "后6位" in html


def test_everyone_sharing_the_tail_in_scope_is_found(client, village_a, staff, clerk_a):
    first = _case(village_a, staff)
    second = _case(village_a, staff, PersonFactory(id_number=same_tail(
        first.applicant.id_number)))
    assert first.applicant.id_number != second.applicant.id_number
    client.force_login(clerk_a)
    tail = first.applicant.id_number[-6:]
    assert sorted(case_list(client, tail)) == sorted([first.pk, second.pk])
    assert sorted(household_list(client, tail)) == sorted([first.household_id,
                                                           second.household_id])


@pytest.mark.clause("S1")
def test_a_person_of_another_township_with_the_same_tail_is_not_found(
        client, village_a, village_b, staff, clerk_a, clerk_b):
    ours = _case(village_a, staff)
    number = same_tail(ours.applicant.id_number)
    theirs = _case(village_b, {**staff, "clerk": clerk_b}, PersonFactory(id_number=number))
    tail = number[-6:]
    client.force_login(clerk_a)
    assert case_list(client, tail) == [ours.pk]
    assert household_list(client, tail) == [ours.household_id]
    assert api_cases(client, tail) == [ours.pk]
    assert api_households(client, tail) == [ours.household_id]
    client.force_login(clerk_b)  # and the other way round
    assert case_list(client, tail) == [theirs.pk]
    assert household_list(client, tail) == [theirs.household_id]
    assert api_cases(client, tail) == [theirs.pk]
    assert api_households(client, tail) == [theirs.household_id]


@pytest.mark.parametrize("length", [5, 7])
def test_five_or_seven_characters_are_no_tail(client, village_a, staff, clerk_a, length):
    case = _case(village_a, staff)
    typed = case.applicant.id_number[-length:]
    assert search.id_tail(typed) is None
    client.force_login(clerk_a)
    assert case_list(client, typed) == []
    assert household_list(client, typed) == []
    assert api_cases(client, typed) == []
    assert api_households(client, typed) == []


@pytest.mark.parametrize("typed", ["upper", "lower", "full-width"])
def test_a_tail_ending_in_x_is_found_however_the_x_is_typed(client, village_a, staff, clerk_a,
                                                           typed):
    number = ending_in_x()
    case = _case(village_a, staff, PersonFactory(id_number=number))
    tail = {"upper": number[-6:], "lower": number[-6:].lower(),
            "full-width": "".join(chr(ord(ch) + 0xFEE0) for ch in number[-6:].lower())}[typed]
    client.force_login(clerk_a)
    assert case_list(client, tail) == [case.pk]
    assert household_list(client, tail) == [case.household_id]
    assert api_cases(client, tail) == [case.pk]
    assert api_households(client, tail) == [case.household_id]


def test_a_tail_that_is_also_a_case_numbers_tail_finds_both(client, village_a, staff,
                                                             clerk_a):
    person = PersonFactory(id_number=idnumber.make_number(LANSHAN, dt.date(1937, 4, 21), 345))
    owner = _case(village_a, staff, person)
    tail = person.id_number[-6:]  # "21345…": also the tail of case number …-DB-21345…
    year = timezone.localdate().year
    for y in (year - 1, year):
        CaseNumberCounter.objects.update_or_create(
            township=village_a.township, year=y, kind=CaseKind.DIBAO,
            defaults={"last": int(tail) - 1})
    by_number = _case(village_a, staff)
    assert by_number.number.endswith(f"-{tail}")
    client.force_login(clerk_a)
    assert sorted(case_list(client, tail)) == sorted([owner.pk, by_number.pk])


@pytest.mark.clause("S19")
def test_the_search_is_logged_without_the_whole_tail(client, village_a, staff, clerk_a):
    case = _case(village_a, staff)
    tail = case.applicant.id_number[-6:]
    client.force_login(clerk_a)
    client.get(reverse("case_list"), {"q": tail})
    client.get(reverse("home"), {"q": tail})
    client.get(reverse("api:case_list"), {"q": tail})
    client.get(reverse("api:household_list"), {"q": tail})
    logs = list(AccessLog.objects.filter(user=clerk_a, action=AccessLog.Action.SEARCH)
                .order_by("pk").values_list("object_type", "detail"))
    assert [t for t, _ in logs] == ["case", "household", "case", "household"]
    for _, detail in logs:
        assert tail not in detail and detail.endswith(f"**{tail[-4:]}")


@pytest.mark.clause("S19")
def test_a_whole_id_number_searched_is_logged_alike_on_every_list(client, village_a, staff,
                                                                   clerk_a):
    number = _case(village_a, staff).applicant.id_number
    client.force_login(clerk_a)
    client.get(reverse("case_list"), {"q": number})
    client.get(reverse("home"), {"q": number})
    client.get(reverse("api:case_list"), {"q": number})
    client.get(reverse("api:household_list"), {"q": number})
    details = list(AccessLog.objects.filter(user=clerk_a, action=AccessLog.Action.SEARCH)
                   .order_by("pk").values_list("detail", flat=True))
    assert len(details) == 4
    for detail in details:
        assert number[6:] not in detail and detail.endswith(f"{number[:6]}…")


def test_after_a_new_hash_key_and_a_rehash_the_tail_still_finds(client, village_a, staff,
                                                                 clerk_a):
    key_1, key_2 = "tail-key-one-" + "1" * 40, "tail-key-two-" + "2" * 40
    with override_settings(ID_HASH_KEY=key_1):
        case = _case(village_a, staff)
    tail = case.applicant.id_number[-6:]
    client.force_login(clerk_a)
    with override_settings(ID_HASH_KEY=key_2):
        assert case_list(client, tail) == []  # control: the stored hash is the old key's
        call_command("rotate_field_keys", "--rehash", stdout=open(os.devnull, "w"))  # noqa: SIM115
        assert case_list(client, tail) == [case.pk]
        assert household_list(client, tail) == [case.household_id]


def test_the_tail_hash_is_kept_in_step_with_the_number_on_every_save():
    person = PersonFactory()
    assert Person.objects.get(pk=person.pk).id_tail_hash == crypto.id_tail_hash(
        person.id_number)
    person.id_number = ending_in_x().lower()
    person.save()
    assert search.people_with_id_tail(person.id_number[-6:]).get() == person
    bulk = Person.objects.bulk_create([PersonFactory.build()])[0]
    assert search.people_with_id_tail(bulk.id_number[-6:]).filter(pk=bulk.pk).exists()


def test_the_migration_fills_the_tail_hash_of_existing_people():
    people = [PersonFactory() for _ in range(5)]
    Person.objects.update(id_tail_hash=None)  # as before the migration
    assert not search.people_with_id_tail(people[0].id_number[-6:]).exists()  # control
    editor = SimpleNamespace(connection=connection)
    assert fill_migration.fill_id_tail_hashes(None, editor, batch=2) == len(people)
    for person in people:
        assert Person.objects.get(pk=person.pk).id_tail_hash == crypto.id_tail_hash(
            person.id_number)
    assert fill_migration.fill_id_tail_hashes(None, editor) == len(people)  # runs again


def test_the_tail_hash_is_never_shown(client, superuser, village_a, staff, clerk_a):
    case = _case(village_a, staff)
    stored = Person.objects.get(pk=case.applicant_id).id_tail_hash
    client.force_login(clerk_a)
    pages = [client.get(reverse("home"), {"q": case.applicant.id_number[-6:]}),
             client.get(case.household.get_absolute_url()),
             client.get(reverse("api:household_detail", args=[case.household_id]))]
    client.force_login(superuser)
    pages.append(client.get(reverse("admin:cases_person_change", args=[case.applicant_id])))
    for response in pages:
        assert response.status_code == 200
        assert stored not in response.content.decode()
