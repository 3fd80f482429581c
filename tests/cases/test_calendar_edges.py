"""The working-day calendar and the legal clocks at their edges, asserted to the day and the
second: the first and last minute of the 20-working-day decision clock, the 24-hour emergency
clock, the 5-working-day registration clock, the 10-working-day recheck, 调休 working Saturdays
and Sundays, the year boundary, a year nobody knows (no silent guess), and the exact wording of
the explanations a case page shows. Pure date maths: calendars built from data, no database.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases import calendar as cal
from cases.calendar import (
    KIND_HOLIDAY,
    KIND_MAKEUP,
    KIND_WEEKEND,
    KIND_WORKDAY,
    SOURCE_CHINESECALENDAR,
    SOURCE_ENTERED_YEAR,
    SOURCE_OVERRIDE,
    SOURCE_PROVISIONAL,
    CalendarUnknownYear,
    DayInfo,
    WorkCalendar,
    build_explanation,
    fmt_date,
    missing_calendar_message,
    missing_calendar_years,
)
from cases.deadline_state import clock_state, time_left_label
from cases.deadlines import (
    END_OF_DAY,
    compute_due,
    end_of_day,
    publicity_period,
)
from cases.models import Deadline, DeadlineStatus, DeadlineUnit

D = dt.date
SH = ZoneInfo("Asia/Shanghai")
NOTICE = "国办发明电〔2026〕X号"


def at(y, m, d, hh=9, mm=0, ss=0):
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def eod(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


@pytest.fixture
def library():
    """`chinesecalendar` alone: no overrides, no entered years, no database."""
    return WorkCalendar(overrides={}, entered_years=())


@pytest.fixture
def without_2027(monkeypatch):
    """Keep 2027 unknown to the library even after a chinesecalendar release adds it."""
    real = cal.chinesecalendar_knows
    monkeypatch.setattr(cal, "chinesecalendar_knows", lambda year: year <= 2026 and real(year))


# --- Days and their kinds ---------------------------------------------------------------------

def test_fmt_date_is_the_official_chinese_form():
    assert fmt_date(D(2026, 1, 5)) == "2026年1月5日"
    assert fmt_date(D(2026, 11, 26)) == "2026年11月26日"


def test_library_days_carry_the_chinese_holiday_name(library):
    assert library.day(D(2026, 10, 1)) == DayInfo(D(2026, 10, 1), False, SOURCE_CHINESECALENDAR,
                                                  "国庆节")
    assert library.day(D(2026, 10, 10)) == DayInfo(D(2026, 10, 10), True,
                                                   SOURCE_CHINESECALENDAR, "国庆节")
    assert library.day(D(2026, 10, 13)) == DayInfo(D(2026, 10, 13), True,
                                                   SOURCE_CHINESECALENDAR, "")
    assert cal._holiday_name_zh(None) == ""
    assert cal._holiday_name_zh("") == ""
    assert cal._holiday_name_zh("Spring Festival") == "春节"
    assert cal._holiday_name_zh("Some Local Day") == "Some Local Day"


@pytest.mark.parametrize(("info", "kind"), [
    (DayInfo(D(2026, 10, 13), True, SOURCE_CHINESECALENDAR), KIND_WORKDAY),  # a Tuesday
    (DayInfo(D(2026, 10, 9), True, SOURCE_CHINESECALENDAR), KIND_WORKDAY),  # a Friday
    (DayInfo(D(2026, 10, 10), True, SOURCE_CHINESECALENDAR, "国庆节"), KIND_MAKEUP),  # Saturday
    (DayInfo(D(2026, 1, 4), True, SOURCE_CHINESECALENDAR, "元旦"), KIND_MAKEUP),  # Sunday
    (DayInfo(D(2026, 10, 17), False, SOURCE_CHINESECALENDAR), KIND_WEEKEND),  # Saturday
    (DayInfo(D(2026, 10, 18), False, SOURCE_CHINESECALENDAR), KIND_WEEKEND),  # Sunday
    (DayInfo(D(2026, 10, 3), False, SOURCE_CHINESECALENDAR, "国庆节"), KIND_HOLIDAY),  # Sat.
    (DayInfo(D(2026, 10, 1), False, SOURCE_CHINESECALENDAR, "国庆节"), KIND_HOLIDAY),  # Thu.
    (DayInfo(D(2027, 1, 2), False, SOURCE_OVERRIDE), KIND_HOLIDAY),  # Saturday, unnamed
    (DayInfo(D(2027, 1, 4), False, SOURCE_OVERRIDE), KIND_HOLIDAY),  # Monday, unnamed
    (DayInfo(D(2027, 1, 5), False, SOURCE_ENTERED_YEAR), KIND_HOLIDAY),  # a weekday off
])
def test_day_kinds(info, kind):
    assert info.kind == kind


def test_only_a_provisional_day_says_so():
    assert DayInfo(D(2027, 1, 4), True, SOURCE_PROVISIONAL).provisional is True
    for source in (SOURCE_OVERRIDE, SOURCE_CHINESECALENDAR, SOURCE_ENTERED_YEAR):
        assert DayInfo(D(2027, 1, 4), True, source).provisional is False


def test_where_a_day_comes_from_in_order(without_2027):
    calendar = WorkCalendar(overrides={D(2026, 10, 8): (False, "区里调整"),
                                       D(2027, 1, 9): (True, "")},
                            entered_years={2027: NOTICE})
    assert calendar.day(D(2026, 10, 8)) == DayInfo(D(2026, 10, 8), False, SOURCE_OVERRIDE,
                                                   "区里调整")
    assert calendar.day(D(2027, 1, 9)) == DayInfo(D(2027, 1, 9), True, SOURCE_OVERRIDE, "")
    assert calendar.day(D(2027, 1, 8)) == DayInfo(D(2027, 1, 8), True, SOURCE_ENTERED_YEAR)
    assert calendar.day(D(2027, 1, 10)) == DayInfo(D(2027, 1, 10), False, SOURCE_ENTERED_YEAR)
    assert calendar.is_workday(D(2027, 1, 9)) is True
    assert calendar.is_workday(D(2026, 10, 8)) is False
    assert calendar.knows_year(2026) and calendar.knows_year(2027)
    assert not calendar.knows_year(2028)


def test_entered_years_given_as_a_list_have_no_notice(without_2027):
    calendar = WorkCalendar(entered_years=["2027"])
    assert calendar.knows_year(2027)
    assert calendar._entered_years() == {2027: ""}
    assert WorkCalendar(entered_years={"2027": 7})._entered_years() == {2027: "7"}


# --- An unknown year: no silent guess ------------------------------------------------------------

def test_an_unknown_year_is_refused_by_name_even_on_a_plain_weekday(without_2027, library):
    with pytest.raises(CalendarUnknownYear) as raised:
        library.day(D(2027, 3, 3))  # a Wednesday: a weekdays-only guess would say "working"
    assert raised.value.year == 2027
    assert str(raised.value) == ("尚未录入2027年的法定节假日和调休安排，无法按工作日计算期限。"
                                 "请区民政局在管理后台录入当年国务院办公厅通知。")
    with pytest.raises(CalendarUnknownYear):
        library.add_workdays(D(2026, 12, 30), 2)
    with pytest.raises(CalendarUnknownYear):
        library.count_workdays(D(2026, 12, 30), D(2027, 1, 1))
    with pytest.raises(CalendarUnknownYear):
        cal.is_workday(D(2027, 3, 3), calendar=library)


def test_provisional_days_follow_monday_to_friday(without_2027, library):
    assert library.day(D(2027, 1, 1), provisional=True) == DayInfo(
        D(2027, 1, 1), True, SOURCE_PROVISIONAL)  # a Friday (New Year really): a guess
    assert library.day(D(2027, 1, 2), provisional=True) == DayInfo(
        D(2027, 1, 2), False, SOURCE_PROVISIONAL)


def test_an_unknown_year_is_counted_only_where_overrides_cover_every_day(without_2027):
    overrides = {D(2027, 1, 1): (False, "元旦"), D(2027, 1, 2): (True, "补班")}
    calendar = WorkCalendar(overrides=overrides, entered_years=())
    assert calendar.count_workdays(D(2026, 12, 30), D(2027, 1, 2)) == 2  # 12-31 and 01-02
    assert calendar.count_workdays(D(2026, 12, 31), D(2027, 1, 1)) == 0
    with pytest.raises(CalendarUnknownYear) as raised:
        calendar.count_workdays(D(2026, 12, 30), D(2027, 1, 3))
    assert raised.value.year == 2027
    assert calendar.count_workdays(D(2026, 12, 30), D(2027, 1, 4), provisional=True) == 3


def test_missing_years_and_the_dashboard_warning(without_2027, library):
    assert missing_calendar_years(D(2026, 12, 1), calendar=library) == [2027]
    assert missing_calendar_years(D(2027, 1, 1), calendar=library) == [2027, 2028]
    assert missing_calendar_years(D(2025, 12, 31), calendar=library) == []
    assert missing_calendar_message(D(2025, 6, 1), calendar=library) is None
    assert missing_calendar_message(D(2027, 1, 1), calendar=library) == (
        "尚未录入2027年、2028年的法定节假日和调休安排。跨入该年的办理时限暂按周一至周五推算，"
        "标为“暂定”；请在国务院办公厅通知发布后尽快在管理后台“已录入放假安排的年份”中录入。")
    entered = WorkCalendar(overrides={}, entered_years={2027: NOTICE})
    assert missing_calendar_years(D(2026, 12, 1), calendar=entered) == []


# --- Counting: the start day, 调休, the year boundary ----------------------------------------

def test_a_negative_count_is_refused_and_zero_ends_on_the_start_day(library):
    with pytest.raises(ValueError, match="n must not be negative"):
        library.walk(D(2026, 10, 12), -1)
    assert library.walk(D(2026, 10, 12), 0) == []
    assert library.add_workdays(D(2026, 10, 12), 0) == D(2026, 10, 12)
    assert library.add_workdays(D(2026, 10, 12), 1) == D(2026, 10, 13)
    with pytest.raises(ValueError, match="end must not be before start"):
        library.count_workdays(D(2026, 10, 13), D(2026, 10, 12))
    assert library.count_workdays(D(2026, 10, 12), D(2026, 10, 12)) == 0
    assert library.count_workdays(D(2026, 10, 12), D(2026, 10, 13)) == 1


def test_the_walk_lists_every_day_after_the_start_up_to_the_last(library):
    days = library.walk(D(2026, 10, 9), 2)  # Friday; Saturday 10-10 is worked (调休)
    assert [(d.date, d.is_workday) for d in days] == [(D(2026, 10, 10), True),
                                                     (D(2026, 10, 11), False),
                                                     (D(2026, 10, 12), True)]


def test_across_the_new_year_into_a_worked_sunday(library):
    """2026-01-01..03 are New Year holidays and Sunday 01-04 is worked: one working day after
    New Year's Eve 2025 is that Sunday."""
    assert library.add_workdays(D(2025, 12, 31), 1) == D(2026, 1, 4)
    assert library.add_workdays(D(2025, 12, 30), 1) == D(2025, 12, 31)
    assert library.add_workdays(D(2025, 12, 30), 2) == D(2026, 1, 4)
    assert library.count_workdays(D(2025, 12, 29), D(2026, 1, 5)) == 4  # 30, 31, 4, 5
    assert library.count_workdays(D(2025, 12, 31), D(2026, 1, 3)) == 0
    assert library.count_workdays(D(2025, 12, 31), D(2026, 1, 4)) == 1


