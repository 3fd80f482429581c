"""One wording of a clock's time left (`deadline_state.time_left_label`), on the case page, the
deadline list and the clerk's workspace alike."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.deadline_state import time_left_label
from cases.demo_cases import build_case
from cases.models import Deadline, DeadlineStatus, DeadlineUnit
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday


def weekdays(start: dt.date, end: dt.date) -> int:
    """Monday–Friday in (start, end]."""
    return sum((start + dt.timedelta(days=i)).weekday() < 5
               for i in range(1, (end - start).days + 1))


def clock(unit: str, due: dt.datetime, *, status=DeadlineStatus.OPEN, confirmed=True,
          remaining=None) -> Deadline:
    return Deadline(unit=unit, due_at=due, status=status, calendar_confirmed=confirmed,
                    remaining=remaining)


def left(deadline: Deadline) -> str:
    return time_left_label(deadline, NOW, weekdays)


def test_working_day_clock_both_sides_of_the_due_day():
    friday = NOW + dt.timedelta(days=2)
    assert left(clock(DeadlineUnit.WORKDAY, friday)) == "剩余2个工作日"
    assert left(clock(DeadlineUnit.WORKDAY, NOW + dt.timedelta(hours=5))) == "剩余0个工作日"
    assert left(clock(DeadlineUnit.WORKDAY, NOW - dt.timedelta(days=1))) == "已超1个工作日"
    assert left(clock(DeadlineUnit.WORKDAY, friday, confirmed=False)) == "剩余2个工作日（暂定）"


def test_calendar_day_clock():
    assert left(clock(DeadlineUnit.DAY, NOW + dt.timedelta(days=7))) == "剩余7天"
    assert left(clock(DeadlineUnit.DAY, NOW + dt.timedelta(hours=1))) == "剩余0天"
    assert left(clock(DeadlineUnit.DAY, NOW - dt.timedelta(days=1))) == "已超1天"


def test_hour_clock():
    assert left(clock(DeadlineUnit.HOUR, NOW + dt.timedelta(hours=5, minutes=30))) == \
        "剩余5.5小时"
    assert left(clock(DeadlineUnit.HOUR, NOW)) == "剩余0.0小时"
    assert left(clock(DeadlineUnit.HOUR, NOW - dt.timedelta(hours=2))) == "已超2.0小时"


def test_paused_and_finished_clocks():
    paused = clock(DeadlineUnit.WORKDAY, NOW, status=DeadlineStatus.PAUSED, remaining=6)
    assert left(paused) == "剩余6个工作日（公示结束后继续计时）"
    for status in (DeadlineStatus.MET, DeadlineStatus.MET_LATE, DeadlineStatus.CANCELLED):
        assert left(clock(DeadlineUnit.WORKDAY, NOW, status=status)) == ""


def test_no_page_words_the_time_left_itself():
    root = Path(__file__).resolve().parents[2]
    writers = sorted(str(p.relative_to(root)) for p in (root / "cases").rglob("*.py")
                     if re.search(r"f\"剩余\{", p.read_text(encoding="utf-8")))
    assert writers == ["cases/deadline_state.py"]


@pytest.mark.django_db
def test_case_page_deadline_list_and_workspace_say_the_same(client, village_a, clerk_a,
                                                             verifier_a, leader_a):
    case = build_case(CaseStatus.INVESTIGATING, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=40)
    client.force_login(clerk_a)
    pages = [client.get(reverse(name, args=args)).content.decode()
             for name, args in (("case_detail", [case.pk]), ("deadline_list", []),
                                ("clerk_home", []))]
    labels = [set(re.findall(r"(?:剩余|已超)[0-9.]+(?:个工作日|天|小时)(?:（暂定）)?", html))
              for html in pages]
    assert labels[0] and labels[0] == labels[1] == labels[2], labels
