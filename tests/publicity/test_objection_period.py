"""One objection rule for every path (S10): a publicity objection is taken only within the
period — from the posting on the village board to the last second of day 7 — whether it
comes through the public form, the case page, the staff objection page or the API."""

from __future__ import annotations

import contextlib
import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Objection
from publicity import captcha
from publicity import services as publicity_services
from publicity.models import BatchEntry
from tests.publicity.test_posting_starts_period import (
    FIRST_MINUTE_AFTER,
    LAST_MINUTE,
    POSTED,
    PROPOSED,
    _proposed,
)
from tests.publicity.test_public_views import CAPTCHA_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(village_a, staff_a, hotline_a, assistant_a):
    from cases.demo_cases import confirm_posting

    case = _proposed(village_a, staff_a)
    with time_machine.travel(POSTED, tick=False):
        confirm_posting(case, by=assistant_a)
    return case


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def by_service(case, clerk):
    services.objection_record(case=case, content="反映其子女有经营收入。", by=clerk,
                              channel="phone")


def by_case_page(case, clerk):
    _logged_in(clerk).post(reverse("case_evidence", args=[case.pk, "objection"]), {
        "objection-content": "反映其子女有经营收入。", "objection-channel": "phone"})


def by_staff_page(case, clerk):
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    _logged_in(clerk).post(reverse("publicity_objection_new", args=[case.pk]), {
        "content": "反映其子女有经营收入。", "channel": "phone", "lodged_at": now,
        "submitter_name": "", "submitter_contact": ""})


def by_api(case, clerk):
    _logged_in(clerk).post(f"/api/cases/{case.pk}/objections/", json.dumps(
        {"content": "反映其子女有经营收入。", "channel": "phone"}),
        content_type="application/json")


def by_public_form(case, clerk):
    client = Client()
    entry = BatchEntry.objects.get(case=case)
    url = reverse("public_objection", args=[case.village.code])
    key = CAPTCHA_KEY.search(client.get(url).content.decode())
    answer = {"captcha_0": key.group(1), "captcha_1": captcha.answer_for(key.group(1))} if key \
        else {}  # after the period the page lists no household and shows no form
    client.post(url, {"entry": entry.pk, "content": "该户家中有小轿车一辆。", **answer})


PATHS = [by_service, by_case_page, by_staff_page, by_api, by_public_form]


def _attempt(path, case, clerk):
    with contextlib.suppress(services.CaseActionError):
        path(case, clerk)
    return Objection.objects.filter(case=case, kind="publicity").count()


@pytest.mark.clause("S10")
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_an_objection_in_the_last_minute_of_the_period_is_taken_on_every_path(posted, clerk_a,
                                                                              path):
    with time_machine.travel(LAST_MINUTE, tick=False):
        assert _attempt(path, posted, clerk_a) == 1


@pytest.mark.clause("S10")
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
def test_an_objection_in_the_first_minute_after_the_period_is_refused_on_every_path(
        posted, clerk_a, path):
    """Guard: the period check in `cases.services.objection_record` (`PublicityPeriod.covers`),
    the one rule every path calls. The case is still 审批公示中 (not yet closed)."""
    with time_machine.travel(FIRST_MINUTE_AFTER, tick=False):
        assert _attempt(path, posted, clerk_a) == 0
    posted.refresh_from_db()
    assert posted.status == "in_publicity"


@pytest.mark.clause("S10")
def test_the_refusal_names_the_period_in_chinese(posted, clerk_a):
    with (time_machine.travel(FIRST_MINUTE_AFTER, tick=False),
          pytest.raises(services.CaseActionError) as exc):
        by_service(posted, clerk_a)
    assert exc.value.code == "out_of_period"
    assert "公示期2026年11月28日至2026年12月4日" in exc.value.message


@pytest.mark.clause("S10")
def test_the_api_refuses_an_objection_after_the_period_with_a_400(posted, clerk_a):
    with time_machine.travel(FIRST_MINUTE_AFTER, tick=False):
        response = _logged_in(clerk_a).post(
            f"/api/cases/{posted.pk}/objections/",
            json.dumps({"content": "有异议。", "channel": "phone"}),
            content_type="application/json")
    assert response.status_code == 400
    assert "不在公示期内" in response.json()["message"]


@pytest.mark.clause("S10")
def test_an_objection_phoned_in_on_the_last_minute_may_be_recorded_the_next_morning(
        posted, assistant_a):
    """The staff page records when it was made (`lodged_at`); the same rule applies to it."""
    with time_machine.travel(FIRST_MINUTE_AFTER + dt.timedelta(hours=9), tick=False):
        publicity_services.objection_record_for_case(
            case=posted, by=assistant_a, content="电话反映有车辆。", channel="phone",
            lodged_at=LAST_MINUTE)
        with pytest.raises(services.CaseActionError) as exc:
            publicity_services.objection_record_for_case(
                case=posted, by=assistant_a, content="电话反映有车辆。", channel="phone",
                lodged_at=FIRST_MINUTE_AFTER)
    assert exc.value.code == "out_of_period"
    assert Objection.objects.filter(case=posted).count() == 1


@pytest.mark.clause("S10")
def test_no_objection_is_taken_before_the_sheet_is_posted(village_a, staff_a, hotline_a):
    case = _proposed(village_a, staff_a)
    with (time_machine.travel(PROPOSED + dt.timedelta(hours=2), tick=False),
          pytest.raises(services.CaseActionError) as exc):
        by_service(case, staff_a["clerk"])
    assert exc.value.code == "not_posted"
    with time_machine.travel(PROPOSED + dt.timedelta(hours=2), tick=False):
        page = Client().get(reverse("public_village", args=[case.village.code]))
    assert case.applicant.name[0] + "*" not in page.content.decode()