def test_a_count_over_an_entered_year_uses_its_overrides(without_2027):
    calendar = WorkCalendar(overrides={D(2027, 1, 1): (False, "元旦"),
                                       D(2027, 1, 4): (False, "调整"),
                                       D(2027, 1, 9): (True, "补班")},
                            entered_years={2027: NOTICE})
    # 2026-12-31 (Thu), then 2027: 01-05, 06, 07, 08, 09 (worked Saturday), 11
    assert calendar.count_workdays(D(2026, 12, 30), D(2027, 1, 11)) == 7
    assert calendar.add_workdays(D(2026, 12, 30), 7) == D(2027, 1, 11)
    assert calendar.add_workdays(D(2026, 12, 30), 6) == D(2027, 1, 9)
    assert calendar.count_workdays(D(2027, 1, 3), D(2027, 1, 4)) == 0
    assert calendar.count_workdays(D(2027, 1, 8), D(2027, 1, 9)) == 1


@pytest.mark.clause("S4")
@pytest.mark.clause("S12")
def test_decision_clock_first_and_last_minute(library):
    """A start at 00:00 and one at 23:59 Beijing time on the same day end alike, at the last
    second of the 20th working day; a start one second before midnight UTC+8 is the day before.
    """
    for start in (at(2026, 9, 28, 0, 0), at(2026, 9, 28, 23, 59, 59),
                  dt.datetime(2026, 9, 27, 16, 0, tzinfo=dt.UTC)):
        assert compute_due("workday", 20, start, calendar=library).due_at == eod(2026, 10, 30)
    before = dt.datetime(2026, 9, 27, 15, 59, 59, tzinfo=dt.UTC)  # 2026-09-27 23:59:59 SH
    assert compute_due("workday", 20, before, calendar=library).due_at == eod(2026, 10, 29)
    due = compute_due("workday", 20, at(2026, 9, 28), calendar=library).due_at
    assert due == dt.datetime.combine(D(2026, 10, 30), END_OF_DAY, tzinfo=SH)
    assert dt.time(23, 59, 59) == END_OF_DAY


