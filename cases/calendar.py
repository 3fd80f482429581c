"""The working-day calendar behind the legal clocks (S4, S5, S11, S12).

Counting rule
-------------
The day on which a period starts is **not** counted; day 1 is the first working day after
it. "20 working days from Monday 2026-09-28" therefore ends on 2026-10-30: 09-29 and 09-30
are days 1 and 2, the National Day holiday 10-01..07 is skipped, the make-up Saturday 10-10
is day 5, and so on. A period that starts on a holiday or a weekend works the same way: day 1
is simply the next working day (this differs from `chinese_calendar.find_workday`, which
counts the start day when it is a day off, so it is not used). `count_workdays(start, end)`
is the inverse: the working days in the half-open interval (start, end].

Where a day's status comes from, in this order
----------------------------------------------
1. A `HolidayOverride` row (entered by the district bureau) — always wins.
2. `chinesecalendar`, if it has data for that year (detected by asking it, and cached; 1.11
   knows 2004–2026 and raises `NotImplementedError` outside).
3. A `CalendarYear` row for the year: the bureau has entered that year's official notice as
   override rows, so every other day follows the Monday–Friday rule.
4. Otherwise the year is unknown: `CalendarUnknownYear` is raised, naming the year. There is
   no silent weekends-only guess. Only in *provisional* mode (used for deadlines, so that a
   clerk is never blocked) is the Monday–Friday rule used for such a day, and the result is
   then marked unconfirmed; entering the year recomputes it
   (`cases.deadlines.recompute_unconfirmed_deadlines`).

Speed
-----
`chinesecalendar`'s answer for a date is fixed for the installed package version, so it is
asked once per date and process (`_library_day`), and each year's working days are kept as a
running total (`_library_year`, `_weekday_year`): a count over years is a subtraction per year
plus one correction per override row in the interval, not a walk over every day. Overrides and
entered years are never memoised here: a `WorkCalendar()` reads them from the database, and
pages that only show clocks read them through `display_calendar()` (Django's cache, dropped
whenever a row is saved or deleted, and at most `DISPLAY_CACHE_SECONDS` old).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate

import chinese_calendar

SOURCE_OVERRIDE = "override"
SOURCE_CHINESECALENDAR = "chinesecalendar"
SOURCE_ENTERED_YEAR = "entered_year"
SOURCE_PROVISIONAL = "provisional"

SOURCE_LABELS = {
    SOURCE_OVERRIDE: "区民政局录入的节假日调整",
    SOURCE_CHINESECALENDAR: "国务院办公厅放假安排（系统内置）",
    SOURCE_ENTERED_YEAR: "区民政局录入的当年放假安排（其余日期按周一至周五）",
    SOURCE_PROVISIONAL: "暂按周一至周五推算（该年放假安排尚未录入）",
}

KIND_WORKDAY = "workday"  # an ordinary Monday–Friday working day
KIND_WEEKEND = "weekend"  # an ordinary Saturday or Sunday
KIND_HOLIDAY = "holiday"  # a day off by the holiday schedule (法定节假日及调休放假)
KIND_MAKEUP = "makeup"  # a Saturday or Sunday worked by the schedule (调休上班)

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

COUNTING_RULE = "起算日当天不计入，其后的第一个工作日为第1个工作日。"


class CalendarUnknownYear(Exception):
    """A date falls in a year whose official holiday schedule nobody has entered."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"尚未录入{year}年的法定节假日和调休安排，无法按工作日计算期限。"
            f"请区民政局在管理后台录入当年国务院办公厅通知。"
        )


