"""The working-day calendar: counting rule, sources, unknown years, year import, admin."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import path, reverse

import cases.admin_calendar  # noqa: F401  (registers the calendar admin for this urlconf)
from cases import calendar as cal
from cases.calendar import (
    CalendarUnknownYear,
    WorkCalendar,
    add_workdays,
    chinesecalendar_knows,
    count_workdays,
    explain_add_workdays,
    is_workday,
    missing_calendar_message,
    missing_calendar_years,
)
from cases.calendar_services import calendar_year_import, parse_holiday_lines
from cases.deadlines import compute_due, recompute_unconfirmed_deadlines
from cases.idnumber import make_number
from cases.models import (
    CalendarYear,
    Case,
    CaseEvent,
    Deadline,
    HolidayOverride,
    Household,
    Person,
    Township,
)
from cases.trail import verify_chain
from lanshan_aid import urls as project_urls

# The admin pages are served from this module's urlconf (see `pytest.mark.urls`), so they
# include the calendar admin however the project's admin module is wired; the project's
# other URLs stay (its error pages link to them).
urlpatterns = [path("admin/", admin.site.urls)] + [
    p for p in project_urls.urlpatterns if str(p.pattern) != "admin/"]

D = dt.date
SH = ZoneInfo("Asia/Shanghai")
NOTICE = "国办发明电〔2026〕X号"
NOTICE_2027 = """# 2027年部分节假日安排（测试数据）
2027-01-01 休 元旦
2027-02-06..2027-02-12 休 春节
2027-02-14 班 春节调休
"""


def eod(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


@pytest.fixture
def without_2027(monkeypatch):
    """Keep 2027 unknown to the library even after a chinesecalendar release adds it."""
    real = cal.chinesecalendar_knows
    monkeypatch.setattr(cal, "chinesecalendar_knows", lambda year: year <= 2026 and real(year))


@pytest.fixture
def library_calendar():
    return WorkCalendar(overrides={}, entered_years=())


@pytest.fixture
def bureau_user(django_user_model):
    return django_user_model.objects.create_user("bureau1", password="pw-for-tests-only")


@pytest.fixture
def case(db, django_user_model):
    township = Township.objects.get(code="371302001")
    village = township.villages.first()
    clerk = django_user_model.objects.create_user("clerk1", password="pw-for-tests-only")
    person = Person.objects.create(
        name="王秀兰", id_number=make_number("371302", D(1950, 1, 1), 123), hukou_type="rural")
    household = Household.objects.create(village=village, address="兰山区测试村1号",
                                         hukou_type="rural", head=person)
    return Case.objects.create(
        number="371302001-2026-DB-99001", kind="dibao", household=household, applicant=person,
        township=township, village=village, applied_at=dt.datetime(2026, 12, 14, 9, tzinfo=SH),
        created_by=clerk,
    )


def _deadline(case, *, unit="workday", amount=20, start_at, kind="decision", clause="S4",
              status="open", explanation=None):
    due = compute_due(unit, amount, start_at)
    return Deadline.objects.create(
        case=case, kind=kind, clause=clause, unit=unit, amount=amount, start_at=start_at,
        due_at=due.due_at, calendar_confirmed=due.confirmed, status=status,
        explanation=explanation if explanation is not None else due.explanation,
    )


# --- The library's 2026 schedule, as these tests assume it -----------------------------------

def test_library_2026_schedule_is_the_official_one():
    days = [D(2026, 1, 1) + dt.timedelta(i) for i in range(365)]
    holidays = [d for d in days if chinese_calendar.get_holiday_detail(d)[1]
                and not chinese_calendar.is_workday(d)]
    makeups = [d for d in days if chinese_calendar.is_workday(d) and d.weekday() >= 5]

    def span(a, b):
        return [a + dt.timedelta(i) for i in range((b - a).days + 1)]

    assert holidays == (span(D(2026, 1, 1), D(2026, 1, 3)) + span(D(2026, 2, 15), D(2026, 2, 23))
                        + span(D(2026, 4, 4), D(2026, 4, 6)) + span(D(2026, 5, 1), D(2026, 5, 5))
                        + span(D(2026, 6, 19), D(2026, 6, 21))
                        + span(D(2026, 9, 25), D(2026, 9, 27))
                        + span(D(2026, 10, 1), D(2026, 10, 7)))
    assert makeups == [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9),
                       D(2026, 9, 20), D(2026, 10, 10)]


def test_library_years_are_detected_by_asking_it():
    assert chinesecalendar_knows(2004) and chinesecalendar_knows(2026)
    assert not chinesecalendar_knows(2003)
    assert not chinesecalendar_knows(2100)


# --- Counting rule (pure, no database) -------------------------------------------------------

@pytest.mark.clause("S4")
def test_start_day_is_not_counted_and_day_one_is_the_next_working_day(library_calendar):
    assert add_workdays(D(2026, 9, 28), 1, calendar=library_calendar) == D(2026, 9, 29)
    assert add_workdays(D(2026, 9, 28), 0, calendar=library_calendar) == D(2026, 9, 28)


@pytest.mark.clause("S4")
@pytest.mark.clause("S12")
def test_twenty_working_days_across_national_day(library_calendar):
    assert add_workdays(D(2026, 9, 28), 20, calendar=library_calendar) == D(2026, 10, 30)
    assert count_workdays(D(2026, 9, 28), D(2026, 10, 30), calendar=library_calendar) == 20


@pytest.mark.clause("S4")
def test_start_day_that_is_a_holiday(library_calendar):
    # Saturday 10-03 is in the National Day holiday: day 1 is Thursday 10-08.
    assert add_workdays(D(2026, 10, 3), 1, calendar=library_calendar) == D(2026, 10, 8)
    # chinesecalendar's own find_workday counts differently here, which is why it is not used.
    assert chinese_calendar.find_workday(1, D(2026, 10, 3)) == D(2026, 10, 9)


@pytest.mark.clause("S4")
def test_start_day_that_is_a_make_up_working_day(library_calendar):
    # Saturday 10-10 is worked, but as the start day it is not counted.
    assert add_workdays(D(2026, 10, 10), 1, calendar=library_calendar) == D(2026, 10, 12)
    assert add_workdays(D(2026, 10, 9), 1, calendar=library_calendar) == D(2026, 10, 10)


@pytest.mark.clause("S4")
def test_spring_festival_holiday_and_make_up_saturdays(library_calendar):
    assert add_workdays(D(2026, 2, 12), 2, calendar=library_calendar) == D(2026, 2, 14)
    assert add_workdays(D(2026, 2, 14), 1, calendar=library_calendar) == D(2026, 2, 24)
    assert add_workdays(D(2026, 2, 26), 2, calendar=library_calendar) == D(2026, 2, 28)
    assert count_workdays(D(2026, 2, 13), D(2026, 2, 28), calendar=library_calendar) == 6


@pytest.mark.clause("S4")
def test_qingming_and_labour_day(library_calendar):
    assert add_workdays(D(2026, 4, 3), 1, calendar=library_calendar) == D(2026, 4, 7)
    assert add_workdays(D(2026, 4, 30), 4, calendar=library_calendar) == D(2026, 5, 9)
    assert add_workdays(D(2026, 4, 30), 5, calendar=library_calendar) == D(2026, 5, 11)


@pytest.mark.clause("S4")
def test_mid_autumn_and_its_make_up_sunday(library_calendar):
    assert add_workdays(D(2026, 9, 18), 1, calendar=library_calendar) == D(2026, 9, 20)
    assert add_workdays(D(2026, 9, 24), 1, calendar=library_calendar) == D(2026, 9, 28)


@pytest.mark.clause("S5")
def test_ten_working_day_recheck(library_calendar):
    assert add_workdays(D(2026, 9, 28), 10, calendar=library_calendar) == D(2026, 10, 16)
    assert add_workdays(D(2026, 9, 30), 10, calendar=library_calendar) == D(2026, 10, 20)


@pytest.mark.clause("S11")
def test_five_working_day_emergency_registration(library_calendar):
    assert add_workdays(D(2026, 9, 30), 5, calendar=library_calendar) == D(2026, 10, 13)


@pytest.mark.clause("S12")
def test_count_is_the_inverse_of_add_all_year(library_calendar):
    start = D(2026, 1, 1)
    while start < D(2026, 11, 1):
        for n in (1, 5, 10, 20):
            due = add_workdays(start, n, calendar=library_calendar)
            assert count_workdays(start, due, calendar=library_calendar) == n
            assert is_workday(due, calendar=library_calendar)
        start += dt.timedelta(days=1)


def test_count_of_an_empty_interval_is_zero_and_a_reversed_one_is_refused(library_calendar):
    assert count_workdays(D(2026, 10, 1), D(2026, 10, 1), calendar=library_calendar) == 0
    assert count_workdays(D(2026, 10, 1), D(2026, 10, 7), calendar=library_calendar) == 0
    with pytest.raises(ValueError):
        count_workdays(D(2026, 10, 2), D(2026, 10, 1), calendar=library_calendar)


@pytest.mark.clause("S4")
def test_explanation_lists_holidays_make_up_days_and_sources(library_calendar):
    result = explain_add_workdays(D(2026, 9, 28), 20, calendar=library_calendar)
    assert result.due == D(2026, 10, 30)
    assert result.confirmed is True
    exp = result.explanation
    assert exp["holidays_skipped"][0] == {"date": "2026-10-01", "name": "国庆节",
                                          "source": "chinesecalendar"}
    assert len(exp["holidays_skipped"]) == 7
    assert exp["makeup_workdays"] == [{"date": "2026-10-10", "name": "国庆节",
                                       "source": "chinesecalendar"}]
    assert exp["sources"] == ["chinesecalendar"]
    assert exp["start"] == "2026-09-28" and exp["first_day"] == "2026-09-29"
    assert "2026年10月1日至10月7日（国庆节）" in exp["summary"]
    assert "2026年10月10日（星期六，国庆节调休）" in exp["summary"]
    assert "第20个工作日为2026年10月30日" in exp["summary"]


# --- Unknown years ---------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.clause("S4")
def test_a_year_nobody_knows_raises_an_error_naming_it(without_2027):
    with pytest.raises(CalendarUnknownYear) as info:
        add_workdays(D(2026, 12, 15), 20)
    assert info.value.year == 2027
    assert "尚未录入2027年的法定节假日和调休安排" in str(info.value)
    with pytest.raises(CalendarUnknownYear):
        count_workdays(D(2026, 12, 30), D(2027, 1, 5))
    with pytest.raises(CalendarUnknownYear):
        is_workday(D(2027, 3, 1))


@pytest.mark.django_db
def test_no_silent_weekday_guess_even_for_a_weekday(without_2027):
    with pytest.raises(CalendarUnknownYear):
        is_workday(D(2027, 3, 3))  # a Wednesday


@pytest.mark.django_db
@pytest.mark.clause("S4")
def test_entered_year_and_its_overrides_make_2027_computable(without_2027, bureau_user):
    CalendarYear.objects.create(year=2027, source=NOTICE, entered_by=bureau_user)
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    assert add_workdays(D(2026, 12, 15), 20) == D(2027, 1, 13)
    assert count_workdays(D(2026, 12, 15), D(2027, 1, 13)) == 20
    result = explain_add_workdays(D(2026, 12, 15), 20)
    assert result.confirmed is True
    assert result.explanation["calendar_notices"] == {"2027": NOTICE}
    assert set(result.explanation["sources"]) == {"chinesecalendar", "entered_year", "override"}


@pytest.mark.django_db
def test_overrides_alone_do_not_make_a_year_known(without_2027):
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    assert is_workday(D(2027, 1, 1)) is False  # the row itself is authoritative
    with pytest.raises(CalendarUnknownYear):
        add_workdays(D(2026, 12, 30), 3)


@pytest.mark.django_db
def test_override_wins_over_the_library():
    HolidayOverride.objects.create(date=D(2026, 10, 12), is_workday=False, note="临时调整")
    result = explain_add_workdays(D(2026, 9, 28), 20)
    assert result.due == D(2026, 11, 2)
    assert {"date": "2026-10-12", "name": "临时调整", "source": "override"} in (
        result.explanation["holidays_skipped"])
    assert "override" in result.explanation["sources"]


@pytest.mark.django_db
def test_a_count_reads_the_database_at_most_twice(without_2027,
                                                   django_assert_max_num_queries):
    CalendarYear.objects.create(year=2027, source=NOTICE)
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    with django_assert_max_num_queries(2):
        assert add_workdays(D(2026, 12, 15), 20) == D(2027, 1, 13)
    calendar = WorkCalendar()
    with django_assert_max_num_queries(2):
        for start in (D(2026, 12, 1), D(2026, 12, 10), D(2026, 12, 20)):
            calendar.add_workdays(start, 20)


@pytest.mark.clause("S4")
def test_provisional_mode_guesses_monday_to_friday_and_says_so(without_2027):
    calendar = WorkCalendar(overrides={}, entered_years=())
    result = explain_add_workdays(D(2026, 12, 15), 20, provisional=True, calendar=calendar)
    assert result.due == D(2027, 1, 12)
    assert result.confirmed is False
    assert result.explanation["provisional_years"] == [2027]
    assert "【暂定】2027年的放假安排尚未录入" in result.explanation["summary"]


def test_missing_years_for_the_dashboard(without_2027):
    calendar = WorkCalendar(overrides={}, entered_years=())
    assert missing_calendar_years(D(2026, 11, 26), calendar=calendar) == [2027]
    assert missing_calendar_years(D(2027, 3, 1), calendar=calendar) == [2027, 2028]
    assert missing_calendar_years(D(2025, 6, 1), calendar=calendar) == []
    known = WorkCalendar(overrides={}, entered_years={2027: NOTICE})
    assert missing_calendar_years(D(2026, 11, 26), calendar=known) == []
    assert "2027年" in missing_calendar_message(D(2026, 11, 26), calendar=calendar)
    assert missing_calendar_message(D(2026, 11, 26), calendar=known) is None


@pytest.mark.django_db
def test_missing_years_read_the_entered_years(without_2027):
    assert missing_calendar_years(D(2026, 12, 1)) == [2027]
    CalendarYear.objects.create(year=2027, source=NOTICE)
    assert missing_calendar_years(D(2026, 12, 1)) == []


# --- Management command: workdays --------------------------------------------------------

def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.clause("S4")
def test_workdays_add_prints_the_due_date():
    assert _run("workdays", "add", "2026-09-28", "20") == "2026-10-30\n"


@pytest.mark.django_db
@pytest.mark.clause("S4")
def test_workdays_count_prints_the_number():
    assert _run("workdays", "count", "2026-09-28", "2026-10-30") == "20\n"


@pytest.mark.django_db
def test_workdays_in_an_unknown_year_is_a_command_error(without_2027):
    with pytest.raises(CommandError, match="尚未录入2027年"):
        _run("workdays", "add", "2026-12-15", "20")
    with pytest.raises(CommandError, match="尚未录入2027年"):
        _run("workdays", "count", "2026-12-15", "2027-01-15")


@pytest.mark.django_db
def test_workdays_refuses_bad_dates():
    with pytest.raises(CommandError, match="无法识别日期"):
        _run("workdays", "add", "2026-02-30", "5")
    with pytest.raises(CommandError, match="截止日期不能早于起算日期"):
        _run("workdays", "count", "2026-10-30", "2026-09-28")


# --- Parsing the notice --------------------------------------------------------------------

def test_notice_lines_expand_ranges_and_skip_comments():
    days = parse_holiday_lines(NOTICE_2027 + "\n2027-05-01至2027-05-02 放假 劳动节\n")
    assert days[0] == (D(2027, 1, 1), False, "元旦")
    assert [d for d, _w, _n in days if _n == "春节"] == [
        D(2027, 2, 6) + dt.timedelta(i) for i in range(7)]
    assert (D(2027, 2, 14), True, "春节调休") in days
    assert days[-1] == (D(2027, 5, 2), False, "劳动节")


def test_notice_lines_report_every_bad_line_in_chinese():
    with pytest.raises(ValidationError) as info:
        parse_holiday_lines("2027-01-01 休 元旦\n2027-02-30 休 春节\n2027-03-01 加班\n坏行\n"
                            "2027-03-05..2027-03-01 休 x\n")
    messages = info.value.messages
    assert messages == [
        "第2行：无法识别日期“2027-02-30”，日期应写成YYYY-MM-DD。",
        "第3行：“加班”应为“休”（放假）或“班”（调休上班）。",
        "第4行“坏行”：应为“日期 休/班 说明”，例如“2027-01-01 休 元旦”。",
        "第5行：结束日期早于起始日期。",
    ]


# --- Importing a year; provisional deadlines recomputed ------------------------------------

@pytest.mark.django_db
@pytest.mark.clause("S4")
@pytest.mark.clause("S12")
def test_provisional_deadline_is_recomputed_when_the_year_is_entered(without_2027, case,
                                                                     bureau_user):
    start = dt.datetime(2026, 12, 15, 10, tzinfo=SH)
    decision = _deadline(case, start_at=start)
    publicity = _deadline(case, unit="day", amount=7, kind="publicity", clause="S6",
                          start_at=start)
    assert decision.calendar_confirmed is False
    assert decision.due_at == eod(2027, 1, 12)
    assert "暂定" in decision.explanation["summary"]
    assert publicity.calendar_confirmed is True

    result = calendar_year_import(year=2027, days=parse_holiday_lines(NOTICE_2027),
                                  source=NOTICE, by=bureau_user)

    assert (result.days_off, result.workdays, result.recomputed) == (8, 1, 1)
    assert "已录入2027年放假安排" in result.message
    decision.refresh_from_db()
    assert decision.calendar_confirmed is True
    assert decision.due_at == eod(2027, 1, 13)
    assert "暂定" not in decision.explanation["summary"]
    assert decision.explanation["holidays_skipped"] == [
        {"date": "2027-01-01", "name": "元旦", "source": "override"}]
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.entered_by) == (NOTICE, bureau_user)
    assert HolidayOverride.objects.filter(date__year=2027).count() == 9

    event = CaseEvent.objects.get(case=case, action="deadline_recomputed")
    assert event.actor == bureau_user
    assert event.payload["kind"] == "decision"
    assert event.payload["deadline"] == decision.pk
    assert event.payload["old_due_at"] == "2027-01-12T23:59:59+08:00"
    assert event.payload["new_due_at"] == "2027-01-13T23:59:59+08:00"
    assert event.payload["calendar_confirmed"] is True
    assert "2027年1月13日" in event.note
    assert verify_chain(case.pk) is None


@pytest.mark.django_db
def test_recompute_follows_a_resumed_clock_and_leaves_settled_ones(without_2027, case):
    accepted = dt.datetime(2026, 12, 8, 9, tzinfo=SH)
    original = compute_due("workday", 20, accepted)
    assert original.due_at == eod(2027, 1, 5)  # 2027-01-01 guessed as a working day
    resumed_at = dt.datetime(2026, 12, 21, 9, tzinfo=SH)
    then = compute_due("workday", 12, resumed_at)
    assert then.due_at == eod(2027, 1, 6)  # 12-22..31 (8), 01-01 guessed (9), 01-04..06
    resumed = Deadline.objects.create(
        case=case, kind="decision", clause="S4", unit="workday", amount=20,
        start_at=accepted, due_at=then.due_at, calendar_confirmed=False, status="open",
        explanation={**original.explanation, "note_from_elsewhere": "保留",
                     "due_if_publicity_counted": original.due_at.isoformat(),
                     "resumed": {"at": resumed_at.isoformat(), "remaining_workdays": 12,
                                 "then": then.explanation}},
    )
    paused = _deadline(case, start_at=dt.datetime(2026, 12, 16, 9, tzinfo=SH), status="paused")
    settled = _deadline(case, start_at=dt.datetime(2026, 12, 16, 9, tzinfo=SH), status="met")

    CalendarYear.objects.create(year=2027, source=NOTICE)
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    assert recompute_unconfirmed_deadlines() == 2

    resumed.refresh_from_db()
    assert resumed.due_at == eod(2027, 1, 7)
    assert resumed.calendar_confirmed is True
    exp = resumed.explanation
    assert exp["resumed"]["remaining_workdays"] == 12
    assert exp["resumed"]["then"]["due"] == "2027-01-07"
    assert exp["due"] == "2027-01-06" and exp["confirmed"] is True
    assert exp["due_if_publicity_counted"] == "2027-01-06T23:59:59+08:00"
    assert exp["note_from_elsewhere"] == "保留"
    paused.refresh_from_db()
    assert paused.calendar_confirmed is True and paused.status == "paused"
    assert paused.due_at == eod(2027, 1, 14)
    settled.refresh_from_db()
    assert settled.calendar_confirmed is False and settled.due_at == eod(2027, 1, 13)
    assert CaseEvent.objects.filter(case=case, action="deadline_recomputed").count() == 2
    assert verify_chain(case.pk) is None


@pytest.mark.django_db
def test_recompute_without_a_change_writes_nothing(without_2027, case):
    _deadline(case, start_at=dt.datetime(2026, 12, 15, 10, tzinfo=SH))
    assert recompute_unconfirmed_deadlines() == 0
    assert not CaseEvent.objects.filter(action="deadline_recomputed").exists()


@pytest.mark.django_db
def test_bad_import_is_refused_in_chinese_and_writes_nothing(without_2027, case, bureau_user):
    decision = _deadline(case, start_at=dt.datetime(2026, 12, 15, 10, tzinfo=SH))
    days = parse_holiday_lines(NOTICE_2027) + [
        (D(2026, 12, 31), False, "跨年"),       # not in 2027
        (D(2027, 2, 15), True, "误填"),          # a Monday is always a working day
        (D(2027, 1, 1), False, "重复"),          # twice
    ]
    with pytest.raises(ValidationError) as info:
        calendar_year_import(year=2027, days=days, source=" ", by=bureau_user)
    messages = info.value.messages
    assert "请填写依据（国务院办公厅通知的文号或标题）。" in messages
    assert "2026-12-31不在2027年内。" in messages
    assert "2027-02-15是星期一，本来就是工作日，不能登记为调休上班日。" in messages
    assert "2027-01-01重复出现，每天只能登记一次。" in messages
    assert not HolidayOverride.objects.exists()
    assert not CalendarYear.objects.exists()
    decision.refresh_from_db()
    assert decision.calendar_confirmed is False and decision.due_at == eod(2027, 1, 12)
    assert not CaseEvent.objects.filter(action="deadline_recomputed").exists()


@pytest.mark.django_db
def test_empty_import_and_a_wrong_year_are_refused():
    with pytest.raises(ValidationError, match="未填写2027年的任何放假或调休上班日期"):
        calendar_year_import(year=2027, days=[], source=NOTICE)
    with pytest.raises(ValidationError, match="年份"):
        calendar_year_import(year=27, days=[(D(2027, 1, 1), False, "")], source=NOTICE)
    assert not HolidayOverride.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_a_failure_during_recompute_rolls_the_whole_import_back(without_2027, monkeypatch):
    import cases.deadlines

    def boom(**kwargs):
        raise RuntimeError("recompute failed")

    monkeypatch.setattr(cases.deadlines, "recompute_unconfirmed_deadlines", boom)
    with pytest.raises(RuntimeError):
        calendar_year_import(year=2027, days=parse_holiday_lines(NOTICE_2027), source=NOTICE)
    assert not HolidayOverride.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_reimport_corrects_the_year(without_2027, bureau_user):
    calendar_year_import(year=2027, days=parse_holiday_lines(NOTICE_2027), source="初稿",
                         by=bureau_user)
    result = calendar_year_import(year=2027, days=[(D(2027, 1, 1), False, "元旦节")],
                                  source=NOTICE)
    assert result.replaced_year is True
    assert (result.created, result.updated) == (0, 1)
    assert CalendarYear.objects.get(year=2027).source == NOTICE
    row = HolidayOverride.objects.get(date=D(2027, 1, 1))
    assert (row.note, row.created_by) == ("元旦节", bureau_user)


# --- Management command: import_holidays -------------------------------------------------

@pytest.mark.django_db
def test_import_holidays_from_a_file(without_2027, tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text("\ufeff" + NOTICE_2027, encoding="utf-8")
    output = _run("import_holidays", "2027", "--source", NOTICE, "--file", str(notice))
    assert "已录入2027年放假安排：放假8天，调休上班1天" in output
    assert add_workdays(D(2026, 12, 15), 20) == D(2027, 1, 13)


@pytest.mark.django_db
def test_import_holidays_from_stdin(without_2027):
    out = io.StringIO()
    call_command("import_holidays", "2027", "--source", NOTICE, "--file", "-",
                 stdin=io.StringIO(NOTICE_2027), stdout=out)
    assert CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.django_db
def test_import_holidays_refuses_bad_input_and_writes_nothing(without_2027):
    with pytest.raises(CommandError) as info:
        call_command("import_holidays", "2027", "--source", NOTICE, "--file", "-",
                     stdin=io.StringIO("2027-01-01 休 元旦\n2027-02-15 班 误填\n"),
                     stdout=io.StringIO())
    assert "录入失败，未写入任何数据" in str(info.value)
    assert "不能登记为调休上班日" in str(info.value)
    assert not HolidayOverride.objects.exists() and not CalendarYear.objects.exists()


# --- Admin -----------------------------------------------------------------------------------

@pytest.fixture
def admin_client_(client, django_user_model):
    user = django_user_model.objects.create_superuser("sysadmin", "sa@example.invalid",
                                                      "pw-for-tests-only")
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_admin_import_page_is_reached_from_the_changelist(admin_client_):
    changelist = admin_client_.get(reverse("admin:cases_calendaryear_changelist"))
    assert changelist.status_code == 200
    add_url = reverse("admin:cases_calendaryear_add")
    assert add_url in changelist.content.decode()
    response = admin_client_.get(add_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_calendaryear_import")
    page = admin_client_.get(response["Location"])
    assert page.status_code == 200
    assert "录入全年放假安排" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.clause("S4")
def test_admin_import_enters_the_year_and_recomputes(without_2027, admin_client_, case):
    decision = _deadline(case, start_at=dt.datetime(2026, 12, 15, 10, tzinfo=SH))
    response = admin_client_.post(reverse("admin:cases_calendaryear_import"), {
        "year": "2027", "source": NOTICE, "days": NOTICE_2027})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_calendaryear_changelist")
    year = CalendarYear.objects.get(year=2027)
    assert year.entered_by == admin_client_.user
    assert HolidayOverride.objects.filter(date__year=2027).count() == 9
    decision.refresh_from_db()
    assert decision.calendar_confirmed is True and decision.due_at == eod(2027, 1, 13)
    page = admin_client_.get(response["Location"])
    assert "已录入2027年放假安排" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_admin_import_refuses_bad_input_in_chinese(without_2027, admin_client_):
    url = reverse("admin:cases_calendaryear_import")
    response = admin_client_.post(url, {"year": "2027", "source": NOTICE,
                                        "days": "2027-01-01 休 元旦\n2027-02-15 班 误填\n"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "录入失败，未写入任何数据" in body
    assert "2027-02-15是星期一，本来就是工作日，不能登记为调休上班日。" in body
    response = admin_client_.post(url, {"year": "2027", "source": NOTICE,
                                        "days": "2027-02-30 休 春节\n"})
    assert response.status_code == 200
    assert "无法识别日期“2027-02-30”" in response.content.decode()
    assert not HolidayOverride.objects.exists() and not CalendarYear.objects.exists()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_admin_import_needs_the_calendar_permissions(client, django_user_model):
    staff = django_user_model.objects.create_user("clerk2", password="pw-for-tests-only",
                                                  is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("admin:cases_calendaryear_import"))
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_admin_override_list_and_single_day_entry(without_2027, admin_client_, case):
    decision = _deadline(case, start_at=dt.datetime(2026, 12, 15, 10, tzinfo=SH))
    response = admin_client_.post(reverse("admin:cases_holidayoverride_add"), {
        "date": "2027-01-01", "is_workday": "", "note": "元旦"})
    assert response.status_code == 302
    row = HolidayOverride.objects.get(date=D(2027, 1, 1))
    assert row.created_by == admin_client_.user and row.is_workday is False
    # The year is still unknown, but the provisional date now skips the entered holiday.
    decision.refresh_from_db()
    assert decision.calendar_confirmed is False and decision.due_at == eod(2027, 1, 13)
    listing = admin_client_.get(reverse("admin:cases_holidayoverride_changelist"),
                                {"year": "2027"})
    assert listing.status_code == 200
    assert "元旦" in listing.content.decode()
    assert "星期五" in listing.content.decode()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_admin_calendar_year_cannot_be_deleted(admin_client_):
    year = CalendarYear.objects.create(year=2027, source=NOTICE)
    url = reverse("admin:cases_calendaryear_delete", args=[year.pk])
    assert admin_client_.get(url).status_code == 403
