"""The inbox (badge, list, mark read, settings), the supervision pages read from the database
with no worker running, and the periodic review page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.demo_cases import build_case
from cases.models import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    Notification,
    NotificationProfile,
)
from cases.sweep import sweep_deadlines
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, PersonFactory

S = CaseStatus
pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))


def at(moment):
    return time_machine.travel(moment, tick=False)


def _build(state, village, staff, start=T0, **kw):
    members = [PersonFactory(born=dt.date(1988, 5, 1))]
    with at(start):
        return build_case(state, household=HouseholdFactory(village=village, members=members),
                          days_ago=0, **staff, **kw)


def _decision(case) -> Deadline:
    return case.deadlines.get(kind=DeadlineKind.DECISION)


def _badge(html: str) -> str | None:
    found = re.search(r'aria-label="未读提醒(\d+)条"', html)
    return found.group(1) if found else None


# --- The inbox --------------------------------------------------------------------------------

def test_the_header_shows_the_unread_count_and_reading_clears_it(client, village_a, staff,
                                                                  bureau):
    case = _build(S.INVESTIGATING, village_a, staff)
    due = _decision(case).due_at
    with at(due + dt.timedelta(minutes=1)):
        sweep_deadlines()
    client.force_login(staff["clerk"])
    page = client.get(reverse("case_list")).content.decode()
    assert _badge(page) == "1"

    inbox = client.get(reverse("inbox")).content.decode()
    note = Notification.objects.get(recipient=staff["clerk"])
    assert note.title in inbox and "未读" in inbox
    response = client.post(reverse("inbox_read", args=[note.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None
    assert _badge(client.get(reverse("case_list")).content.decode()) is None


def test_mark_all_read_touches_only_my_reminders(client, village_a, staff, bureau):
    for _ in range(2):
        case = _build(S.INVESTIGATING, village_a, staff)
    with at(_decision(case).due_at + dt.timedelta(minutes=1)):
        sweep_deadlines()
    client.force_login(staff["clerk"])
    assert _badge(client.get(reverse("inbox")).content.decode()) == "2"
    client.post(reverse("inbox_read_all"))
    assert not Notification.objects.filter(recipient=staff["clerk"], read_at__isnull=True)
    assert Notification.objects.filter(recipient=staff["leader"], read_at__isnull=True).count() == 2


def test_nobody_can_read_or_mark_anothers_reminder(client, village_a, staff, bureau):
    case = _build(S.INVESTIGATING, village_a, staff)
    with at(_decision(case).due_at + dt.timedelta(minutes=1)):
        sweep_deadlines()
    leaders = Notification.objects.get(recipient=staff["leader"])
    client.force_login(staff["clerk"])
    assert leaders.title not in client.get(reverse("inbox")).content.decode().replace(
        Notification.objects.get(recipient=staff["clerk"]).title, "")
    assert client.post(reverse("inbox_read", args=[leaders.pk])).status_code == 404
    leaders.refresh_from_db()
    assert leaders.read_at is None
    assert client.get(reverse("inbox_read", args=[leaders.pk])).status_code == 405


def test_a_mobile_number_is_checked_and_saved(client, staff):
    client.force_login(staff["clerk"])
    bad = client.post(reverse("inbox_settings"), {"mobile": "12345", "sms_enabled": "on",
                                                  "email_enabled": "on"})
    assert bad.status_code == 400 and "请填写11位手机号码" in bad.content.decode()
    client.post(reverse("inbox_settings"), {"mobile": "138 1234 5678", "sms_enabled": "on"})
    profile = NotificationProfile.objects.get(user=staff["clerk"])
    assert profile.mobile == "13812345678" and profile.sms_enabled and not profile.email_enabled


# --- Supervision pages: computed at read time ---------------------------------------------------

@pytest.mark.clause("S4")
def test_the_township_list_shows_breached_and_at_risk_clocks_with_no_sweep_run(
        client, village_a, staff):
    breached = _build(S.INVESTIGATING, village_a, staff)
    risky = _build(S.INVESTIGATING, village_a, staff, start=T0 + dt.timedelta(days=10))
    fine = _build(S.RECEIVED, village_a, staff)
    client.force_login(staff["clerk"])
    moment = _decision(risky).due_at - dt.timedelta(days=1)
    assert moment > _decision(breached).due_at
    with at(moment):
        page = client.get(reverse("deadline_list")).content.decode()
        only_breached = client.get(reverse("deadline_list"), {"state": "breached"}).content.decode()
    assert breached.number in page and risky.number in page and fine.number not in page
    assert "已超期" in page and "临期" in page
    assert "尚未发出提醒" in page  # no worker ran: the page says reminders lag
    assert breached.number in only_breached and risky.number not in only_breached
    assert Notification.objects.count() == 0  # reading never writes reminders


def test_the_township_list_is_scoped_to_the_users_townships(client, village_a, village_b,
                                                            staff, clerk_b):
    case = _build(S.INVESTIGATING, village_a, staff)
    client.force_login(clerk_b)
    with at(_decision(case).due_at + dt.timedelta(hours=1)):
        page = client.get(reverse("deadline_list")).content.decode()
    assert case.number not in page and "没有临期或超期的时限" in page


def test_the_bureau_sees_breaches_per_township(client, village_a, staff, bureau, township_a):
    case = _build(S.INVESTIGATING, village_a, staff)
    client.force_login(bureau)
    with at(_decision(case).due_at + dt.timedelta(hours=1)):
        response = client.get(reverse("deadline_district"))
        listed = client.get(reverse("deadline_list"),
                            {"state": "breached", "township": township_a.pk})
    page = response.content.decode()
    row = re.search(rf"<td>{township_a.name}</td>\s*<td><a[^>]*>(\d+)</a>", page)
    assert row and row.group(1) == "1"
    assert case.number in listed.content.decode()


def test_only_district_staff_see_the_district_page(client, staff):
    client.force_login(staff["leader"])
    assert client.get(reverse("deadline_district")).status_code == 403


def test_the_case_page_shows_each_clocks_state(client, village_a, staff):
    case = _build(S.IN_PUBLICITY, village_a, staff)
    client.force_login(staff["clerk"])
    with at(T0 + dt.timedelta(hours=12)):
        page = client.get(case.get_absolute_url()).content.decode()
    section = page[page.index('id="clocks"'):]
    section = section[:section.index("</section>")]
    assert "审批公示(7天)" in section and "审核审批时限(20个工作日)" in section
    assert "暂停计时" in section and "计时中" in section


# --- Periodic review page ---------------------------------------------------------------------

def test_the_leader_records_a_review_on_its_page(client, village_a, staff):
    case = _build(S.APPROVED, village_a, staff)
    review = case.deadlines.get(kind=DeadlineKind.PERIODIC_REVIEW)
    client.force_login(staff["leader"])
    url = reverse("case_review", args=[case.pk])
    with at(review.due_at - dt.timedelta(days=2)):
        page = client.get(url).content.decode()
        assert "每6个月" in page and "录入复核结果" in page
        missing = client.post(url, {"outcome": "adjust", "note": "复核。"})
        assert missing.status_code == 400
        assert "调整保障金或停止保障时必须写明理由" in missing.content.decode()
        done = client.post(url, {"outcome": "continue", "note": "家庭情况无变化。"})
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.status == DeadlineStatus.MET


def test_a_clerk_is_refused_the_review_in_chinese(client, village_a, staff):
    case = _build(S.APPROVED, village_a, staff)
    client.force_login(staff["clerk"])
    response = client.post(reverse("case_review", args=[case.pk]),
                           {"outcome": "continue", "note": "复核。"})
    assert response.status_code == 400
    assert "只有本镇街分管领导才能录入动态管理复核结果" in response.content.decode()


# --- Resilience ---------------------------------------------------------------------------------

def test_pages_and_actions_work_with_the_broker_unreachable(client, village_a, staff):
    """The web never waits for Redis: state is read from the database, and no request
    enqueues a task (reminders are the sweep's job)."""
    from lanshan_aid.celery import app

    changes = dict(app.conf.changes)
    app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    try:
        case = _build(S.RECEIVED, village_a, staff, kind="temp_expenditure")
        client.force_login(staff["clerk"])
        for url in (reverse("deadline_list"), reverse("inbox"), case.get_absolute_url()):
            assert client.get(url).status_code == 200
        response = client.post(reverse("case_action", args=[case.pk, "accept"]),
                               {"accept-note": ""})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == S.INVESTIGATING
        assert client.get(reverse("deadline_list")).status_code == 200
    finally:
        app.conf.changes.clear()
        app.conf.changes.update(changes)