@pytest.mark.clause("S4")
def test_decision_clock_state_at_its_last_second_and_after():
    calendar = WorkCalendar(overrides={}, entered_years=())
    deadline = Deadline(kind="decision", unit=DeadlineUnit.WORKDAY, status=DeadlineStatus.OPEN,
                        due_at=eod(2026, 10, 30), calendar_confirmed=True)
    assert clock_state(deadline, eod(2026, 10, 30), calendar) == ("at_risk", "临期")
    assert clock_state(deadline, eod(2026, 10, 30) + dt.timedelta(seconds=1),
                       calendar) == ("breached", "已超期")
    # 3 working days left (10-28, 29, 30 after Tuesday 10-27): at risk; 4 left: not yet.
    assert clock_state(deadline, at(2026, 10, 27), calendar) == ("at_risk", "临期")
    assert clock_state(deadline, at(2026, 10, 26), calendar) == ("ok", "计时中")
    # Saturday 10-24 and Sunday 10-25 are not worked: still 5 left on the Friday before.
    assert clock_state(deadline, at(2026, 10, 23), calendar) == ("ok", "计时中")


@pytest.mark.clause("S11")
def test_emergency_24_hours_to_the_minute_over_a_holiday():
    start = at(2026, 9, 30, 22, 30)
    result = compute_due("hour", 24, start)
    assert result.due_at == at(2026, 10, 1, 22, 30)
    assert result.confirmed is True
    assert result.explanation == {
        "rule": "自起算时刻起连续计算，节假日照常计入。",
        "start": "2026-09-30T22:30:00+08:00",
        "unit": "hour",
        "amount": 24,
        "confirmed": True,
        "summary": ("自2026年9月30日22:30起24小时内，"
                    "即2026年10月1日22:30前（北京时间，节假日照常计算）。"),
        "basis": {"start_at": "2026-09-30T22:30:00+08:00", "unit": "hour", "amount": 24},
        "due_at": "2026-10-01T22:30:00+08:00",
    }
    deadline = Deadline(kind="emergency_aid", unit=DeadlineUnit.HOUR,
                        status=DeadlineStatus.OPEN, due_at=result.due_at)
    six = dt.timedelta(hours=6)
    assert clock_state(deadline, result.due_at - six) == ("at_risk", "临期")
    assert clock_state(deadline, result.due_at - six - dt.timedelta(seconds=1)) == ("ok",
                                                                                   "计时中")
    assert clock_state(deadline, result.due_at) == ("at_risk", "临期")
    assert clock_state(deadline, result.due_at + dt.timedelta(seconds=1)) == ("breached",
                                                                              "已超期")


