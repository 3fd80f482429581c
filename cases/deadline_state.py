"""Clock state computed from the database at read time (never depends on the worker).

At risk: ≤ 3 working days left (≤ 6 hours for hour clocks); breached: past due while open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from cases.models import Deadline, DeadlineStatus, DeadlineUnit

if TYPE_CHECKING:
    from cases.calendar import WorkCalendar

AT_RISK_WORKDAYS = 3
AT_RISK_HOURS = 6


@dataclass
class ClockRow:
    deadline: Deadline
    state: str  # ok / at_risk / breached / paused / met / met_late / cancelled
    state_label: str
    left_label: str
    due_if_publicity_counted: dt.datetime | None


def _workdays_left(today: dt.date, due_day: dt.date,
                   calendar: WorkCalendar | None = None) -> int:
    """Working days left, counting a year without an entered schedule Monday–Friday (as the
    sweep does; such clocks are labelled 暂定 on the page). A list passes one `calendar` for
    all its rows, so the overrides are read once, not once per row."""
    from cases.calendar import count_workdays

    if due_day >= today:
        return count_workdays(today, due_day, provisional=True, calendar=calendar)
    return -count_workdays(due_day, today, provisional=True, calendar=calendar)


def time_left_label(deadline: Deadline, now: dt.datetime,
                    count_workdays: Callable[[dt.date, dt.date], int]) -> str:
    """The time left on a running clock, worded alike on every page (the deadline list, the
    case page, the clerk's workspace): 剩余N个工作日 / 剩余N天 / 剩余N.N小时, or 已超… once
    past due; a paused clock keeps its remaining working days; a working-day clock whose
    calendar is not yet confirmed is marked （暂定）. "" for a clock that no longer runs.

    `count_workdays(start, end)` counts working days in (start, end]: each page passes the
    calendar it reads once for all its rows.
    """
    if deadline.status == DeadlineStatus.PAUSED:
        return f"剩余{deadline.remaining}个工作日（公示结束后继续计时）"
    if deadline.status != DeadlineStatus.OPEN:
        return ""
    if deadline.unit == DeadlineUnit.HOUR:
        hours = (deadline.due_at - now).total_seconds() / 3600
        return f"剩余{hours:.1f}小时" if hours >= 0 else f"已超{-hours:.1f}小时"
    today, due_day = timezone.localdate(now), timezone.localdate(deadline.due_at)
    if deadline.unit == DeadlineUnit.DAY:
        days = (due_day - today).days
        return f"剩余{days}天" if days >= 0 else f"已超{-days}天"
    if due_day >= today:
        left = f"剩余{count_workdays(today, due_day)}个工作日"
    else:
        left = f"已超{count_workdays(due_day, today)}个工作日"
    return left if deadline.calendar_confirmed else left + "（暂定）"


def clock_state(deadline: Deadline, now: dt.datetime | None = None,
                calendar: WorkCalendar | None = None) -> tuple[str, str]:
    now = now or timezone.now()
    if deadline.status == DeadlineStatus.MET:
        if deadline.kind == "publicity":
            return "met", "公示期满"
        return "met", "按时完成"
    if deadline.status == DeadlineStatus.MET_LATE:
        return "met_late", "超时完成"
    if deadline.status == DeadlineStatus.CANCELLED:
        return "cancelled", "已撤销"
    if deadline.status == DeadlineStatus.PAUSED:
        return "paused", "暂停计时"
    if now > deadline.due_at:
        return "breached", "已超期"
    if deadline.unit == DeadlineUnit.HOUR:
        if deadline.due_at - now <= dt.timedelta(hours=AT_RISK_HOURS):
            return "at_risk", "临期"
        return "ok", "计时中"
    left = _workdays_left(timezone.localdate(now), timezone.localdate(deadline.due_at),
                          calendar)
    if left <= AT_RISK_WORKDAYS:
        return "at_risk", "临期"
    return "ok", "计时中"


def clock_rows(case, now: dt.datetime | None = None,
               calendar: WorkCalendar | None = None) -> list[ClockRow]:
    """The case's clocks as a page shows them. For display only: unless a calendar is given,
    the overrides and entered years come from the page cache (`display_calendar`), not from
    a fresh read of the database."""
    from cases.calendar import count_workdays, display_calendar

    now = now or timezone.now()
    calendar = calendar or display_calendar()
    rows = []
    for deadline in case.deadlines.order_by("start_at", "pk"):
        state, label = clock_state(deadline, now, calendar)
        left = time_left_label(deadline, now, lambda a, b: count_workdays(
            a, b, provisional=True, calendar=calendar))
        alt = (deadline.explanation or {}).get("due_if_publicity_counted")
        rows.append(ClockRow(deadline, state, label, left,
                             dt.datetime.fromisoformat(alt) if alt else None))
    return rows
