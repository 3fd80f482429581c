"""The public status page: stage, dates and next step for the right pair, nothing else;
the same answer for a wrong pair and an unknown case; a per-address limit."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.workflow import CaseStatus

pytestmark = pytest.mark.django_db
S = CaseStatus
URL = "/gongshi/chaxun/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser():
    """An anonymous visitor whose browser holds the CSRF cookie, as after loading the form."""
    client = Client(enforce_csrf_checks=True)
    assert client.get(URL).status_code == 200
    return client


def lookup(client, number, tail, ip="10.0.0.1"):
    return client.post(URL, {"number": number, "id_tail": tail,
                             "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
                       REMOTE_ADDR=ip)


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_page_is_public_and_named_public(client):
    assert reverse("public_case_status") == URL
    response = client.get(URL)
    assert response.status_code == 200
    assert "查询办理进度" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_right_pair_shows_stage_dates_and_next_step_only(browser, make_case, village_a):
    case = make_case(S.IN_PUBLICITY, village_a)
    applicant = case.applicant
    response = lookup(browser, case.number, applicant.id_number[-6:])
    page = response.content.decode()
    assert response.status_code == 200
    assert "审批公示中" in page
    assert "公示期" in page and "受理日期" in page and "申请日期" in page
    assert "公示期间暂停计时" in page  # the decision clock waits during publicity
    assert "下一步" in page and "公示7天" in page
    for private in (applicant.name, applicant.id_number, applicant.masked_id,
                    case.household.address, "650"):
        assert private not in page, private


def test_a_wrong_pair_and_an_unknown_case_get_the_same_answer(browser, make_case, village_a):
    case = make_case(S.INVESTIGATING, village_a)
    tail = case.applicant.id_number[-6:]
    wrong_tail = "000000" if tail != "000000" else "111111"
    wrong = lookup(browser, case.number, wrong_tail)
    unknown_number = case.number[:-5] + "99999"
    unknown = lookup(browser, unknown_number, wrong_tail)
    assert wrong.status_code == unknown.status_code == 200
    assert "未查到与该案件编号和身份证号码后6位相符的案件" in wrong.content.decode()
    # Identical but for the number the visitor typed (echoed back in the form).
    assert _text(wrong).replace(case.number, "N") == _text(unknown).replace(unknown_number, "N")
    assert "核对与入户调查" not in wrong.content.decode()


def test_input_is_normalised(browser, make_case, village_a):
    case = make_case(S.APPROVED, village_a)
    tail = case.applicant.id_number[-6:]
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in tail.lower())
    response = lookup(browser, f"  {case.number.lower()} ", full_width)
    assert "已批准" in response.content.decode()
    assert "决定日期" in response.content.decode()


def test_a_malformed_tail_is_a_form_error(browser):
    response = lookup(browser, "371302001-2026-DB-00001", "12345Y")
    assert "请填写身份证号码的最后6位" in response.content.decode()


def test_lookups_are_limited_per_address(browser, make_case, village_a, settings, request):
    settings.PUBLIC_STATUS_LOOKUPS = (3, 600)
    case = make_case(S.RECEIVED, village_a)
    tail = case.applicant.id_number[-6:]
    # The limit counts in fixed 10-minute windows of the clock: stop it, so that no window
    # ends halfway through the test.
    stopped = time_machine.travel(timezone.now(), tick=False)
    stopped.start()
    request.addfinalizer(stopped.stop)
    for _ in range(3):
        assert lookup(browser, case.number, "000000").status_code == 200
    limited = lookup(browser, case.number, tail)
    assert limited.status_code == 429
    page = limited.content.decode()
    assert "查询过于频繁" in page and "10分钟内最多查询3次" in page
    assert "已接收申请" not in page  # even the right pair waits
    other = lookup(browser, case.number, tail, ip="10.0.0.2")
    assert other.status_code == 200
    assert "已接收申请" in other.content.decode()


def test_the_form_is_csrf_protected(make_case, village_a):
    case = make_case(S.RECEIVED, village_a)
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, {"number": case.number,
                                 "id_tail": case.applicant.id_number[-6:]})
    assert response.status_code == 403