@pytest.mark.clause("S11")
def test_emergency_registration_five_working_days_over_national_day(library):
    """Reported on 09-30: the holiday 10-01..07 is skipped, Thursday 10-08 is day 1 and the
    worked Saturday 10-10 is day 3."""
    result = compute_due("workday", 5, at(2026, 9, 30, 18), calendar=library)
    assert result.due_at == eod(2026, 10, 13)
    assert result.explanation["first_day"] == "2026-10-08"
    assert [d["date"] for d in result.explanation["makeup_workdays"]] == ["2026-10-10"]


@pytest.mark.clause("S5")
def test_recheck_ten_working_days_over_the_spring_festival(library):
    """Objection on Friday 02-13: Saturday 02-14 is worked (day 1), 02-15..23 are off, Saturday
    02-28 is worked."""
    result = compute_due("workday", 10, at(2026, 2, 13, 16), calendar=library)
    assert result.due_at == eod(2026, 3, 5)
    assert result.explanation["first_day"] == "2026-02-14"
    assert [d["date"] for d in result.explanation["makeup_workdays"]] == ["2026-02-14",
                                                                          "2026-02-28"]


# --- Explanations, word for word -----------------------------------------------------------------

def test_explanation_of_the_national_day_count(library):
    result = library.explain_add_workdays(D(2026, 9, 28), 20)
    assert result.due == D(2026, 10, 30)
    assert result.confirmed is True
    e = result.explanation
    assert e["summary"] == (
        "自2026年9月28日起算（当日不计入），第1个工作日为2026年9月29日，第20个工作日为2026年10月30日。"
        "跳过法定节假日：2026年10月1日至10月7日（国庆节）。"
        "计入调休上班日：2026年10月10日（星期六，国庆节调休）。"
        "另跳过周末5天。依据：国务院办公厅放假安排（系统内置）。")
    assert e["rule"] == "起算日当天不计入，其后的第一个工作日为第1个工作日。"
    assert (e["start"], e["unit"], e["amount"], e["first_day"], e["due"]) == (
        "2026-09-28", "workday", 20, "2026-09-29", "2026-10-30")
    assert e["holidays_skipped"][0] == {"date": "2026-10-01", "name": "国庆节",
                                        "source": SOURCE_CHINESECALENDAR}
    assert len(e["holidays_skipped"]) == 7
    assert e["makeup_workdays"] == [{"date": "2026-10-10", "name": "国庆节",
                                     "source": SOURCE_CHINESECALENDAR}]
    assert e["weekend_days_skipped"] == 5
    assert e["sources"] == [SOURCE_CHINESECALENDAR]
    assert e["calendar_notices"] == {}
    assert e["provisional_years"] == []
    assert e["confirmed"] is True


