"""Entering a year's official holiday notice (国务院办公厅关于某年部分节假日安排的通知).

The notice is typed (or pasted) one line per day or range of days::

    # 注释行以#开头
    2027-01-01 休 元旦
    2027-02-06..2027-02-12 休 春节
    2027-02-14 班 春节调休

``休``/``放假`` marks days off, ``班``/``上班`` make-up working days; the rest of the line is
the note. Ranges may be written ``A..B``, ``A至B`` or ``A~B``. Every other day of the year
follows Monday–Friday (`cases.calendar`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.calendar import WEEKDAY_NAMES

OFF_WORDS = frozenset({"休", "放假", "假"})
WORK_WORDS = frozenset({"班", "上班"})
MAX_RANGE_DAYS = 31
MIN_YEAR, MAX_YEAR = 2000, 2099
NOTE_MAX = 60  # HolidayOverride.note
SOURCE_MAX = 120  # CalendarYear.source

_RANGE_SPLIT = re.compile(r"\.\.|至|~|～")

FORMAT_HELP = (
    "每行一天或一段日期：日期（或“起始日期..结束日期”）、空格、“休”或“班”、空格、说明。"
    "例如：2027-01-01 休 元旦；2027-02-06..2027-02-12 休 春节；2027-02-14 班 春节调休。"
)


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        return None


def parse_holiday_lines(text: str) -> list[tuple[dt.date, bool, str]]:
    """Parse the notice text into (date, is_workday, note) triples, ranges expanded.

    Raises:
        ValidationError: with one Chinese message per bad line (all lines are checked).
    """
    days: list[tuple[dt.date, bool, str]] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 2:
            errors.append(f"第{number}行“{line}”：应为“日期 休/班 说明”，"
                          f"例如“2027-01-01 休 元旦”。")
            continue
        when, word = parts[0], parts[1]
        note = parts[2].strip() if len(parts) > 2 else ""
        if word in OFF_WORDS:
            is_workday = False
        elif word in WORK_WORDS:
            is_workday = True
        else:
            errors.append(f"第{number}行：“{word}”应为“休”（放假）或“班”（调休上班）。")
            continue
        ends = _RANGE_SPLIT.split(when)
        if len(ends) > 2:
            errors.append(f"第{number}行：日期范围“{when}”格式不正确。")
            continue
        first, last = _parse_date(ends[0]), _parse_date(ends[-1])
        if first is None or last is None:
            bad = ends[0] if first is None else ends[-1]
            errors.append(f"第{number}行：无法识别日期“{bad}”，日期应写成YYYY-MM-DD。")
            continue
        if last < first:
            errors.append(f"第{number}行：结束日期早于起始日期。")
            continue
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            errors.append(f"第{number}行：日期范围超过{MAX_RANGE_DAYS}天，请检查是否输错。")
            continue
        day = first
        while day <= last:
            days.append((day, is_workday, note))
            day += dt.timedelta(days=1)
    if errors:
        raise ValidationError(errors, code="calendar_lines")
    return days


def _validate(year: int, days: list[tuple[dt.date, bool, str]], source: str) -> list[str]:
    errors: list[str] = []
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        return [f"年份“{year}”不正确，应在{MIN_YEAR}至{MAX_YEAR}年之间。"]
    if not source:
        errors.append("请填写依据（国务院办公厅通知的文号或标题）。")
    elif len(source) > SOURCE_MAX:
        errors.append(f"依据不能超过{SOURCE_MAX}个字。")
    if not days:
        errors.append(f"未填写{year}年的任何放假或调休上班日期。")
    seen: dict[dt.date, bool] = {}
    for day, is_workday, note in days:
        label = f"{day.isoformat()}"
        if day.year != year:
            errors.append(f"{label}不在{year}年内。")
            continue
        if day in seen:
            errors.append(f"{label}重复出现，每天只能登记一次。")
            continue
        seen[day] = is_workday
        if is_workday and day.weekday() < 5:
            errors.append(f"{label}是{WEEKDAY_NAMES[day.weekday()]}，本来就是工作日，"
                          f"不能登记为调休上班日。")
        if len(note) > NOTE_MAX:
            errors.append(f"{label}的说明超过{NOTE_MAX}个字。")
    return errors


@dataclass(frozen=True)
class YearImportResult:
    """What `calendar_year_import` wrote."""

    year: int
    days_off: int
    workdays: int
    created: int
    updated: int
    replaced_year: bool
    recomputed: int

    @property
    def message(self) -> str:
        again = "（更新了此前录入的该年安排）" if self.replaced_year else ""
        return (f"已录入{self.year}年放假安排{again}：放假{self.days_off}天，调休上班"
                f"{self.workdays}天（新增{self.created}条，更新{self.updated}条）；"
                f"重新计算暂定办理时限{self.recomputed}个。")


def calendar_year_import(*, year: int, days: list[tuple[dt.date, bool, str]], source: str,
                         by=None) -> YearImportResult:
    """Enter a whole year's official holiday notice and recompute provisional deadlines.

    Creates or updates one `HolidayOverride` per listed day, creates (or, on a corrected
    re-import, updates) the `CalendarYear` row, then runs `recompute_unconfirmed_deadlines`
    — all in one transaction. Override rows of that year not in the list are kept (they may
    have been entered one by one; remove them in the admin if wrong).

    Args:
        year: the calendar year of the notice.
        days: (date, is_workday, note) for every day off and make-up working day.
        source: the notice's document number or title (依据).
        by: the bureau user entering it.

    Returns:
        `YearImportResult` with counts and a Chinese `message`.

    Raises:
        ValidationError: Chinese messages for every problem; nothing is written.
    """
    from cases.deadlines import recompute_unconfirmed_deadlines
    from cases.models import CalendarYear, HolidayOverride

    source = (source or "").strip()
    days = [(day, bool(is_workday), (note or "").strip()) for day, is_workday, note in days]
    errors = _validate(year, days, source)
    if errors:
        raise ValidationError(errors, code="calendar_import")

    created = updated = 0
    with transaction.atomic():
        for day, is_workday, note in sorted(days):
            _obj, was_created = HolidayOverride.objects.update_or_create(
                date=day, defaults={"is_workday": is_workday, "note": note},
                create_defaults={"is_workday": is_workday, "note": note, "created_by": by},
            )
            created += was_created
            updated += not was_created
        _row, year_created = CalendarYear.objects.update_or_create(
            year=year, defaults={"source": source},
            create_defaults={"source": source, "entered_by": by},
        )
        recomputed = recompute_unconfirmed_deadlines(by=by)
    return YearImportResult(
        year=year, days_off=sum(not w for _d, w, _n in days),
        workdays=sum(w for _d, w, _n in days), created=created, updated=updated,
        replaced_year=not year_created, recomputed=recomputed,
    )
