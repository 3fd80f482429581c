"""Recording a home visit through the API: the case page's form and service, so the same
dates are refused in the same words (S4): from the day of acceptance to today, Asia/Shanghai."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from cases.models import CaseEvent, HomeVisit
from tests.verification.test_home_visit_dates import (
    ACCEPTANCE_DAY,
    BEFORE_ACCEPTANCE,
    DAY,
    IN_THE_FUTURE,
    NOW,
    TODAY,
    accepted_case,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S4")]


@pytest.fixture
def case(village_a, staff):
    return accepted_case(village_a, **staff)


def _post(api, case, visited_on, investigators=("王强", "李娜")):
    with time_machine.travel(NOW, tick=False):
        return api.post(f"/api/cases/{case.pk}/home-visits/", {
            "visited_on": visited_on.isoformat(), "investigators": list(investigators),
            "findings": "住房简陋，无大额财产。"})


def test_the_endpoint_is_in_the_schema(api, clerk_a):
    assert reverse("api:case_home_visit", kwargs={"case_id": 1}) == "/api/cases/1/home-visits/"
    api.login(clerk_a)
    paths = api.get(reverse("api:openapi-json")).json()["paths"]
    assert set(paths["/api/cases/{case_id}/home-visits/"]["post"]["responses"]) >= {
        "201", "400", "403", "404"}


@pytest.mark.parametrize("visited_on", [ACCEPTANCE_DAY, TODAY])
def test_a_visit_on_the_day_of_acceptance_or_today_is_recorded(api, case, assistant_a,
                                                               visited_on):
    api.login(assistant_a)
    response = _post(api, case, visited_on)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["visited_on"] == visited_on.isoformat()
    assert body["investigators"] == ["王强", "李娜"]
    visit = HomeVisit.objects.get(pk=body["id"])
    assert visit.case == case and visit.recorded_by == assistant_a
    assert CaseEvent.objects.filter(case=case, action="home_visit_recorded").count() == 1


@pytest.mark.parametrize(("visited_on", "message"), [(ACCEPTANCE_DAY - DAY, BEFORE_ACCEPTANCE),
                                                     (TODAY + DAY, IN_THE_FUTURE)])
def test_a_visit_outside_the_period_is_a_400_in_chinese(api, case, assistant_a, visited_on,
                                                        message):
    api.login(assistant_a)
    events = CaseEvent.objects.filter(case=case).count()
    response = _post(api, case, visited_on)
    assert response.status_code == 400
    assert response.json()["code"] == "date"
    assert message in response.json()["message"]
    assert not HomeVisit.objects.filter(case=case).exists()
    assert CaseEvent.objects.filter(case=case).count() == events


def test_one_investigator_is_refused_by_the_form(api, case, assistant_a):
    api.login(assistant_a)
    response = _post(api, case, TODAY, investigators=["王强", "王强"])
    assert response.status_code == 400
    assert "至少两名调查人员" in response.json()["message"]
    assert not HomeVisit.objects.filter(case=case).exists()


def test_a_user_who_may_not_record_visits_gets_a_403(api, case, leader_a):
    api.login(leader_a)
    response = _post(api, case, TODAY)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not HomeVisit.objects.filter(case=case).exists()