@cache
def chinesecalendar_knows(year: int) -> bool:
    """Whether the installed `chinesecalendar` has the holiday schedule of `year`.

    Detected by asking it (it raises `NotImplementedError` for years it has no data for), so
    upgrading the package extends the known years without a code change.
    """
    try:
        chinese_calendar.is_workday(dt.date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def _holiday_name_zh(english: str | None) -> str:
    if not english:
        return ""
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


@cache
def _library_day(day: dt.date) -> tuple[bool, str]:
    """`chinesecalendar`'s answer for `day` of a year it knows: (working day, Chinese name).

    Fixed for the installed package version, so asked once per date and process. Callers
    check `chinesecalendar_knows(day.year)` first.
    """
    _off, english = chinese_calendar.get_holiday_detail(day)
    return _library_year(day.year).is_workday(day), _holiday_name_zh(english)


@dataclass(frozen=True)
class _YearTable:
    """One year's working days by one rule, with a running total for counting by subtraction."""

    first: dt.date  # 1 January
    flags: bytes  # 1 for a working day, one byte per day of the year
    running: tuple[int, ...]  # running[i]: working days among the first i days of the year

    @classmethod
    def build(cls, year: int, is_workday) -> _YearTable:
        first = dt.date(year, 1, 1)
        days = (dt.date(year + 1, 1, 1) - first).days
        flags = bytes(bool(is_workday(first + dt.timedelta(days=i))) for i in range(days))
        return cls(first, flags, (0, *accumulate(flags)))

    def is_workday(self, day: dt.date) -> bool:
        return bool(self.flags[(day - self.first).days])

    def count(self, lo: dt.date, hi: dt.date) -> int:
        """Working days from `lo` to `hi`, both included (days of this year)."""
        return self.running[(hi - self.first).days + 1] - self.running[(lo - self.first).days]


@cache
def _library_year(year: int) -> _YearTable:
    """`chinesecalendar`'s working days of `year` (a year it knows), built once per process."""
    return _YearTable.build(year, chinese_calendar.is_workday)


@cache
def _weekday_year(year: int) -> _YearTable:
    """Monday–Friday of `year`: an entered year's days without an override, or a provisional
    guess."""
    return _YearTable.build(year, lambda day: day.weekday() < 5)


def fmt_date(day: dt.date) -> str:
    """A date as Chinese officials write it: 2026年10月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class DayInfo:
    """What the calendar says about one day, and on what authority."""

    date: dt.date
    is_workday: bool
    source: str
    name: str = ""

    @property
    def kind(self) -> str:
        weekend = self.date.weekday() >= 5
        if self.is_workday:
            return KIND_MAKEUP if weekend else KIND_WORKDAY
        if self.source == SOURCE_OVERRIDE or self.name:
            return KIND_HOLIDAY
        return KIND_WEEKEND if weekend else KIND_HOLIDAY

    @property
    def provisional(self) -> bool:
        return self.source == SOURCE_PROVISIONAL


@dataclass
class WorkdayResult:
    """The answer of `explain_add_workdays`: a due date and how it was reached."""

    due: dt.date
    confirmed: bool
    explanation: dict = field(default_factory=dict)


class WorkCalendar:
    """Answers "is this a working day?" from overrides, `chinesecalendar` and entered years.

    With no arguments it reads the database lazily: the `CalendarYear` table once, and the
    `HolidayOverride` rows of a whole span of years in one query when a count starts, so a
    20-working-day count costs at most two queries, never one per day. One instance may be
    reused for many counts (e.g. when recomputing every provisional deadline).

    Passing `overrides` and/or `entered_years` gives a calendar that never touches the
    database (for pure date maths and tests).

    Args:
        overrides: date -> (is_workday, note).
        entered_years: years whose schedule has been entered; an iterable of years or a
            mapping year -> source (通知文号).
    """

    def __init__(self, *, overrides: Mapping[dt.date, tuple[bool, str]] | None = None,
                 entered_years: Iterable[int] | Mapping[int, str] | None = None):
        self._use_db = overrides is None and entered_years is None
        self._overrides: dict[dt.date, tuple[bool, str]] = dict(overrides or {})
        self._override_days: list[dt.date] | None = None  # sorted keys of `_overrides`
        self._loaded_years: set[int] = set()
        self._entered: dict[int, str] | None = None
        if not self._use_db:
            if isinstance(entered_years, Mapping):
                self._entered = {int(y): str(s) for y, s in entered_years.items()}
            else:
                self._entered = {int(y): "" for y in (entered_years or ())}

    # --- Loading ----------------------------------------------------------------------------
    def _entered_years(self) -> dict[int, str]:
        if self._entered is None:
            from cases.models import CalendarYear

            self._entered = dict(CalendarYear.objects.values_list("year", "source"))
        return self._entered

    def preload(self, first: dt.date, last: dt.date) -> None:
        """Read the overrides of every year from `first` to `last` in one query."""
        if not self._use_db:
            return
        years = [y for y in range(first.year, last.year + 1) if y not in self._loaded_years]
        if not years:
            return
        from cases.models import HolidayOverride

        rows = HolidayOverride.objects.filter(
            date__gte=dt.date(years[0], 1, 1), date__lte=dt.date(years[-1], 12, 31),
        ).values_list("date", "is_workday", "note")
        for day, is_workday, note in rows:
            self._overrides[day] = (is_workday, note)
        self._override_days = None
        self._loaded_years.update(range(years[0], years[-1] + 1))

    def _overrides_between(self, lo: dt.date, hi: dt.date) -> list[tuple[dt.date, bool]]:
        """(date, is_workday) of every override from `lo` to `hi`, both included."""
        if self._override_days is None:
            self._override_days = sorted(self._overrides)
        days = self._override_days
        return [(day, bool(self._overrides[day][0]))
                for day in days[bisect_left(days, lo):bisect_right(days, hi)]]

    def _year_table(self, year: int, *, provisional: bool) -> _YearTable | None:
        """The rule for the days of `year` without an override (as `day`), or None when the
        year is unknown and the count is not provisional."""
        if chinesecalendar_knows(year):
            return _library_year(year)
        if year in self._entered_years() or provisional:
            return _weekday_year(year)
        return None

    # --- Questions --------------------------------------------------------------------------
    def knows_year(self, year: int) -> bool:
        """Whether days of `year` can be answered without guessing."""
        return chinesecalendar_knows(year) or year in self._entered_years()

    def day(self, day: dt.date, *, provisional: bool = False) -> DayInfo:
        """Everything known about `day`; raises `CalendarUnknownYear` unless provisional."""
        if self._use_db and day.year not in self._loaded_years:
            self.preload(day, day)
        found = self._overrides.get(day)
        if found is not None:
            return DayInfo(day, bool(found[0]), SOURCE_OVERRIDE, found[1] or "")
        if chinesecalendar_knows(day.year):
            is_workday, name = _library_day(day)
            return DayInfo(day, is_workday, SOURCE_CHINESECALENDAR, name)
        if day.year in self._entered_years():
            return DayInfo(day, day.weekday() < 5, SOURCE_ENTERED_YEAR)
        if provisional:
            return DayInfo(day, day.weekday() < 5, SOURCE_PROVISIONAL)
        raise CalendarUnknownYear(day.year)

    def is_workday(self, day: dt.date) -> bool:
        return self.day(day).is_workday

    # --- Counting ---------------------------------------------------------------------------
    def walk(self, start: dt.date, n: int, *, provisional: bool = False) -> list[DayInfo]:
        """The days after `start` up to and including the n-th working day."""
        if n < 0:
            raise ValueError("n must not be negative")
        self.preload(start, start + dt.timedelta(days=2 * n + 21))
        days: list[DayInfo] = []
        counted = 0
        current = start
        while counted < n:
            current += dt.timedelta(days=1)
            info = self.day(current, provisional=provisional)
            days.append(info)
            if info.is_workday:
                counted += 1
        return days

    def add_workdays(self, start: dt.date, n: int, *, provisional: bool = False) -> dt.date:
        days = self.walk(start, n, provisional=provisional)
        return days[-1].date if days else start

    def count_workdays(self, start: dt.date, end: dt.date, *,
                       provisional: bool = False) -> int:
        """The working days in (start, end], as if each day were asked of `day`.

        Per year: the running total of the year's rule, corrected by each override in the
        interval. A day of an unknown year raises `CalendarUnknownYear` (unless provisional)
        as `day` would: only when some day of that year in the interval has no override.
        """
        if end < start:
            raise ValueError("end must not be before start")
        self.preload(start, end)
        first = start + dt.timedelta(days=1)
        count = 0
        for year in range(first.year, end.year + 1):
            lo, hi = max(first, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
            overridden = self._overrides_between(lo, hi)
            table = self._year_table(year, provisional=provisional)
            if table is None:
                if len(overridden) < (hi - lo).days + 1:
                    raise CalendarUnknownYear(year)
                count += sum(is_workday for _day, is_workday in overridden)
                continue
            count += table.count(lo, hi) + sum(
                is_workday - table.is_workday(day) for day, is_workday in overridden)
        return count

    def explain_add_workdays(self, start: dt.date, n: int, *,
                             provisional: bool = False) -> WorkdayResult:
        days = self.walk(start, n, provisional=provisional)
        due = days[-1].date if days else start
        explanation = build_explanation(start, n, due, days, self._entered_years())
        return WorkdayResult(due=due, confirmed=explanation["confirmed"],
                             explanation=explanation)


# --- Explanations ---------------------------------------------------------------------------

def _group_runs(items: list[DayInfo]) -> list[tuple[dt.date, dt.date, str]]:
    """Consecutive days with the same name as (first, last, name) runs."""
    runs: list[tuple[dt.date, dt.date, str]] = []
    for info in items:
        if runs and runs[-1][2] == info.name and info.date - runs[-1][1] == dt.timedelta(1):
            runs[-1] = (runs[-1][0], info.date, info.name)
        else:
            runs.append((info.date, info.date, info.name))
    return runs


def _fmt_run(first: dt.date, last: dt.date) -> str:
    if first == last:
        return fmt_date(first)
    if first.year == last.year:
        return f"{fmt_date(first)}至{last.month}月{last.day}日"
    return f"{fmt_date(first)}至{fmt_date(last)}"


def build_explanation(start: dt.date, n: int, due: dt.date, days: list[DayInfo],
                      entered_years: Mapping[int, str]) -> dict:
    """A JSON-ready account of a working-day count, with a Chinese summary for the case page.

    Lists the holidays skipped (date, name, source), the make-up working days counted and the
    sources consulted; ordinary weekends are only counted, not listed.
    """
    holidays = [d for d in days if d.kind == KIND_HOLIDAY]
    makeups = [d for d in days if d.kind == KIND_MAKEUP]
    weekends = [d for d in days if d.kind == KIND_WEEKEND]
    provisional_years = sorted({d.date.year for d in days if d.provisional})
    sources = sorted({d.source for d in days})
    years = sorted({d.date.year for d in days
                    if d.source in (SOURCE_OVERRIDE, SOURCE_ENTERED_YEAR)
                    and d.date.year in entered_years})
    first_day = next((d.date for d in days if d.is_workday), None)

    parts = [f"自{fmt_date(start)}起算（当日不计入）"]
    if n == 0:
        parts.append("期限为0个工作日，到期日即起算日")
    else:
        if n > 1:
            parts.append(f"第1个工作日为{fmt_date(first_day)}")
        parts.append(f"第{n}个工作日为{fmt_date(due)}")
    summary = "，".join(parts) + "。"
    if holidays:
        summary += "跳过法定节假日：" + "；".join(
            f"{_fmt_run(a, b)}（{name or '节假日调整'}）" for a, b, name in _group_runs(holidays)
        ) + "。"
    if makeups:
        labels = []
        for d in makeups:
            name = d.name if not d.name or "调休" in d.name else d.name + "调休"
            labels.append(f"{fmt_date(d.date)}（{WEEKDAY_NAMES[d.date.weekday()]}"
                          f"{'，' + name if name else ''}）")
        summary += "计入调休上班日：" + "；".join(labels) + "。"
    if weekends:
        summary += f"另跳过周末{len(weekends)}天。"
    known_sources = [s for s in sources if s != SOURCE_PROVISIONAL]
    if known_sources:
        summary += "依据：" + "；".join(SOURCE_LABELS[s] for s in known_sources)
        notices = [f"{y}年：{entered_years[y]}" for y in years if entered_years.get(y)]
        if notices:
            summary += "（" + "；".join(notices) + "）"
        summary += "。"
    if provisional_years:
        years_text = "、".join(f"{y}年" for y in provisional_years)
        summary += (f"【暂定】{years_text}的放假安排尚未录入，该年按周一至周五推算，"
                    f"区民政局录入后将自动重新计算。")

    return {
        "rule": COUNTING_RULE,
        "start": start.isoformat(),
        "unit": "workday",
        "amount": n,
        "first_day": first_day.isoformat() if first_day else None,
        "due": due.isoformat(),
        "confirmed": not provisional_years,
        "holidays_skipped": [
            {"date": d.date.isoformat(), "name": d.name, "source": d.source} for d in holidays
        ],
        "makeup_workdays": [
            {"date": d.date.isoformat(), "name": d.name, "source": d.source} for d in makeups
        ],
        "weekend_days_skipped": len(weekends),
        "sources": sources,
        "calendar_notices": {str(y): entered_years[y] for y in years if entered_years.get(y)},
        "provisional_years": provisional_years,
        "summary": summary,
    }


# --- Module-level API -----------------------------------------------------------------------

def add_workdays(start: dt.date, n: int, *, provisional: bool = False,
                 calendar: WorkCalendar | None = None) -> dt.date:
    """The n-th working day after `start` (`start` itself is not counted).

    Raises:
        CalendarUnknownYear: a day to be counted lies in an unknown year (unless provisional,
            in which case such days follow Monday–Friday; use `explain_add_workdays` to learn
            whether that happened).
    """
    return (calendar or WorkCalendar()).add_workdays(start, n, provisional=provisional)


def count_workdays(start: dt.date, end: dt.date, *, provisional: bool = False,
                   calendar: WorkCalendar | None = None) -> int:
    """The number of working days in (start, end]; `count_workdays(d, add_workdays(d, n)) == n`.

    Raises:
        CalendarUnknownYear: a day in the interval lies in an unknown year (unless
            provisional).
        ValueError: `end` is before `start`.
    """
    return (calendar or WorkCalendar()).count_workdays(start, end, provisional=provisional)


def explain_add_workdays(start: dt.date, n: int, *, provisional: bool = False,
                         calendar: WorkCalendar | None = None) -> WorkdayResult:
    """Like `add_workdays`, with the `confirmed` flag and an explanation dict.

    The explanation lists the holidays skipped and make-up days counted (date, Chinese name,
    source), the sources used and, in `summary`, a Chinese sentence for the case page.
    """
    return (calendar or WorkCalendar()).explain_add_workdays(start, n, provisional=provisional)


def is_workday(day: dt.date, *, calendar: WorkCalendar | None = None) -> bool:
    """Whether `day` is a working day; raises `CalendarUnknownYear` for an unknown year."""
    return (calendar or WorkCalendar()).is_workday(day)


def missing_calendar_years(today: dt.date, *,
                           calendar: WorkCalendar | None = None) -> list[int]:
    """This year and next year, where neither `chinesecalendar` nor the bureau knows them.

    For the bureau's dashboard warning: next year's notice is usually published between late
    October and December, and deadlines started from mid-December already run into it.
    """
    calendar = calendar or WorkCalendar()
    return sorted(y for y in (today.year, today.year + 1) if not calendar.knows_year(y))


def missing_calendar_message(today: dt.date, *,
                             calendar: WorkCalendar | None = None) -> str | None:
    """The dashboard warning text for `missing_calendar_years`, or None when all is known."""
    years = missing_calendar_years(today, calendar=calendar)
    if not years:
        return None
    years_text = "、".join(f"{y}年" for y in years)
    return (f"尚未录入{years_text}的法定节假日和调休安排。跨入该年的办理时限暂按周一至周五推算，"
            f"标为“暂定”；请在国务院办公厅通知发布后尽快在管理后台“已录入放假安排的年份”中录入。")


# --- The calendar of pages that show clocks (display only) ----------------------------------

DISPLAY_CACHE_KEY = "cases.calendar:display"
DISPLAY_CACHE_SECONDS = 60


def display_calendar() -> WorkCalendar:
    """A calendar for pages that only show clocks (days left, at risk, overdue).

    Every `HolidayOverride` and `CalendarYear` row is read from Django's cache: no statement
    per page once cached. The entry is dropped whenever either model saves or deletes a row
    (`forget_display_calendar`, in every process sharing the cache) and lives at most
    `DISPLAY_CACHE_SECONDS`, which bounds how long a process with its own local-memory cache
    may show an edited day the old way. Services that compute or store due dates never use
    it: they build `WorkCalendar()`, which reads the database.
    """
    from django.core.cache import cache

    data = cache.get(DISPLAY_CACHE_KEY)
    if data is None:
        from cases.models import CalendarYear, HolidayOverride

        data = {
            "overrides": {day: (is_workday, note) for day, is_workday, note in
                          HolidayOverride.objects.values_list("date", "is_workday", "note")},
            "years": dict(CalendarYear.objects.values_list("year", "source")),
        }
        cache.set(DISPLAY_CACHE_KEY, data, DISPLAY_CACHE_SECONDS)
    return WorkCalendar(overrides=data["overrides"], entered_years=data["years"])


def forget_display_calendar(*, using: str | None = None, **kwargs) -> None:
    """Drop the cached `display_calendar` data: now, and again when the transaction commits
    (a page reading the database meanwhile could otherwise cache the rows as they were)."""
    from django.core.cache import cache
    from django.db import transaction

    cache.delete(DISPLAY_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(DISPLAY_CACHE_KEY), using=using)


def connect_display_calendar_signals() -> None:
    """Drop the cached display calendar on every save or delete of an override or an entered
    year (called from `CasesConfig.ready`)."""
    from django.db.models.signals import post_delete, post_save

    for model in ("cases.HolidayOverride", "cases.CalendarYear"):
        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(forget_display_calendar, sender=model,
                           dispatch_uid=f"display_calendar:{name}:{model}")