def test_explanation_across_an_entered_year_names_the_notice(without_2027):
    calendar = WorkCalendar(overrides={D(2027, 1, 1): (False, "元旦"), D(2027, 1, 2): (False, ""),
                                       D(2027, 1, 9): (True, "补班")},
                            entered_years={2027: NOTICE})
    result = calendar.explain_add_workdays(D(2026, 12, 30), 8)
    e = result.explanation
    assert result.due == D(2027, 1, 11) and result.confirmed is True
    assert e["summary"] == (
        "自2026年12月30日起算（当日不计入），第1个工作日为2026年12月31日，第8个工作日为2027年1月11日。"
        "跳过法定节假日：2027年1月1日（元旦）；2027年1月2日（节假日调整）。"
        "计入调休上班日：2027年1月9日（星期六，补班调休）。另跳过周末2天。"
        "依据：国务院办公厅放假安排（系统内置）；区民政局录入的当年放假安排（其余日期按周一至周五）；"
        "区民政局录入的节假日调整（2027年：国办发明电〔2026〕X号）。")
    assert e["sources"] == [SOURCE_CHINESECALENDAR, SOURCE_ENTERED_YEAR, SOURCE_OVERRIDE]
    assert e["calendar_notices"] == {"2027": NOTICE}
    assert e["makeup_workdays"] == [{"date": "2027-01-09", "name": "补班",
                                     "source": SOURCE_OVERRIDE}]
    # An entered year without a notice number names none.
    quiet = WorkCalendar(overrides={}, entered_years=[2027])
    e = quiet.explain_add_workdays(D(2026, 12, 30), 3).explanation
    assert e["calendar_notices"] == {}
    assert e["summary"].endswith(
        "依据：国务院办公厅放假安排（系统内置）；区民政局录入的当年放假安排（其余日期按周一至周五）。")


def test_explanation_of_a_provisional_count(without_2027, library):
    result = library.explain_add_workdays(D(2026, 12, 30), 3, provisional=True)
    assert result.due == D(2027, 1, 4)
    assert result.confirmed is False
    e = result.explanation
    assert e["confirmed"] is False
    assert e["provisional_years"] == [2027]
    assert e["sources"] == [SOURCE_CHINESECALENDAR, SOURCE_PROVISIONAL]
    assert e["summary"] == (
        "自2026年12月30日起算（当日不计入），第1个工作日为2026年12月31日，第3个工作日为2027年1月4日。"
        "另跳过周末2天。依据：国务院办公厅放假安排（系统内置）。"
        "【暂定】2027年的放假安排尚未录入，该年按周一至周五推算，区民政局录入后将自动重新计算。")
    only_guessed = library.explain_add_workdays(D(2027, 3, 1), 1, provisional=True)
    assert only_guessed.explanation["summary"] == (
        "自2027年3月1日起算（当日不计入），第1个工作日为2027年3月2日。"
        "【暂定】2027年的放假安排尚未录入，该年按周一至周五推算，区民政局录入后将自动重新计算。")


def test_explanation_of_one_and_of_zero_working_days(library):
    one = library.explain_add_workdays(D(2025, 12, 31), 1).explanation
    assert one["summary"] == (
        "自2025年12月31日起算（当日不计入），第1个工作日为2026年1月4日。"
        "跳过法定节假日：2026年1月1日至1月3日（元旦）。"
        "计入调休上班日：2026年1月4日（星期日，元旦调休）。依据：国务院办公厅放假安排（系统内置）。")
    assert one["first_day"] == "2026-01-04"
    zero = library.explain_add_workdays(D(2026, 10, 12), 0)
    assert zero.due == D(2026, 10, 12)
    assert zero.explanation["summary"] == (
        "自2026年10月12日起算（当日不计入），期限为0个工作日，到期日即起算日。")
    assert zero.explanation["first_day"] is None
    assert zero.explanation["sources"] == []


