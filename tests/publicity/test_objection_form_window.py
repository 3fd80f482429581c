"""The public objection form is open exactly during the publicity period (S6, S10).

The period runs from the posting on the village board to 23:59:59 (Asia/Shanghai) of day 7
(`cases.deadlines.PublicityPeriod`). The form page (GET) offers the household, and its POST
takes the objection, at the first minute of the period (the posting), at the first minute of
day 1 and at the last minute of day 7; from the first minute after, and before the sheet is
posted, the page says the form is closed, lists nobody and a POST records nothing. The staff
API follows the same rule (`cases.services.objection_record`).
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Objection
from publicity import captcha, selectors
from publicity.disclosure import mask_name
from publicity.models import BatchEntry, ObjectionDetail
from tests.publicity.test_posting_starts_period import (
    FIRST_MINUTE_AFTER,
    LAST_MINUTE,
    POSTED,
    PROPOSED,
    _proposed,
)
from tests.publicity.test_public_views import CAPTCHA_KEY

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_MINUTE_OF_DAY_1 = dt.datetime(2026, 11, 28, 0, 0, tzinfo=SHANGHAI)
CLOSED = "本村（社区）目前没有正在公示的对象，不能在网上提出异议。"
OPEN_MOMENTS = {"posting_minute": POSTED, "first_minute_of_day_1": FIRST_MINUTE_OF_DAY_1,
                "last_minute": LAST_MINUTE}


@pytest.fixture
def posted(village_a, staff_a, hotline_a, assistant_a):
    from cases.demo_cases import confirm_posting

    case = _proposed(village_a, staff_a)
    with time_machine.travel(POSTED, tick=False):
        confirm_posting(case, by=assistant_a, posted_at=POSTED)
    case.refresh_from_db()
    return case


@pytest.fixture
def unposted(village_a, staff_a, hotline_a):
    return _proposed(village_a, staff_a)


def _url(case) -> str:
    return reverse("public_objection", args=[case.village.code])


def _get(case) -> str:
    response = Client().get(_url(case))
    assert response.status_code == 200
    return response.content.decode()


def _post(case):
    """A well-formed POST with a right captcha, whatever the page offers."""
    client = Client()
    html = client.get(_url(case)).content.decode()
    key = CAPTCHA_KEY.search(html)
    answer = ({"captcha_0": key.group(1), "captcha_1": captcha.answer_for(key.group(1))}
              if key else {})
    entry = BatchEntry.objects.get(case=case)
    return client.post(_url(case), {"entry": entry.pk, "content": "该户家中有小轿车一辆。",
                                    **answer})


def _objections(case) -> int:
    return Objection.objects.filter(case=case, kind=Objection.Kind.PUBLICITY).count()


def test_the_period_edges_of_these_tests_are_the_periods_own(posted):
    """The moments used below are the period's edges, read from the case's clock."""
    from cases.services import case_publicity_period

    period = case_publicity_period(posted)
    assert period.posted_at == POSTED
    assert period.first_day == dt.date(2026, 11, 28)
    assert period.last_day == dt.date(2026, 12, 4)
    assert period.ends_at == dt.datetime(2026, 12, 4, 23, 59, 59, tzinfo=SHANGHAI)
    assert BatchEntry.objects.get(case=posted).ends_at == period.ends_at


@pytest.mark.clause("S10")
@pytest.mark.parametrize("moment", OPEN_MOMENTS.values(), ids=OPEN_MOMENTS.keys())
def test_the_public_form_offers_the_household_at_both_ends_of_the_period(posted, moment):
    with time_machine.travel(moment, tick=False):
        html = _get(posted)
        assert [e.case_id for e in selectors.objectable_entries(posted.village)] == [posted.pk]
    assert CLOSED not in html
    assert '<form method="post"' in html
    assert mask_name(posted.applicant.name) in html
    assert posted.applicant.name not in html


@pytest.mark.clause("S10")
@pytest.mark.parametrize("moment", OPEN_MOMENTS.values(), ids=OPEN_MOMENTS.keys())
def test_the_public_form_takes_an_objection_at_both_ends_of_the_period(posted, moment):
    with time_machine.travel(moment, tick=False):
        response = _post(posted)
    assert response.status_code == 302
    assert response["Location"] == reverse("public_objection_done",
                                           args=[posted.village.code])
    objection = Objection.objects.get(case=posted, kind=Objection.Kind.PUBLICITY)
    assert objection.channel == Objection.Channel.ONLINE and objection.lodged_at == moment
    assert ObjectionDetail.objects.filter(objection=objection).exists()


@pytest.mark.clause("S10")
def test_the_public_form_is_closed_from_the_first_minute_after_the_period(posted):
    """Guard: `publicity.selectors.objectable_entries` (and `disclosure.is_listed`): the page
    must not offer a household whose period is over, even while the case is still 审批公示中
    (the close runs later)."""
    for moment in (FIRST_MINUTE_AFTER, FIRST_MINUTE_AFTER + dt.timedelta(hours=12)):
        with time_machine.travel(moment, tick=False):
            assert selectors.objectable_entries(posted.village) == []
            html = _get(posted)
            assert CLOSED in html
            assert '<form method="post"' not in html
            assert mask_name(posted.applicant.name) not in html
            response = _post(posted)
        assert response.status_code == 200
        assert CLOSED in response.content.decode()
    assert _objections(posted) == 0
    posted.refresh_from_db()
    assert posted.status == "in_publicity"


@pytest.mark.clause("S10")
def test_the_public_form_is_closed_before_the_sheet_is_posted(unposted):
    with time_machine.travel(PROPOSED + dt.timedelta(hours=2), tick=False):
        assert selectors.objectable_entries(unposted.village) == []
        html = _get(unposted)
        response = _post(unposted)
    assert CLOSED in html and '<form method="post"' not in html
    assert mask_name(unposted.applicant.name) not in html
    assert response.status_code == 200 and CLOSED in response.content.decode()
    assert _objections(unposted) == 0


def _api(case, user):
    client = Client()
    client.force_login(user)
    return client.post(f"/api/cases/{case.pk}/objections/",
                       json.dumps({"content": "反映其子女有经营收入。", "channel": "phone"}),
                       content_type="application/json")


@pytest.mark.clause("S10")
@pytest.mark.parametrize("moment", OPEN_MOMENTS.values(), ids=OPEN_MOMENTS.keys())
def test_the_api_takes_an_objection_at_both_ends_of_the_period(posted, clerk_a, moment):
    with time_machine.travel(moment, tick=False):
        response = _api(posted, clerk_a)
    assert response.status_code == 200
    assert _objections(posted) == 1


@pytest.mark.clause("S10")
def test_the_api_refuses_an_objection_after_the_period_and_before_the_posting(
        posted, unposted, clerk_a):
    with time_machine.travel(FIRST_MINUTE_AFTER, tick=False):
        after = _api(posted, clerk_a)
    with time_machine.travel(PROPOSED + dt.timedelta(hours=2), tick=False):
        before = _api(unposted, clerk_a)
    assert after.status_code == 400 and "不在公示期内" in after.json()["message"]
    assert before.status_code == 400 and "公示期尚未开始" in before.json()["message"]
    assert _objections(posted) == 0 and _objections(unposted) == 0
