"""Search boxes and filters take hostile input harmlessly (`cases.search`).

Before the fix a NUL byte in `?q=` answered 500 on `/` and `/cases/` on PostgreSQL, and a
filter id typed as "²" or as a number beyond bigint answered 500 on any database. Now control
characters are removed from every query-string value on its way to a filter, and an id is
taken only as ASCII digits within a primary key's range. (Every parameter of every page is
fuzzed on PostgreSQL in `test_get_fuzz.py`.)
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import search
from cases.models import AccessLog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("typed", "kept"), [
    ("王\x00德明", "王德明"), ("  a\x01\x1f\x7f\x85b ", "ab"), ("\ud800x", "x"), ("张三", "张三"),
    ("\x00", ""), ("", ""), (None, ""),
])
def test_control_characters_are_removed(typed, kept):
    assert search.clean_term(typed) == kept


def test_a_term_is_bounded_at_its_limit():
    assert search.clean_term("张" * search.MAX_TERM) == "张" * search.MAX_TERM
    assert search.clean_term("张" * (search.MAX_TERM + 1)) == "张" * search.MAX_TERM


@pytest.mark.parametrize(("typed", "value"), [
    ("1", 1), ("42", 42), (str(2**63 - 1), 2**63 - 1), ("0", None), (str(2**63), None),
    ("-1", None), ("²", None), ("١٢", None), ("９", None), ("1.0", None), (" 7 ", 7),
    ("7\x00", 7), ("", None), (None, None), ("9" * 30, None),
])
def test_an_id_is_plain_digits_within_a_primary_key(typed, value):
    assert search.id_value(typed) == value


def test_a_nul_in_the_household_search_is_harmless_and_still_searches(client, clerk_a,
                                                                      household_a):
    client.force_login(clerk_a)
    name = household_a.head.name
    response = client.get(reverse("home"), {"q": f"{name[0]}\x00{name[1:]}"})
    assert response.status_code == 200
    assert response.context["page"].object_list == [household_a]
    detail = AccessLog.objects.get(action=AccessLog.Action.SEARCH).detail
    assert "\x00" not in detail and name in detail


@pytest.mark.parametrize("url_name", ["home", "case_list"])
@pytest.mark.parametrize("q", ["\x00", "a\x00b", "\x00" * 500])
def test_a_nul_in_q_answers_the_page(client, clerk_a, url_name, q):
    client.force_login(clerk_a)
    response = client.get(reverse(url_name), {"q": q})
    assert response.status_code == 200


@pytest.mark.parametrize(("url_name", "param"), [
    ("deadline_list", "township"), ("accept_start", "household"),
    ("leader_queue", "page"),
])
@pytest.mark.parametrize("value", ["²", "9" * 30, "-5"])
def test_an_id_filter_of_other_digits_or_beyond_bigint_answers_the_page(
        client, clerk_a, leader_a, url_name, param, value):
    client.force_login(leader_a if url_name == "leader_queue" else clerk_a)
    response = client.get(reverse(url_name), {param: value})
    assert response.status_code == 200


def test_the_access_log_filter_by_user_takes_only_an_id(client, bureau):
    client.force_login(bureau)
    for value in ("²", "9" * 30, "\x00"):
        response = client.get(reverse("verification_access_log"),
                              {"user": value, "from": "\x00", "to": "2026-02-30"})
        assert response.status_code == 200