def test_holiday_runs_join_consecutive_days_of_one_name_only():
    days = [DayInfo(D(2026, 12, 31), False, SOURCE_OVERRIDE, "甲"),
            DayInfo(D(2027, 1, 1), False, SOURCE_OVERRIDE, "甲"),
            DayInfo(D(2027, 1, 2), False, SOURCE_OVERRIDE, "乙"),
            DayInfo(D(2027, 1, 4), False, SOURCE_OVERRIDE, "乙"),
            DayInfo(D(2027, 1, 5), True, SOURCE_OVERRIDE, "上班")]
    e = build_explanation(D(2026, 12, 30), 1, D(2027, 1, 5), days, {})
    assert e["summary"] == (
        "自2026年12月30日起算（当日不计入），第1个工作日为2027年1月5日。"
        "跳过法定节假日：2026年12月31日至2027年1月1日（甲）；2027年1月2日（乙）；2027年1月4日（乙）。"
        "依据：区民政局录入的节假日调整。")
    assert cal._group_runs(days[:3]) == [(D(2026, 12, 31), D(2027, 1, 1), "甲"),
                                         (D(2027, 1, 2), D(2027, 1, 2), "乙")]
    assert cal._fmt_run(D(2027, 1, 2), D(2027, 1, 2)) == "2027年1月2日"
    assert cal._fmt_run(D(2027, 1, 2), D(2027, 1, 4)) == "2027年1月2日至1月4日"


def test_a_makeup_day_named_with_or_without_tiaoxiu_or_unnamed():
    days = [DayInfo(D(2027, 1, 2), True, SOURCE_OVERRIDE, "春节调休"),
            DayInfo(D(2027, 1, 3), True, SOURCE_OVERRIDE, "")]
    e = build_explanation(D(2027, 1, 1), 2, D(2027, 1, 3), days, {})
    assert e["summary"].endswith(
        "计入调休上班日：2027年1月2日（星期六，春节调休）；2027年1月3日（星期日）。"
        "依据：区民政局录入的节假日调整。")


# --- Calendar days and publicity ----------------------------------------------------------------

@pytest.mark.clause("S6")
def test_publicity_seven_days_from_the_day_after_posting_to_the_last_second():
    posted = at(2026, 9, 30, 23, 59)
    result = compute_due("day", 7, posted)
    assert result.due_at == eod(2026, 10, 7)
    assert result.explanation == {
        "rule": "按自然日计算，节假日照常计入；起算日当天不计入，次日为第1日。",
        "start": "2026-09-30",
        "unit": "day",
        "amount": 7,
        "first_day": "2026-10-01",
        "due": "2026-10-07",
        "confirmed": True,
        "summary": ("自2026年9月30日起算（当日不计入），2026年10月1日为第1日，"
                    "共7个自然日（节假日照常计入），截止时间为2026年10月7日23:59:59（北京时间）。"),
        "basis": {"start_at": "2026-09-30T23:59:00+08:00", "unit": "day", "amount": 7},
        "due_at": "2026-10-07T23:59:59+08:00",
    }
    assert compute_due("day", 3, posted).due_at == eod(2026, 10, 3)
    period = publicity_period(posted, result.due_at)
    assert (period.posted_at, period.first_day, period.last_day, period.ends_at) == (
        posted, D(2026, 10, 1), D(2026, 10, 7), eod(2026, 10, 7))
    assert period.days == 7
    assert period.covers(posted) and period.covers(eod(2026, 10, 7))
    assert not period.covers(posted - dt.timedelta(seconds=1))
    assert not period.covers(eod(2026, 10, 7) + dt.timedelta(seconds=1))


def test_zero_calendar_days_end_with_the_start_day():
    result = compute_due("day", 0, at(2026, 12, 31, 8))
    assert result.due_at == eod(2026, 12, 31)
    assert result.explanation["first_day"] is None
    assert result.explanation["summary"] == (
        "自2026年12月31日起算（当日不计入），共0个自然日（节假日照常计入），"
        "截止时间为2026年12月31日23:59:59（北京时间）。")


