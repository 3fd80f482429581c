"""The case list finds a case by the tail of its number, within the user's places."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.demo_cases import build_case
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def _found(client, q: str) -> str:
    return client.get(reverse("case_list"), {"q": q}).content.decode()


def _case(village, clerk, verifier, leader):
    return build_case(CaseStatus.RECEIVED, household=HouseholdFactory(village=village),
                      clerk=clerk, verifier=verifier, leader=leader)


def test_the_last_digits_of_the_number_find_the_case(client, village_a, clerk_a, verifier_a,
                                                     leader_a):
    first = _case(village_a, clerk_a, verifier_a, leader_a)
    second = _case(village_a, clerk_a, verifier_a, leader_a)
    client.force_login(clerk_a)
    tail = second.number[-5:]
    html = _found(client, tail)
    assert second.number in html and first.number not in html
    assert second.number in _found(client, second.number[-8:].lower())  # "db-00002"
    assert second.number in _found(client, second.number[-3:])  # three characters: searched


def test_two_characters_are_too_few_for_a_tail(client, village_a, clerk_a, verifier_a,
                                               leader_a):
    case = _case(village_a, clerk_a, verifier_a, leader_a)
    client.force_login(clerk_a)
    assert case.number not in _found(client, case.number[-2:])


def test_a_tail_never_finds_a_case_of_another_township(client, village_a, village_b, clerk_a,
                                                       clerk_b, verifier_a, leader_a):
    theirs = _case(village_b, clerk_b, verifier_a, leader_a)
    client.force_login(clerk_a)
    assert theirs.number not in _found(client, theirs.number[-5:])
