"""Clock state computed from the database at read time (never depends on the worker).

At risk: ≤ 3 working days left (≤ 6 hours for hour clocks); breached: past due while open.
"""

from __future__ import annotations

import datetime as dt
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
    from cases.calendar import display_calendar

    now = now or timezone.now()
    calendar = calendar or display_calendar()
    rows = []
    for deadline in case.deadlines.order_by("start_at", "pk"):
        state, label = clock_state(deadline, now, calendar)
        if deadline.status == DeadlineStatus.PAUSED:
            left = f"剩余{deadline.remaining}个工作日（公示结束后继续计时）"
        elif state in ("met", "met_late", "cancelled"):
            left = ""
        elif deadline.unit == DeadlineUnit.HOUR:
            hours = (deadline.due_at - now).total_seconds() / 3600
            left = f"剩余{hours:.1f}小时" if hours >= 0 else f"已超{-hours:.1f}小时"
        elif deadline.unit == DeadlineUnit.DAY:
            days = (timezone.localdate(deadline.due_at) - timezone.localdate(now)).days
            left = f"剩余{days}天" if days >= 0 else f"已超{-days}天"
        else:
            n = _workdays_left(timezone.localdate(now), timezone.localdate(deadline.due_at),
                               calendar)
            left = f"剩余{n}个工作日" if n >= 0 else f"已超{-n}个工作日"
            if not deadline.calendar_confirmed:
                left += "（暂定）"
        alt = (deadline.explanation or {}).get("due_if_publicity_counted")
        rows.append(ClockRow(deadline, state, label, left,
                             dt.datetime.fromisoformat(alt) if alt else None))
    return rows