def test_a_working_day_clock_says_when_its_date_is_provisional(without_2027, library):
    result = compute_due("workday", 3, at(2026, 12, 30), calendar=library)
    assert result.confirmed is False
    assert result.due_at == eod(2027, 1, 4)
    assert result.explanation["summary"].endswith(
        "截止时间为2027年1月4日23:59:59（北京时间）。该到期日为暂定日期。")
    assert result.explanation["basis"] == {"start_at": "2026-12-30T09:00:00+08:00",
                                           "unit": "workday", "amount": 3}
    assert result.explanation["due_at"] == "2027-01-04T23:59:59+08:00"
    confirmed = compute_due("workday", 1, at(2026, 12, 29), calendar=library)
    assert confirmed.explanation["summary"].endswith(
        "截止时间为2026年12月30日23:59:59（北京时间）。")


def test_bad_clock_inputs_are_refused():
    with pytest.raises(ValueError, match="start moment must be timezone-aware"):
        compute_due("hour", 24, dt.datetime(2026, 10, 1, 9))
    with pytest.raises(ValueError, match="amount must not be negative"):
        compute_due("hour", -1, at(2026, 10, 1))
    assert compute_due("hour", 0, at(2026, 10, 1)).due_at == at(2026, 10, 1)
    with pytest.raises(ValueError, match="unknown deadline unit: 'week'"):
        compute_due("week", 1, at(2026, 10, 1))
    assert end_of_day(D(2026, 12, 31)) == eod(2026, 12, 31)


# --- Time left, as the pages word it ------------------------------------------------------------

def _weekdays(start, end):
    return sum((start + dt.timedelta(days=i)).weekday() < 5
               for i in range(1, (end - start).days + 1))


def test_time_left_on_the_last_day_and_the_day_after():
    now = at(2026, 11, 4, 10)  # a Wednesday
    def clock(unit, due, **kw):
        return Deadline(unit=unit, due_at=due, status=DeadlineStatus.OPEN,
                        calendar_confirmed=kw.get("confirmed", True))
    assert time_left_label(clock("workday", eod(2026, 11, 4)), now, _weekdays) == "剩余0个工作日"
    assert time_left_label(clock("workday", eod(2026, 11, 3)), now, _weekdays) == "已超1个工作日"
    assert time_left_label(clock("workday", eod(2026, 11, 9), confirmed=False), now,
                           _weekdays) == "剩余3个工作日（暂定）"
    assert time_left_label(clock("day", eod(2026, 11, 4)), now, _weekdays) == "剩余0天"
    assert time_left_label(clock("day", eod(2026, 11, 2)), now, _weekdays) == "已超2天"
    assert time_left_label(clock("hour", now), now, _weekdays) == "剩余0.0小时"
    assert time_left_label(clock("hour", now - dt.timedelta(minutes=90)), now,
                           _weekdays) == "已超1.5小时"


# --- The module-level helpers pass everything on ------------------------------------------------

def test_module_level_counts_pass_the_provisional_flag_and_the_calendar(without_2027, library):
    assert cal.add_workdays(D(2026, 12, 30), 3, provisional=True,
                            calendar=library) == D(2027, 1, 4)
    assert cal.count_workdays(D(2026, 12, 30), D(2027, 1, 4), provisional=True,
                              calendar=library) == 3
    result = cal.explain_add_workdays(D(2026, 12, 30), 3, provisional=True, calendar=library)
    assert (result.due, result.confirmed) == (D(2027, 1, 4), False)
    # Without the flag a day of the unknown year is refused, never guessed.
    for call in (lambda: cal.add_workdays(D(2026, 12, 30), 3, calendar=library),
                 lambda: cal.count_workdays(D(2026, 12, 30), D(2027, 1, 4), calendar=library),
                 lambda: cal.explain_add_workdays(D(2026, 12, 30), 3, calendar=library)):
        with pytest.raises(CalendarUnknownYear):
            call()
    assert cal.is_workday(D(2026, 10, 10), calendar=library) is True


def test_working_days_left_before_on_and_after_the_due_day(without_2027, library):
    from cases.deadline_state import _workdays_left

    today = D(2026, 11, 4)  # a Wednesday
    assert _workdays_left(today, D(2026, 11, 9), library) == 3  # Thu, Fri, Mon
    assert _workdays_left(today, today, library) == 0
    assert _workdays_left(today, D(2026, 11, 2), library) == -2  # Tue and Wed since
    # Into and out of a year nobody has entered: counted Monday–Friday, never refused.
    assert _workdays_left(D(2026, 12, 30), D(2027, 1, 5), library) == 4
    assert _workdays_left(D(2027, 1, 5), D(2026, 12, 30), library) == -4


