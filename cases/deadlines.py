"""Due moments of the legal clocks (S4, S5, S6, S11, S12), and their recomputation.

`compute_due` and `publicity_period` are pure date maths (given a `WorkCalendar` built from
data they touch no database). All local dates are taken in Asia/Shanghai, the law's time.

Units:

* ``workday`` — working days on the official calendar (`cases.calendar`): the start day is
  not counted, day 1 is the next working day, and the clock runs out at the **end of the
  n-th working day, 23:59:59 Beijing time**: work done on the last day is on time, and the
  stored moment is the last whole second of that day, so "on time" is ``done_at <= due_at``
  (a midnight "next day 00:00" bound would show the wrong date on notices and pages).
* ``day`` — calendar days (holidays count): day 1 is the day after the start, due at
  23:59:59 on day n. Publicity (S6) is 7 such days, starting the day after posting.
* ``hour`` — exactly n hours after the start moment (急难型先行救助, 24 hours, S11).

A working-day clock that runs into a year whose holiday schedule is not yet known never
blocks the clerk: the calendar counts that year Monday–Friday, the result is marked
unconfirmed (``calendar_confirmed=False``) and labelled 暂定 in its explanation, and
`recompute_unconfirmed_deadlines` fixes it once the bureau enters the year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from cases.calendar import WorkCalendar, fmt_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = dt.time(23, 59, 59)

UNIT_WORKDAY = "workday"
UNIT_DAY = "day"
UNIT_HOUR = "hour"


@dataclass(frozen=True)
class DueResult:
    """A due moment, whether the calendar behind it is confirmed, and how it was computed."""

    due_at: dt.datetime
    confirmed: bool
    explanation: dict = field(default_factory=dict)


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("start moment must be timezone-aware")
    return moment.astimezone(SHANGHAI)


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 Beijing time on `day`: the moment a day-based clock runs out."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def _fmt_moment(moment: dt.datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{fmt_date(local.date())}{local:%H:%M}"


def compute_due(unit: str, amount: int, start_at: dt.datetime, *,
                calendar: WorkCalendar | None = None) -> DueResult:
    """The due moment of a clock of `amount` `unit`s started at `start_at`.

    Never raises for an unknown calendar year (see the module docstring); the explanation
    then says 暂定 and `confirmed` is False.

    Args:
        unit: ``workday``, ``day`` or ``hour`` (`DeadlineUnit` values).
        amount: the length of the period; 0 means the end of the start day (or the start
            moment itself for hours).
        start_at: an aware datetime; its Asia/Shanghai date is the start day.
        calendar: the working-day calendar; by default one reading the database.

    Returns:
        `DueResult`. Its `explanation` holds ``basis`` (start_at, unit, amount: what a
        recomputation starts from), ``due_at`` and a Chinese ``summary`` for the case page;
        for working days also the holidays skipped and make-up days counted.
    """
    unit = str(unit)
    if amount < 0:
        raise ValueError("amount must not be negative")
    local_start = _local(start_at)
    basis = {"start_at": local_start.isoformat(), "unit": unit, "amount": amount}

    if unit == UNIT_WORKDAY:
        result = (calendar or WorkCalendar()).explain_add_workdays(
            local_start.date(), amount, provisional=True)
        due_at = end_of_day(result.due)
        explanation = dict(result.explanation)
        explanation["summary"] += (
            f"截止时间为{fmt_date(result.due)}23:59:59（北京时间）。"
            + ("" if result.confirmed else "该到期日为暂定日期。")
        )
        confirmed = result.confirmed
    elif unit == UNIT_DAY:
        due_day = local_start.date() + dt.timedelta(days=amount)
        due_at = end_of_day(due_day)
        confirmed = True
        first = local_start.date() + dt.timedelta(days=1)
        explanation = {
            "rule": "按自然日计算，节假日照常计入；起算日当天不计入，次日为第1日。",
            "start": local_start.date().isoformat(),
            "unit": unit,
            "amount": amount,
            "first_day": first.isoformat() if amount else None,
            "due": due_day.isoformat(),
            "confirmed": True,
            "summary": (
                f"自{fmt_date(local_start.date())}起算（当日不计入），"
                + (f"{fmt_date(first)}为第1日，" if amount else "")
                + f"共{amount}个自然日（节假日照常计入），"
                f"截止时间为{fmt_date(due_day)}23:59:59（北京时间）。"
            ),
        }
    elif unit == UNIT_HOUR:
        due_at = local_start + dt.timedelta(hours=amount)
        confirmed = True
        explanation = {
            "rule": "自起算时刻起连续计算，节假日照常计入。",
            "start": local_start.isoformat(),
            "unit": unit,
            "amount": amount,
            "confirmed": True,
            "summary": (f"自{_fmt_moment(local_start)}起{amount}小时内，"
                        f"即{_fmt_moment(due_at)}前（北京时间，节假日照常计算）。"),
        }
    else:
        raise ValueError(f"unknown deadline unit: {unit!r}")

    explanation["basis"] = basis
    explanation["due_at"] = due_at.isoformat()
    return DueResult(due_at=due_at, confirmed=confirmed, explanation=explanation)


@dataclass(frozen=True)
class PublicityPeriod:
    """A case's publicity period as every page, document and API shows it (S6).

    `posted_at` is when the sheet went up on the village board (the clock's start), `first_day`
    the day after it (day 1), `last_day` the day the period ends, `ends_at` its last second.
    """

    posted_at: dt.datetime
    first_day: dt.date
    last_day: dt.date
    ends_at: dt.datetime

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def covers(self, moment: dt.datetime) -> bool:
        """Whether `moment` lies in the period: from the posting to its last second.

        An objection made on the posting day, while the sheet is already on the board, counts;
        one made after the last second does not.
        """
        return self.posted_at <= moment <= self.ends_at


def publicity_period(start_at: dt.datetime, due_at: dt.datetime) -> PublicityPeriod:
    """The period of a publicity clock (`Deadline` of kind ``publicity``), started at the
    posting: the one place its dates are computed."""
    local_start = _local(start_at)
    return PublicityPeriod(posted_at=start_at,
                           first_day=local_start.date() + dt.timedelta(days=1),
                           last_day=_local(due_at).date(), ends_at=due_at)


# --- Recomputation after a year's schedule is entered ---------------------------------------

_BASIS_KEYS = frozenset({"start_at", "unit", "amount"})


def _own_basis(deadline) -> dict:
    """Where the deadline's clock first started: ``explanation["basis"]`` or its fields."""
    own = (deadline.explanation or {}).get("basis")
    if isinstance(own, dict) and own.keys() >= _BASIS_KEYS:
        return own
    return {"start_at": deadline.start_at.isoformat(), "unit": deadline.unit,
            "amount": deadline.amount}


def _resumed_basis(deadline) -> dict | None:
    """Where a clock resumed after a pause restarted, if it was.

    `cases.services` keeps the resume computation under ``explanation["resumed"]["then"]``;
    its basis (the resume moment and the remaining working days) is what the current due
    moment was computed from.
    """
    resumed = (deadline.explanation or {}).get("resumed")
    if isinstance(resumed, dict) and isinstance(resumed.get("then"), dict):
        basis = resumed["then"].get("basis")
        if isinstance(basis, dict) and basis.keys() >= _BASIS_KEYS:
            return basis
    return None


def _due_from(basis: dict, calendar: WorkCalendar) -> DueResult:
    return compute_due(basis["unit"], int(basis["amount"]),
                       dt.datetime.fromisoformat(basis["start_at"]), calendar=calendar)


def _recompute_one(deadline, calendar: WorkCalendar) -> tuple[DueResult, dict]:
    """The deadline's new due result and its new explanation.

    Keys other code added to the explanation are kept. For a resumed clock the original
    computation is redone too, and so is ``due_if_publicity_counted`` (the due moment had the
    clock not been paused, kept by `cases.services`).
    """
    old = dict(deadline.explanation or {})
    original = _due_from(_own_basis(deadline), calendar)
    resumed_basis = _resumed_basis(deadline)
    if resumed_basis is None:
        return original, {**old, **original.explanation}
    result = _due_from(resumed_basis, calendar)
    explanation = {**old, **original.explanation,
                   "resumed": {**old["resumed"], "then": result.explanation}}
    if "due_if_publicity_counted" in old:
        explanation["due_if_publicity_counted"] = original.due_at.isoformat()
    return result, explanation


def recompute_unconfirmed_deadlines(*, by=None) -> int:
    """Recompute every running clock whose calendar was provisional; record each in the trail.

    Run after a year's holiday schedule (or an override) is entered. Each case is locked
    (`select_for_update`) and its deadlines updated and its trail event
    ``deadline_recomputed`` written in one transaction (a savepoint when called from inside
    the import's transaction).

    Open and paused deadlines are both handled the same way: the due moment is recomputed
    from where the clock last started (its own basis, or the resume point of a clock resumed
    after a pause). For a paused deadline that is the due moment it had before the pause;
    its `remaining` working days and `paused_at` are not touched (the remaining count does
    not depend on the calendar after the pause, and the resume computes the new due moment
    from it). A deadline that still runs into an unknown
    year keeps ``calendar_confirmed=False`` with its provisional date updated; if neither its
    date nor its confirmation changes, it is left alone and no event is written.

    Args:
        by: the user who entered the calendar (the trail's actor), or None.

    Returns:
        The number of deadlines changed.
    """
    from django.db import transaction

    from cases.models import Case, Deadline, DeadlineStatus
    from cases.services import refresh_next_due
    from cases.trail import append_event

    running = [DeadlineStatus.OPEN, DeadlineStatus.PAUSED]
    pending: dict[int, list[int]] = {}
    for pk, case_id in (Deadline.objects.filter(calendar_confirmed=False, status__in=running)
                        .order_by("case_id", "pk").values_list("pk", "case_id")):
        pending.setdefault(case_id, []).append(pk)

    calendar = WorkCalendar()
    changed = 0
    for case_id, pks in pending.items():
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            moved = False
            deadlines = (Deadline.objects.select_for_update()
                         .filter(pk__in=pks, calendar_confirmed=False, status__in=running)
                         .order_by("pk"))
            for deadline in deadlines:
                result, explanation = _recompute_one(deadline, calendar)
                if result.due_at == deadline.due_at and not result.confirmed:
                    continue
                old_due = deadline.due_at
                deadline.due_at = result.due_at
                deadline.calendar_confirmed = result.confirmed
                deadline.explanation = explanation
                deadline.save(update_fields=["due_at", "calendar_confirmed", "explanation"])
                state = "已确认" if result.confirmed else "仍为暂定"
                append_event(
                    case, "deadline_recomputed", actor=by,
                    note=(f"放假安排录入后重新计算“{deadline.get_kind_display()}”：到期时间由"
                          f"{_fmt_moment(old_due)}改为{_fmt_moment(result.due_at)}"
                          f"（{state}）。"),
                    payload={
                        "deadline": deadline.pk, "kind": deadline.kind,
                        "clause": deadline.clause, "status": deadline.status,
                        "old_due_at": old_due.astimezone(SHANGHAI).isoformat(),
                        "new_due_at": result.due_at.isoformat(),
                        "calendar_confirmed": result.confirmed,
                        "summary": result.explanation.get("summary", ""),
                    },
                )
                changed += 1
                moved = True
            if moved:
                refresh_next_due(case)
    return changed
