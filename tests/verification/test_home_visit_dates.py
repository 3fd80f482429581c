"""A home visit is dated from the day the case was accepted to today (S4), as days in
Asia/Shanghai, on every path: the service, the case page's form, the village assistant's phone
page (the API is in tests/api/test_home_visits.py).

The case here is accepted at 00:30 Beijing time on 23 November 2026 — still 22 November in
UTC — and "now" is 00:30 on 26 November, still 25 November in UTC: a check made on UTC dates
would get both edges wrong.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.demo_cases import build_case
from cases.errors import CaseActionError
from cases.models import HomeVisit
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S4")]
SH = ZoneInfo("Asia/Shanghai")
ACCEPTED_AT = dt.datetime(2026, 11, 23, 0, 30, tzinfo=SH)
NOW = dt.datetime(2026, 11, 26, 0, 30, tzinfo=SH)
ACCEPTANCE_DAY = dt.date(2026, 11, 23)
TODAY = dt.date(2026, 11, 26)
DAY = dt.timedelta(days=1)
BEFORE_ACCEPTANCE = "调查日期不能早于案件受理日期（2026年11月23日）"
IN_THE_FUTURE = "调查日期不能晚于今天"


def accepted_case(village, *, clerk, verifier, leader):
    """A 低保 case of a new household accepted at `ACCEPTED_AT` by `clerk`."""
    with time_machine.travel(ACCEPTED_AT - DAY, tick=False):
        case = build_case(CaseStatus.RECEIVED, household=HouseholdFactory(village=village),
                          clerk=clerk, verifier=verifier, leader=leader, days_ago=0)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = services.case_accept(case=case, by=clerk)
    assert case.accepted_at == ACCEPTED_AT
    assert ACCEPTED_AT.astimezone(dt.UTC).date() == ACCEPTANCE_DAY - DAY
    return case


@pytest.fixture
def case(village_a, clerk_a, officer_a, leader_a):
    return accepted_case(village_a, clerk=clerk_a, verifier=officer_a, leader=leader_a)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        assert NOW.astimezone(dt.UTC).date() == TODAY - DAY
        yield NOW


def _record(case, by, visited_on):
    return services.home_visit_record(case=case, by=by, visited_on=visited_on,
                                      investigators=["王强", "李娜"], findings="住房简陋。")


@pytest.mark.parametrize("visited_on", [ACCEPTANCE_DAY, TODAY])
def test_a_visit_on_the_day_of_acceptance_or_today_is_recorded(case, clerk_a, now, visited_on):
    visit = _record(case, clerk_a, visited_on)
    assert visit.visited_on == visited_on
    assert case.events.filter(action="home_visit_recorded").count() == 1


def test_a_visit_dated_the_day_before_acceptance_is_refused(case, clerk_a, now):
    """Guards the acceptance bound in `services._check_visit_date` (called by
    `home_visit_record`)."""
    events = case.events.count()
    with pytest.raises(CaseActionError) as exc:
        _record(case, clerk_a, ACCEPTANCE_DAY - DAY)
    assert exc.value.code == "date" and BEFORE_ACCEPTANCE in exc.value.message
    assert not HomeVisit.objects.filter(case=case).exists()
    assert case.events.count() == events


def test_the_reported_visit_dated_years_before_the_case_is_refused(case, clerk_a, now):
    with pytest.raises(CaseActionError, match=BEFORE_ACCEPTANCE):
        _record(case, clerk_a, dt.date(2015, 1, 1))
    case.refresh_from_db()
    from cases import rules

    assert not rules.has_home_visit(case)  # nothing counts as the 入户调查 of S4


def test_a_visit_dated_tomorrow_is_refused(case, clerk_a, now):
    """Guards the today bound in `services._check_visit_date`."""
    with pytest.raises(CaseActionError) as exc:
        _record(case, clerk_a, TODAY + DAY)
    assert IN_THE_FUTURE in exc.value.message
    assert not HomeVisit.objects.filter(case=case).exists()


def test_the_case_page_form_refuses_a_visit_before_acceptance(client, case, assistant_a, now):
    client.force_login(assistant_a)
    url = reverse("case_evidence", args=[case.pk, "home_visit"])
    data = {"home_visit-investigators": "刘春梅\n王强", "home_visit-findings": "房屋破旧。"}
    response = client.post(url, {**data, "home_visit-visited_on": "2026-11-22"}, follow=True)
    assert BEFORE_ACCEPTANCE in response.content.decode()
    response = client.post(url, {**data, "home_visit-visited_on": "2026-11-27"}, follow=True)
    assert IN_THE_FUTURE in response.content.decode()
    assert not HomeVisit.objects.filter(case=case).exists()
    response = client.post(url, {**data, "home_visit-visited_on": "2026-11-23"})
    assert response.status_code == 302
    assert HomeVisit.objects.filter(case=case).get().visited_on == ACCEPTANCE_DAY


def _phone_data(case, visited_on: str) -> dict:
    data = {"visited_on": visited_on, "investigator_1": "王强", "investigator_2": "李娜",
            "housing_type": "rented", "vehicles": "无", "recommendation": "eligible",
            "conclusion": "符合条件。"}
    for m in case.household.current_members():
        data[f"health_{m.person_id}"] = "healthy"
        data[f"labour_{m.person_id}"] = "none"
    return data


def test_the_assistants_phone_page_refuses_a_visit_outside_the_period(client, case,
                                                                     assistant_a, now):
    client.force_login(assistant_a)
    url = reverse("home_visit_new", args=[case.pk])
    page = client.get(url).content.decode()
    assert 'min="2026-11-23"' in page and 'max="2026-11-26"' in page
    for day, message in (("2026-11-22", BEFORE_ACCEPTANCE), ("2026-11-27", IN_THE_FUTURE)):
        response = client.post(url, _phone_data(case, day))
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not HomeVisit.objects.filter(case=case).exists()
    response = client.post(url, _phone_data(case, "2026-11-26"))
    assert response.status_code == 302
    assert HomeVisit.objects.filter(case=case).get().visited_on == TODAY