@pytest.mark.django_db
def test_the_page_calendar_is_dropped_on_saves_of_both_calendar_models_only():
    """`connect_display_calendar_signals` (run at start-up) wires exactly the saves and
    deletes of overrides and entered years to dropping the cached page calendar."""
    from django.core.cache import cache
    from django.db.models.signals import post_delete, post_save

    from cases.models import CalendarYear, HolidayOverride, Township

    for model in ("cases.HolidayOverride", "cases.CalendarYear"):
        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            signal.disconnect(sender=model, dispatch_uid=f"display_calendar:{name}:{model}")
    try:
        cache.set(cal.DISPLAY_CACHE_KEY, "cached")
        HolidayOverride.objects.create(date=D(2026, 10, 12), is_workday=False, note="试")
        assert cache.get(cal.DISPLAY_CACHE_KEY) == "cached"  # nothing listens now
    finally:
        cal.connect_display_calendar_signals()

    def dropped_by(action) -> bool:
        cache.set(cal.DISPLAY_CACHE_KEY, "cached")
        action()
        return cache.get(cal.DISPLAY_CACHE_KEY) is None

    override = HolidayOverride.objects.get(date=D(2026, 10, 12))
    year = CalendarYear(year=2031, source=NOTICE)
    township = Township.objects.first()
    assert dropped_by(lambda: override.save())
    assert dropped_by(lambda: override.delete())
    assert dropped_by(lambda: year.save())
    assert dropped_by(lambda: CalendarYear.objects.filter(pk=year.pk).delete())
    assert not dropped_by(lambda: township.save())


@pytest.mark.django_db
def test_a_case_pages_clocks_read_the_given_moment_and_the_page_calendar(django_user_model,
                                                                        without_2027):
    """`clock_rows`: ordered by start, stated at the moment given (not the real clock), on the
    page calendar (cached: a row written without signals is not seen until it expires)."""
    from django.core.cache import cache

    from cases.deadline_state import clock_rows
    from cases.idnumber import make_number
    from cases.models import Case, HolidayOverride, Household, Person, Township

    township = Township.objects.get(code="371302001")
    village = township.villages.first()
    clerk = django_user_model.objects.create_user("clerk-edges", password="pw-for-tests-only")
    person = Person.objects.create(name="王秀兰", id_number=make_number("371302", D(1950, 1, 1), 7),
                                   hukou_type="rural")
    household = Household.objects.create(village=village, address="兰山区测试村2号",
                                         hukou_type="rural", head=person)
    case = Case.objects.create(
        number="371302001-2026-DB-99002", kind="dibao", household=household, applicant=person,
        township=township, village=village, applied_at=at(2026, 10, 12), created_by=clerk)
    # Created out of start order: the later clock first.
    later = Deadline.objects.create(case=case, kind="emergency_aid", clause="S11", unit="hour",
                                    amount=24, start_at=at(2026, 10, 16, 12),
                                    due_at=at(2026, 10, 17, 12), status="open")
    earlier = Deadline.objects.create(case=case, kind="decision", clause="S4", unit="workday",
                                      amount=20, start_at=at(2026, 10, 12),
                                      due_at=eod(2026, 10, 22), status="open")
    now = at(2026, 10, 16, 9)  # Friday; 10-19, 20, 21, 22 left: four working days
    cal.display_calendar()  # the page calendar, cached now
    HolidayOverride.objects.bulk_create([HolidayOverride(date=D(2026, 10, 19), is_workday=False,
                                                         note="临时调整")])  # no signal
    assert cache.get(cal.DISPLAY_CACHE_KEY) is not None
    rows = clock_rows(case, now)
    assert [r.deadline.pk for r in rows] == [earlier.pk, later.pk]
    assert [(r.state, r.state_label, r.left_label) for r in rows] == [
        ("ok", "计时中", "剩余4个工作日"),  # the cached calendar: 10-19 still worked
        ("ok", "计时中", "剩余27.0小时"),
    ]
    assert rows[0].due_if_publicity_counted is None
    fresh = clock_rows(case, now, calendar=WorkCalendar())  # reads the override
    assert [(r.state, r.left_label) for r in fresh] == [("at_risk", "剩余3个工作日"),
                                                       ("ok", "剩余27.0小时")]
    # A clock into a year nobody has entered is shown Monday–Friday, marked 暂定, not refused.
    provisional = Deadline.objects.create(
        case=case, kind="registration", clause="S11", unit="workday", amount=5,
        start_at=at(2026, 12, 29), due_at=eod(2027, 1, 5), status="open",
        calendar_confirmed=False)
    rows = clock_rows(case, at(2026, 12, 30, 9))
    row = next(r for r in rows if r.deadline.pk == provisional.pk)
    assert (row.state, row.left_label) == ("ok", "剩余4个工作日（暂定）")
