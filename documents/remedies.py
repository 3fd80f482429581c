"""The applicant's remedies against an adverse decision, with the last days computed.

Date arithmetic; the database is read only for the calendar (`calendar_day_off`), and not at
all when a calendar is passed in. The periods are general administrative law, not a Shandong
dibao rule (BRIEF §1.5, §8.8):

- 行政复议: within 60 days of learning of the decision (《行政复议法》(2023) 第二十条), applied
  for to the district government, which reviews acts of the townships and of the sub-district
  offices it set up (同法第二十四条).
- 行政诉讼: within 6 months (《行政诉讼法》第四十六条).

Counting (《民法典》第二百零一条、第二百零二条; 《民事诉讼法》第八十五条, which the review law's
第八十八条 applies): the day of receipt is not counted; a period in days ends that many days
later; a period in months ends on the corresponding day of the final month, or on that month's
last day when it has none (Aug 31 + 6 months = the last day of February); a period whose last day
is a statutory day off (weekends included) ends on the next working day.

Which days are off is the project's working-day calendar (`cases.calendar.WorkCalendar`): the
bureau's overrides first, then `chinesecalendar`, then a year the bureau has entered — the same
calendar as every other legal clock, so a corrected or newly entered holiday moves these last
days too. A day of a year nobody knows is not treated as a day off (see `calendar_day_off`).

The notice itself can only say "within 60 days of receipt": the receipt date is known once the
delivery is recorded, and the delivery record stores the dates computed from it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

RECONSIDERATION_DAYS = 60
LITIGATION_MONTHS = 6
RECONSIDERATION_BODY = "临沂市兰山区人民政府"
LITIGATION_BODY = "有管辖权的人民法院"

DayOff = Callable[[dt.date], bool]


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day `months` later, or that month's last day when it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def roll_past_days_off(day: dt.date, is_day_off: DayOff | None) -> dt.date:
    """The first day from `day` on that is not a day off (unchanged without a calendar)."""
    if is_day_off is None:
        return day
    for _ in range(40):  # the longest run of days off in China is 9 (Spring Festival)
        if not is_day_off(day):
            return day
        day += dt.timedelta(days=1)
    raise ValueError("calendar marks more than 40 consecutive days off")


def reconsideration_last_day(received: dt.date, *, is_day_off: DayOff | None = None) -> dt.date:
    """Last day to apply for administrative reconsideration after receipt on `received`."""
    return roll_past_days_off(received + dt.timedelta(days=RECONSIDERATION_DAYS), is_day_off)


def litigation_last_day(received: dt.date, *, is_day_off: DayOff | None = None) -> dt.date:
    """Last day to bring an administrative lawsuit after receipt on `received`."""
    return roll_past_days_off(add_months(received, LITIGATION_MONTHS), is_day_off)


def calendar_day_off(work_calendar=None) -> DayOff:
    """"Is this day off?" by the project's working-day calendar (overrides, `chinesecalendar`,
    entered years), reading the database once per year asked when `work_calendar` is None.

    A day of a year neither `chinesecalendar` nor the bureau knows (and without an override)
    shifts nothing: not shifting can only make the stated last day earlier than the legal one,
    never later, so an unknown calendar never tells anyone they have more time than they do.
    """
    from cases.calendar import CalendarUnknownYear, WorkCalendar

    work_calendar = work_calendar if work_calendar is not None else WorkCalendar()

    def is_day_off(day: dt.date) -> bool:
        try:
            return not work_calendar.day(day).is_workday
        except CalendarUnknownYear:
            return False

    return is_day_off


@dataclass(frozen=True)
class Remedies:
    received: dt.date
    reconsideration_until: dt.date
    reconsideration_body: str
    litigation_until: dt.date
    litigation_body: str

    def as_dict(self) -> dict:
        return {
            "received": self.received.isoformat(),
            "reconsideration_until": self.reconsideration_until.isoformat(),
            "reconsideration_days": RECONSIDERATION_DAYS,
            "reconsideration_body": self.reconsideration_body,
            "litigation_until": self.litigation_until.isoformat(),
            "litigation_months": LITIGATION_MONTHS,
            "litigation_body": self.litigation_body,
        }


def remedies_for(received: dt.date, *, is_day_off: DayOff | None = None,
                 work_calendar=None) -> Remedies:
    """Both remedies and their last days for a notice received on `received`.

    Args:
        received: the day the notice was received (not counted).
        is_day_off: which days are off; default the project's calendar (`calendar_day_off`).
        work_calendar: a `cases.calendar.WorkCalendar` to read instead of the database.
    """
    if is_day_off is None:
        is_day_off = calendar_day_off(work_calendar)
    return Remedies(
        received=received,
        reconsideration_until=reconsideration_last_day(received, is_day_off=is_day_off),
        reconsideration_body=RECONSIDERATION_BODY,
        litigation_until=litigation_last_day(received, is_day_off=is_day_off),
        litigation_body=LITIGATION_BODY,
    )
