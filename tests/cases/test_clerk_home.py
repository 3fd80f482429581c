"""The window clerk's workspace: open cases by state, nearest clocks, waiting work, reminders,
all within the clerk's townships and in a number of queries that does not grow with the cases.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.demo_cases import build_case
from cases.models import Deadline, DeadlineKind, Notification
from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S15")]

URL = reverse("clerk_home")


def _case(state, household, clerk_a, verifier_a, leader_a, **kw):
    return build_case(state, household=household, clerk=clerk_a, verifier=verifier_a,
                      leader=leader_a, **kw)


def test_the_clerk_sees_open_cases_by_state_and_what_waits_for_them(
        client, clerk_a, verifier_a, leader_a, village_a):
    received = _case("received", HouseholdFactory(village=village_a), clerk_a, verifier_a,
                     leader_a)
    ready = _case("investigating", HouseholdFactory(village=village_a), clerk_a, verifier_a,
                  leader_a)
    publicity = _case("in_publicity", HouseholdFactory(village=village_a), clerk_a,
                      verifier_a, leader_a)
    approved = _case("approved", HouseholdFactory(village=village_a), clerk_a, verifier_a,
                     leader_a)
    client.force_login(clerk_a)
    response = client.get(URL)
    assert response.status_code == 200
    counts = {row["status"]: row["count"] for row in response.context["by_state"]}
    assert counts == {"received": 1, "investigating": 1, "in_publicity": 1}
    assert response.context["open_total"] == 3
    waiting = {g["code"]: g["cases"] for g in response.context["waiting"]}
    assert waiting["accept"] == [received]
    assert waiting["propose"] == [ready]
    assert waiting["publicity"] == [publicity], "built 25 days ago: its 7 days are over"
    assert waiting["appraisal"] == []
    text = response.content.decode()
    assert approved.number not in text.split("最近到期")[0], "an approved case is not open"
    assert f'action="{reverse("case_list")}"' in text and f'formaction="{reverse("home")}"' \
        in text, "the one search box hands over to the case and household searches"
    assert reverse("accept_start") in text


def test_an_investigating_case_without_a_home_visit_is_not_ready_to_propose(
        client, clerk_a, verifier_a, leader_a, household_a):
    from cases import services

    case = _case("received", household_a, clerk_a, verifier_a, leader_a)
    services.case_accept(case=case, by=clerk_a)
    client.force_login(clerk_a)
    waiting = {g["code"]: g["cases"] for g in client.get(URL).context["waiting"]}
    assert waiting["propose"] == []


def test_clocks_are_listed_nearest_first_with_their_state_at_read_time(
        client, clerk_a, verifier_a, leader_a, village_a):
    late = _case("investigating", HouseholdFactory(village=village_a), clerk_a, verifier_a,
                 leader_a, days_ago=40)
    fresh = _case("investigating", HouseholdFactory(village=village_a), clerk_a, verifier_a,
                  leader_a, days_ago=1)
    client.force_login(clerk_a)
    rows = client.get(URL).context["clocks"]
    assert [r["case"] for r in rows] == [late, fresh]
    assert rows[0]["state"] == "breached" and rows[0]["left"].startswith("已超")
    assert rows[1]["state"] == "ok" and rows[1]["left"].startswith("剩余")


def test_a_clock_within_three_working_days_is_at_risk(client, clerk_a, verifier_a, leader_a,
                                                     household_a):
    case = _case("investigating", household_a, clerk_a, verifier_a, leader_a, days_ago=1)
    Deadline.objects.filter(case=case, kind=DeadlineKind.DECISION).update(
        due_at=timezone.now() + dt.timedelta(hours=30))
    client.force_login(clerk_a)
    row = client.get(URL).context["clocks"][0]
    assert row["state"] == "at_risk" and row["state_label"] == "临期"


@pytest.mark.clause("S1")
def test_a_clerk_of_another_township_sees_none_of_these_cases(
        client, clerk_a, clerk_b, verifier_a, leader_a, household_a):
    case = _case("investigating", household_a, clerk_a, verifier_a, leader_a)
    client.force_login(clerk_b)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["by_state"] == [] and response.context["clocks"] == []
    assert all(g["cases"] == [] for g in response.context["waiting"])
    assert case.number not in response.content.decode()


def test_the_unread_reminders_are_counted(client, clerk_a, verifier_a, leader_a, household_a):
    case = _case("received", household_a, clerk_a, verifier_a, leader_a)
    for read_at in (None, None, timezone.now()):
        Notification.objects.create(recipient=clerk_a, case=case, kind="at_risk",
                                    title="临期提醒", body="测试", read_at=read_at)
    client.force_login(clerk_a)
    response = client.get(URL)
    assert response.context["unread"] == 2


@pytest.mark.clause("S21")
@pytest.mark.parametrize("who", ["assistant_a", "bureau", "leader_a"])
def test_the_workspace_is_for_window_clerks(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


def test_the_nav_links_the_workspace_for_clerks_only(client, clerk_a, leader_a):
    client.force_login(clerk_a)
    assert f'href="{URL}"' in client.get(reverse("case_list")).content.decode()
    client.force_login(leader_a)
    assert f'href="{URL}"' not in client.get(reverse("case_list")).content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def _make(n, clerk_a, verifier_a, leader_a, village_a):
    states = ["received", "investigating", "in_publicity"]
    for i in range(n):
        _case(states[i % 3], HouseholdFactory(village=village_a), clerk_a, verifier_a,
              leader_a, days_ago=5 + i % 30)


def test_the_number_of_queries_is_the_same_with_3_and_30_cases(
        client, clerk_a, verifier_a, leader_a, village_a):
    _make(3, clerk_a, verifier_a, leader_a, village_a)
    client.force_login(clerk_a)
    client.get(URL)  # warm the per-process caches (calendar years)
    with_3 = _queries(client)
    _make(27, clerk_a, verifier_a, leader_a, village_a)
    response = client.get(URL)
    assert response.context["open_total"] == 30
    assert len(response.context["clocks"]) == 10, "the clock list is bounded"
    assert _queries(client) == with_3


def test_the_clocks_use_the_cached_calendar_and_show_a_new_holiday_at_once(
        client, clerk_a, verifier_a, leader_a, household_a):
    """The workspace only shows clocks: it reads the holiday overrides and entered years from
    the page cache (no statement once cached), which a saved override drops."""
    from cases.calendar import WorkCalendar
    from cases.models import HolidayOverride

    case = _case("investigating", household_a, clerk_a, verifier_a, leader_a, days_ago=40)
    decision = Deadline.objects.get(case=case, kind=DeadlineKind.DECISION)
    client.force_login(clerk_a)

    def left() -> str:
        rows = client.get(URL).context["clocks"]
        return next(r["left"] for r in rows if r["deadline"].pk == decision.pk)

    before = left()
    assert before.startswith("已超") and before.endswith("个工作日")
    with CaptureQueriesContext(connection) as ctx:
        assert left() == before
    tables = ('"cases_holidayoverride"', '"cases_calendaryear"')
    assert not [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in tables)]

    day = timezone.localdate(decision.due_at) + dt.timedelta(days=1)
    while not WorkCalendar().day(day, provisional=True).is_workday:
        day += dt.timedelta(days=1)
    assert day < timezone.localdate(), "a working day between the due day and today"
    HolidayOverride.objects.create(date=day, is_workday=False, note="临时调整")
    overdue = int(before.removeprefix("已超").removesuffix("个工作日"))
    assert left() == f"已超{overdue - 1}个工作日"
