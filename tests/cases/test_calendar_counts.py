"""Counting working days by per-year running totals equals asking every day; pages that show
clocks read the overrides and entered years from the cache, services from the database."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cases import calendar as cal
from cases.calendar import CalendarUnknownYear, WorkCalendar, display_calendar
from cases.deadline_state import clock_rows
from cases.deadlines import compute_due
from cases.demo_cases import build_case
from cases.models import CalendarYear, DeadlineKind, HolidayOverride
from cases.services import refresh_next_due
from tests.factories import HouseholdFactory

D = dt.date
NOTICE = "国办发明电〔2026〕X号（测试）"
# Overrides in years the library knows (2025, 2026) and in 2027, which it is kept from
# knowing below: holidays on working days, make-up working days on weekends, a whole week.
OVERRIDES = {
    D(2025, 3, 12): (False, "临时调整"),
    D(2025, 3, 15): (True, "临时调休上班"),
    D(2026, 10, 12): (False, "临时调整"),
    D(2026, 10, 10): (False, "改为放假"),  # a make-up Saturday of the library, cancelled
    D(2026, 12, 31): (False, "临时调整"),
    **{D(2027, 1, 1) + dt.timedelta(days=i): (False, "元旦") for i in range(3)},
    **{D(2027, 2, 6) + dt.timedelta(days=i): (False, "春节") for i in range(7)},
    D(2027, 2, 14): (True, "春节调休"),
}


@pytest.fixture(autouse=True)
def without_2027(monkeypatch):
    """2027 stays unknown to the library even after a chinesecalendar release adds it."""
    real = cal.chinesecalendar_knows
    monkeypatch.setattr(cal, "chinesecalendar_knows", lambda year: year <= 2026 and real(year))


def walked(calendar: WorkCalendar, start: D, end: D, *, provisional: bool):
    """The day-by-day count: every day of (start, end] asked of `calendar.day`; an unknown
    year is reported as ("unknown", year), as the first such day raises it."""
    try:
        return sum(calendar.day(start + dt.timedelta(days=i), provisional=provisional).is_workday
                   for i in range(1, (end - start).days + 1))
    except CalendarUnknownYear as exc:
        return ("unknown", exc.year)


def counted(calendar: WorkCalendar, start: D, end: D, *, provisional: bool):
    try:
        return calendar.count_workdays(start, end, provisional=provisional)
    except CalendarUnknownYear as exc:
        return ("unknown", exc.year)


def intervals() -> list[tuple[D, D]]:
    """Random intervals over 2002–2028 (the library knows 2004–2026), year ends, one day, an
    empty one, and a stretch of 2027 covered by overrides alone."""
    rng = random.Random(20261127)
    lo, hi = D(2002, 6, 1), D(2028, 6, 30)
    span = (hi - lo).days
    pairs = []
    for _ in range(150):
        a = lo + dt.timedelta(days=rng.randrange(span))
        b = a + dt.timedelta(days=rng.choice([0, 1, 3, 20, 45, 200, 400, 1500, 4000]))
        pairs.append((a, min(b, hi)))
    pairs += [(D(2026, 12, 31), D(2027, 1, 1)), (D(2026, 12, 30), D(2027, 1, 3)),
              (D(2026, 12, 31), D(2027, 1, 4)), (D(2003, 12, 31), D(2004, 1, 2)),
              (D(2026, 9, 28), D(2026, 10, 30)), (D(2024, 12, 31), D(2025, 12, 31)),
              (D(2026, 5, 5), D(2026, 5, 5)), (D(2003, 6, 1), D(2028, 2, 1))]
    return pairs


@pytest.mark.parametrize("entered", [(), (2027,)], ids=["2027 not entered", "2027 entered"])
@pytest.mark.parametrize("provisional", [False, True], ids=["strict", "provisional"])
def test_the_count_equals_the_day_by_day_walk(entered, provisional):
    calendar = WorkCalendar(overrides=OVERRIDES, entered_years=entered)
    outcomes = set()
    for start, end in intervals():
        expected = walked(calendar, start, end, provisional=provisional)
        assert counted(calendar, start, end, provisional=provisional) == expected, (start, end)
        outcomes.add(type(expected))
    # Both kinds of answer were compared where an unknown year can raise.
    assert outcomes == ({int} if provisional else {int, tuple})


@pytest.mark.django_db
@pytest.mark.parametrize("entered", [False, True], ids=["2027 not entered", "2027 entered"])
def test_the_count_equals_the_walk_on_the_calendar_read_from_the_database(entered):
    HolidayOverride.objects.bulk_create(
        HolidayOverride(date=day, is_workday=flag, note=note)
        for day, (flag, note) in OVERRIDES.items())
    if entered:
        CalendarYear.objects.create(year=2027, source=NOTICE)
    for provisional in (False, True):
        calendar, reference = WorkCalendar(), WorkCalendar()
        for start, end in intervals()[::5]:
            assert counted(calendar, start, end, provisional=provisional) == walked(
                reference, start, end, provisional=provisional), (start, end, provisional)


def test_an_unknown_year_covered_by_overrides_is_counted_without_a_guess():
    calendar = WorkCalendar(overrides=OVERRIDES, entered_years=())
    assert calendar.count_workdays(D(2026, 12, 31), D(2027, 1, 3)) == 0  # 元旦 rows only
    with pytest.raises(CalendarUnknownYear) as raised:
        calendar.count_workdays(D(2026, 12, 31), D(2027, 1, 4))  # 01-04 has no row
    assert raised.value.year == 2027


def test_the_library_is_asked_once_per_date(monkeypatch):
    import chinese_calendar

    cal._library_day.cache_clear()
    cal._library_year.cache_clear()
    asked: list[D] = []
    real = chinese_calendar.is_workday

    def counting(day):
        asked.append(day)
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    for year in range(2023, 2027):  # which years the library knows: asked once, apart
        cal.chinesecalendar_knows(year)
    asked.clear()
    calendar = WorkCalendar(overrides={}, entered_years=())
    first = calendar.count_workdays(D(2023, 9, 20), D(2026, 11, 26))
    assert len(asked) == len(set(asked)) == 4 * 365 + 1  # 2023–2026, each day once
    asked.clear()
    assert calendar.count_workdays(D(2024, 1, 1), D(2026, 11, 26)) == (
        first - calendar.count_workdays(D(2023, 9, 20), D(2024, 1, 1)))
    assert [calendar.day(D(2026, 10, 10)).is_workday] == [True] and not asked


# --- Pages read the cache; services the database ----------------------------------------------

@pytest.fixture
def overdue_case(village_a, clerk_a, verifier_a, leader_a):
    """A case whose decision clock fell due 15 days ago (so several working days overdue)."""
    case = build_case("investigating", household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    case.deadlines.filter(kind=DeadlineKind.DECISION).update(
        due_at=timezone.now() - dt.timedelta(days=15))
    refresh_next_due(case)  # as the services do on every change of a clock
    return case


def overdue_days(html: str, case) -> int:
    row = re.search(re.escape(case.number) + r".*?已超(\d+)个工作日", html, re.S)
    assert row, "the clock is listed as overdue"
    return int(row.group(1))


def first_workday_after(day: D) -> D:
    calendar = WorkCalendar()
    day += dt.timedelta(days=1)
    while not calendar.day(day, provisional=True).is_workday:
        day += dt.timedelta(days=1)
    return day


@pytest.mark.django_db
def test_a_page_shows_an_override_as_soon_as_it_is_saved(client, clerk_a, overdue_case,
                                                        django_assert_max_num_queries):
    client.force_login(clerk_a)
    url = reverse("deadline_list")
    before = overdue_days(client.get(url).content.decode(), overdue_case)
    due_day = timezone.localdate(overdue_case.deadlines.get(kind=DeadlineKind.DECISION).due_at)
    # The cached calendar is in use: a page reads neither table while it is cached.
    display_calendar()
    with django_assert_max_num_queries(0):
        display_calendar()
    override = HolidayOverride.objects.create(date=first_workday_after(due_day),
                                              is_workday=False, note="临时调整")
    assert overdue_days(client.get(url).content.decode(), overdue_case) == before - 1
    rows = clock_rows(overdue_case)  # the case page's clocks
    decision = next(r for r in rows if r.deadline.kind == DeadlineKind.DECISION)
    assert decision.left_label == f"已超{before - 1}个工作日"
    override.delete()
    assert overdue_days(client.get(url).content.decode(), overdue_case) == before


@pytest.mark.django_db
def test_an_entered_year_reaches_the_page_calendar_at_once(without_2027):
    assert not display_calendar().knows_year(2027)
    row = CalendarYear.objects.create(year=2027, source=NOTICE)
    assert display_calendar().knows_year(2027)
    row.delete()
    assert not display_calendar().knows_year(2027)


@pytest.mark.django_db
def test_services_read_the_database_even_when_the_page_cache_is_stale():
    start = dt.datetime(2026, 9, 28, 10, tzinfo=timezone.get_current_timezone())
    before = compute_due("workday", 20, start)
    display_calendar()  # cached now
    # A row written without signals (bulk_create): the page cache does not hear of it.
    HolidayOverride.objects.bulk_create([HolidayOverride(date=D(2026, 10, 12),
                                                         is_workday=False, note="临时调整")])
    assert display_calendar().day(D(2026, 10, 12)).is_workday  # stale, for at most a minute
    assert cache.get(cal.DISPLAY_CACHE_KEY) is not None
    after = compute_due("workday", 20, start)
    assert timezone.localdate(before.due_at) == D(2026, 10, 30)  # a Friday
    assert timezone.localdate(after.due_at) == D(2026, 11, 2)  # one working day later
    assert not WorkCalendar().day(D(2026, 10, 12)).is_workday
    assert cal.count_workdays(D(2026, 10, 9), D(2026, 10, 13)) == 2  # 10-10 (Sat) and 10-13
