"""A village assistant sees the staff-relative declarations (近亲属备案) of their own villages
and their own, never the whole township's: before the fix an assistant's page listed every
declaration of the township (the township staff's relatives, other villages' cadres)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases import idnumber
from cases.models import RelativeKind, StaffPost
from cases.verification import relatives

pytestmark = pytest.mark.django_db


def declare(by, township, staff_name, relative_name, serial, *, staff_user=None, village=None,
            post=StaffPost.TOWNSHIP_STAFF):
    return relatives.relative_declare(
        by=by, staff_user=staff_user, staff_name=staff_name, post=post, township=township,
        village=village, relative_name=relative_name,
        relative_id_number=idnumber.make_number("371302", dt.date(1970, 1, 1), serial),
        relationship=RelativeKind.SIBLING, declared_on=dt.date(2026, 1, 5))


@pytest.fixture
def declarations(clerk_a, assistant_a, township_a, village_a, village_a2):
    return {
        "clerk_own": declare(clerk_a, township_a, "窗口甲", "亲属甲", 11, staff_user=clerk_a),
        "cadre_a": declare(clerk_a, township_a, "支书乙", "亲属乙", 12, village=village_a,
                           post=StaffPost.VILLAGE_CADRE),
        "cadre_a2": declare(clerk_a, township_a, "支书丙", "亲属丙", 13, village=village_a2,
                            post=StaffPost.VILLAGE_CADRE),
        "assistant_own": declare(assistant_a, township_a, "协理员丁", "亲属丁", 14,
                                 staff_user=assistant_a, village=village_a,
                                 post=StaffPost.ASSISTANT),
    }


def listed(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("relatives"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.clause("S19")
def test_an_assistant_lists_only_their_villages_and_their_own(client, assistant_a,
                                                              declarations):
    text = listed(client, assistant_a)
    assert "亲属乙" in text and "亲属丁" in text
    assert "亲属甲" not in text, "a township staff member's relative"
    assert "亲属丙" not in text, "another village's cadre"
    assert set(relatives.declarations_visible_to(assistant_a)) == {
        declarations["cadre_a"], declarations["assistant_own"]}


def test_township_staff_still_list_their_whole_township(client, clerk_a, declarations):
    text = listed(client, clerk_a)
    for name in ("亲属甲", "亲属乙", "亲属丙", "亲属丁"):
        assert name in text


def test_another_township_and_the_bureau(client, clerk_b, bureau, declarations):
    text = listed(client, clerk_b)
    assert not any(name in text for name in ("亲属甲", "亲属乙", "亲属丙", "亲属丁"))
    assert set(relatives.declarations_visible_to(bureau)) == set(declarations.values())
