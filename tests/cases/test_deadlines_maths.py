"""Due moments of the legal clocks: pure maths, no database (calendars built from data)."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from cases import calendar as cal
from cases.calendar import WorkCalendar
from cases.deadlines import compute_due, end_of_day, publicity_period
from cases.models import DeadlineUnit

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def at(y, m, d, hh=9, mm=0, tz=SH):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz)


def eod(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


@pytest.fixture
def library_calendar():
    """The calendar of chinesecalendar alone: no overrides, no entered years, no database."""
    return WorkCalendar(overrides={}, entered_years=())


@pytest.fixture
def without_2027(monkeypatch):
    """Make the test independent of a future chinesecalendar release that knows 2027."""
    real = cal.chinesecalendar_knows
    monkeypatch.setattr(cal, "chinesecalendar_knows", lambda year: year <= 2026 and real(year))


@pytest.mark.clause("S4")
@pytest.mark.clause("S12")
def test_decision_clock_ends_at_end_of_twentieth_working_day(library_calendar):
    result = compute_due("workday", 20, at(2026, 9, 28, 15, 30), calendar=library_calendar)
    assert result.due_at == eod(2026, 10, 30)
    assert result.confirmed is True
    assert result.explanation["basis"] == {
        "start_at": "2026-09-28T15:30:00+08:00", "unit": "workday", "amount": 20}
    assert [d["date"] for d in result.explanation["holidays_skipped"]] == [
        f"2026-10-0{i}" for i in range(1, 8)]
    assert [d["date"] for d in result.explanation["makeup_workdays"]] == ["2026-10-10"]
    assert "23:59:59" in result.explanation["summary"]


@pytest.mark.clause("S4")
def test_start_day_is_the_beijing_date_of_the_start_moment(library_calendar):
    # 17:00 UTC on 28 September is 01:00 on 29 September in Linyi.
    result = compute_due("workday", 20, dt.datetime(2026, 9, 28, 17, 0, tzinfo=UTC),
                         calendar=library_calendar)
    assert result.explanation["start"] == "2026-09-29"
    assert result.due_at == eod(2026, 11, 2)


@pytest.mark.clause("S4")
def test_work_done_at_any_time_on_the_last_day_is_on_time(library_calendar):
    due = compute_due("workday", 20, at(2026, 9, 28), calendar=library_calendar).due_at
    assert at(2026, 10, 30, 23, 59) <= due
    assert at(2026, 10, 31, 0, 0) > due


@pytest.mark.clause("S5")
def test_recheck_clock_is_ten_working_days_from_the_objection(library_calendar):
    # 09-29, 09-30, (10-01..07 National Day), 10-08, 10-09, 10-10 (make-up Saturday),
    # 10-12 .. 10-16.
    result = compute_due("workday", 10, at(2026, 9, 28, 11), calendar=library_calendar)
    assert result.due_at == eod(2026, 10, 16)


def _publicity(posted_at, days=7):
    """The period exactly as production computes it: the publicity clock started at the
    posting (`cases.services.case_start_publicity` → `_start_clock(…, DeadlineUnit.DAY,
    settings.PUBLICITY_DAYS, …)` → `compute_due`), read through `publicity_period`."""
    return publicity_period(posted_at, compute_due(DeadlineUnit.DAY, days, posted_at).due_at)


@pytest.mark.clause("S6")
def test_publicity_is_seven_calendar_days_from_the_day_after_posting(settings):
    assert settings.PUBLICITY_DAYS == 7
    period = _publicity(at(2026, 9, 28, 10), settings.PUBLICITY_DAYS)
    assert (period.first_day, period.last_day) == (dt.date(2026, 9, 29), dt.date(2026, 10, 5))
    assert period.days == 7
    assert period.ends_at == eod(2026, 10, 5)
    # Posted a minute before midnight: day 1 is still the next day.
    late = _publicity(at(2026, 9, 28, 23, 59))
    assert (late.first_day, late.last_day) == (dt.date(2026, 9, 29), dt.date(2026, 10, 5))
    # Posted at 00:30 Beijing time (the previous day in UTC): the Beijing date counts.
    early = _publicity(dt.datetime(2026, 9, 27, 16, 30, tzinfo=UTC))
    assert (early.first_day, early.last_day) == (dt.date(2026, 9, 29), dt.date(2026, 10, 5))


@pytest.mark.clause("S6")
def test_the_publicity_period_covers_the_posting_to_the_last_second_of_day_7():
    posted = at(2026, 9, 28, 10)
    period = _publicity(posted)
    assert period.covers(posted)
    assert not period.covers(posted - dt.timedelta(seconds=1))
    assert period.covers(eod(2026, 10, 5))
    assert not period.covers(eod(2026, 10, 5) + dt.timedelta(seconds=1))


@pytest.mark.clause("S6")
def test_publicity_counts_holidays_as_ordinary_days():
    # Posted on 30 September: 10-01..10-07 are the seven days although all are holidays.
    assert _publicity(at(2026, 9, 30, 16)).ends_at == eod(2026, 10, 7)
    assert _publicity(at(2026, 9, 30, 16), days=3).ends_at == eod(2026, 10, 3)


@pytest.mark.clause("S6")
def test_publicity_day_clock_never_needs_the_holiday_calendar(without_2027):
    result = compute_due("day", 7, at(2026, 12, 28))
    assert result.due_at == eod(2027, 1, 4)
    assert result.confirmed is True
    assert result.explanation["first_day"] == "2026-12-29"


@pytest.mark.clause("S11")
def test_emergency_aid_is_due_exactly_24_hours_after_the_report():
    result = compute_due("hour", 24, at(2026, 10, 1, 20, 15))
    assert result.due_at == at(2026, 10, 2, 20, 15)
    assert result.confirmed is True
    assert "24小时" in result.explanation["summary"]


@pytest.mark.clause("S11")
def test_emergency_hours_keep_the_exact_minute_across_utc_input():
    result = compute_due("hour", 24, dt.datetime(2026, 10, 1, 12, 15, 30, tzinfo=UTC))
    assert result.due_at == dt.datetime(2026, 10, 2, 12, 15, 30, tzinfo=UTC)


@pytest.mark.clause("S11")
def test_emergency_registration_is_five_working_days_over_labour_day(library_calendar):
    # 05-01..05 Labour Day; 05-06, 05-07, 05-08, 05-09 (make-up Saturday), 05-11.
    result = compute_due("workday", 5, at(2026, 4, 30, 18), calendar=library_calendar)
    assert result.due_at == eod(2026, 5, 11)
    assert [d["name"] for d in result.explanation["holidays_skipped"]] == ["劳动节"] * 5


@pytest.mark.clause("S12")
def test_twenty_working_days_over_the_spring_festival(library_calendar):
    # From Thursday 02-12: 02-13 (1), 02-14 make-up Saturday (2), holiday 02-15..23,
    # 02-24..27 (3-6), 02-28 make-up Saturday (7), 03-02..06 (8-12), 03-09..13 (13-17),
    # 03-16..18 (18-20).
    result = compute_due("workday", 20, at(2026, 2, 12), calendar=library_calendar)
    assert result.explanation["first_day"] == "2026-02-13"
    assert result.due_at == eod(2026, 3, 18)
    assert [d["date"] for d in result.explanation["makeup_workdays"]] == [
        "2026-02-14", "2026-02-28"]
    assert len(result.explanation["holidays_skipped"]) == 9


def test_zero_working_days_end_with_the_start_day(library_calendar):
    assert compute_due("workday", 0, at(2026, 10, 3), calendar=library_calendar).due_at == (
        eod(2026, 10, 3))
    assert compute_due("day", 0, at(2026, 10, 3)).due_at == eod(2026, 10, 3)


@pytest.mark.clause("S4")
def test_clock_into_an_unknown_year_is_provisional_not_refused(without_2027):
    calendar = WorkCalendar(overrides={}, entered_years=())
    result = compute_due("workday", 20, at(2026, 12, 15), calendar=calendar)
    assert result.confirmed is False
    # Monday–Friday guess for 2027: 2027-01-01 (a Friday) counted as a working day.
    assert result.due_at == eod(2027, 1, 12)
    assert result.explanation["provisional_years"] == [2027]
    assert "暂定" in result.explanation["summary"]
    assert "2027年" in result.explanation["summary"]


@pytest.mark.clause("S4")
def test_entered_year_data_make_the_clock_confirmed(without_2027):
    calendar = WorkCalendar(overrides={dt.date(2027, 1, 1): (False, "元旦")},
                            entered_years={2027: "国办发明电〔2026〕X号"})
    result = compute_due("workday", 20, at(2026, 12, 15), calendar=calendar)
    assert result.confirmed is True
    assert result.due_at == eod(2027, 1, 13)
    assert result.explanation["holidays_skipped"] == [
        {"date": "2027-01-01", "name": "元旦", "source": "override"}]
    assert "国办发明电〔2026〕X号" in result.explanation["summary"]


def test_explanations_are_json_serialisable(library_calendar, without_2027):
    for unit, amount in (("workday", 20), ("day", 7), ("hour", 24)):
        result = compute_due(unit, amount, at(2026, 12, 20), calendar=library_calendar)
        assert json.loads(json.dumps(result.explanation, ensure_ascii=False)) == (
            result.explanation)


def test_naive_start_moment_is_refused():
    with pytest.raises(ValueError):
        compute_due("hour", 24, dt.datetime(2026, 10, 1, 9, 0))


def test_unknown_unit_and_negative_amount_are_refused(library_calendar):
    with pytest.raises(ValueError):
        compute_due("week", 2, at(2026, 10, 1), calendar=library_calendar)
    with pytest.raises(ValueError):
        compute_due("day", -1, at(2026, 10, 1))


def test_deadline_unit_choices_are_accepted(library_calendar):
    from cases.models import DeadlineUnit

    result = compute_due(DeadlineUnit.WORKDAY, 20, at(2026, 9, 28), calendar=library_calendar)
    assert result.due_at == eod(2026, 10, 30)
    assert result.explanation["basis"]["unit"] == "workday"


def test_end_of_day_is_last_second_in_beijing():
    moment = end_of_day(dt.date(2026, 10, 30))
    assert moment.astimezone(UTC) == dt.datetime(2026, 10, 30, 15, 59, 59, tzinfo=UTC)
