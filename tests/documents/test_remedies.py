"""The applicant's remedies after an adverse decision: last days, computed on the project's
working-day calendar (without a database where the calendar is given).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.calendar import WorkCalendar
from cases.models import CalendarYear, HolidayOverride
from documents.delivery import delivery_record
from documents.kinds import DocumentKind
from documents.models import DeliveryMethod, DeliveryOutcome
from documents.remedies import (
    add_months,
    calendar_day_off,
    litigation_last_day,
    reconsideration_last_day,
    remedies_for,
    roll_past_days_off,
)
from tests.documents.conftest import issue

D = dt.date
# The calendar with no bureau rows: `chinesecalendar` alone, no database.
official_day_off = calendar_day_off(WorkCalendar(overrides={}, entered_years=()))


@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2026, 8, 31), 6, D(2027, 2, 28)),  # no 31 February: the month's last day
    (D(2027, 8, 31), 6, D(2028, 2, 29)),  # leap year
    (D(2026, 11, 26), 6, D(2027, 5, 26)),
    (D(2026, 12, 31), 6, D(2027, 6, 30)),
    (D(2026, 7, 31), 6, D(2027, 1, 31)),
    (D(2026, 3, 31), 1, D(2026, 4, 30)),
    (D(2026, 1, 15), 12, D(2027, 1, 15)),
])
def test_add_months_uses_the_corresponding_day_or_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_reconsideration_ends_sixty_days_after_receipt_without_a_calendar():
    assert reconsideration_last_day(D(2026, 11, 26)) == D(2027, 1, 25)


def test_litigation_ends_six_months_after_receipt_aug_31():
    assert litigation_last_day(D(2026, 8, 31)) == D(2027, 2, 28)


def test_a_last_day_on_a_public_holiday_moves_to_the_next_working_day():
    # Received 2026-08-02: 60 days later is 2026-10-01, National Day (holiday to 10-07).
    assert reconsideration_last_day(D(2026, 8, 2)) == D(2026, 10, 1)
    assert reconsideration_last_day(D(2026, 8, 2), is_day_off=official_day_off) == \
        D(2026, 10, 8)


def test_a_last_day_on_a_weekend_moves_to_monday():
    # 2026-03-21 is a Saturday; 6 months before is 2025-09-21.
    assert litigation_last_day(D(2025, 9, 21), is_day_off=official_day_off) == D(2026, 3, 23)


def test_a_make_up_working_saturday_is_not_a_day_off():
    assert official_day_off(D(2026, 2, 14)) is False  # 调休上班
    assert official_day_off(D(2026, 2, 16)) is True


def test_a_year_the_calendar_does_not_know_shifts_nothing():
    # 2027-02-27 is a Saturday, but the 2027 schedule is unknown to chinesecalendar: the stated
    # last day is never later than the legal one.
    assert official_day_off(D(2027, 2, 27)) is False
    assert litigation_last_day(D(2026, 8, 27), is_day_off=official_day_off) == D(2027, 2, 27)


def test_remedies_for_gives_both_dates_and_bodies():
    found = remedies_for(D(2026, 11, 26),
                         work_calendar=WorkCalendar(overrides={}, entered_years=()))
    data = found.as_dict()
    assert data["reconsideration_until"] == "2027-01-25"
    assert data["litigation_until"] == "2027-05-26"
    assert data["reconsideration_days"] == 60 and data["litigation_months"] == 6
    assert "兰山区人民政府" in data["reconsideration_body"]


# --- The project's calendar: the bureau's overrides and entered years count -----------------

def test_an_override_that_makes_the_last_day_a_working_day_ends_the_period_on_it():
    """Guards `calendar_day_off` asking the project's calendar: an override wins over the
    library (received 2026-08-02: 60 days later is 2026-10-01, a library holiday)."""
    work_calendar = WorkCalendar(overrides={D(2026, 10, 1): (True, "假设调整为工作日")},
                                 entered_years=())
    found = remedies_for(D(2026, 8, 2), work_calendar=work_calendar)
    assert found.reconsideration_until == D(2026, 10, 1)


@pytest.mark.django_db
def test_a_bureau_override_moves_the_reconsideration_last_day():
    """Guards `remedies_for` defaulting to the project's calendar read from the database (not
    `chinesecalendar` alone): a day the bureau declares off moves the last day."""
    # Received 2026-08-03: 60 days later is 2026-10-02 (holiday); the first working day after
    # the National Day holiday is 2026-10-08, which the override takes off.
    assert remedies_for(D(2026, 8, 3)).reconsideration_until == D(2026, 10, 8)
    HolidayOverride.objects.create(date=D(2026, 10, 8), is_workday=False, note="假设补休")
    assert remedies_for(D(2026, 8, 3)).reconsideration_until == D(2026, 10, 9)


@pytest.mark.django_db
def test_a_year_the_library_does_not_know_follows_the_year_the_bureau_entered():
    """Guards the entered-year source: 2027 is unknown to chinesecalendar 1.11; once the bureau
    has entered it, a Saturday last day moves to Monday, and its override is honoured."""
    # Received 2026-08-27: 6 months later is Saturday 2027-02-27.
    assert remedies_for(D(2026, 8, 27)).litigation_until == D(2027, 2, 27)  # unknown: no shift
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕（测试）")
    assert remedies_for(D(2026, 8, 27)).litigation_until == D(2027, 3, 1)
    HolidayOverride.objects.create(date=D(2027, 3, 1), is_workday=False, note="假设放假")
    assert remedies_for(D(2026, 8, 27)).litigation_until == D(2027, 3, 2)


@pytest.mark.django_db
def test_an_override_counts_even_in_a_year_nobody_has_entered():
    """An override alone is authoritative for its day, even in a year nobody has entered: the
    Saturday 2027-02-27 declared off moves the last day to Sunday 2027-02-28, which (2027 not
    entered, no override) is not treated as a day off."""
    HolidayOverride.objects.create(date=D(2027, 2, 27), is_workday=False, note="假设放假")
    # 2027-02-28 has no override and 2027 is not entered: not treated as a day off.
    assert remedies_for(D(2026, 8, 27)).litigation_until == D(2027, 2, 28)


@pytest.mark.django_db
def test_delivering_a_rejection_stores_last_days_from_the_bureau_calendar(full_case, clerk_a,
                                                                          leader_a):
    """The delivery service (the page and the API call it) stores the last days computed on
    the project's calendar."""
    HolidayOverride.objects.create(date=D(2026, 10, 8), is_workday=False, note="假设补休")
    rejection = issue(full_case, DocumentKind.REJECTION, leader_a)
    delivery = delivery_record(
        document=rejection, method=DeliveryMethod.IN_PERSON, by=clerk_a,
        outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
        received_on=D(2026, 8, 3), recipient="王秀英")
    assert delivery.reconsideration_until == D(2026, 10, 9)


# --- Edges, to the day ------------------------------------------------------------------------

def test_the_day_of_receipt_is_not_counted_at_either_edge_of_the_national_day():
    """60 days after 08-01 is 09-30, a working day; after 08-02 it is 10-01 (holiday to 10-07);
    after 08-09 it is 10-08, the first working day after it."""
    assert reconsideration_last_day(D(2026, 8, 1), is_day_off=official_day_off) == \
        D(2026, 9, 30)
    assert reconsideration_last_day(D(2026, 8, 2), is_day_off=official_day_off) == \
        D(2026, 10, 8)
    assert reconsideration_last_day(D(2026, 8, 8), is_day_off=official_day_off) == \
        D(2026, 10, 8)
    assert reconsideration_last_day(D(2026, 8, 9), is_day_off=official_day_off) == \
        D(2026, 10, 8)


def test_a_last_day_on_a_worked_saturday_stays_and_a_sunday_moves_to_monday():
    # 2026-10-10 is a Saturday worked by the schedule (调休上班); 2026-10-11 a plain Sunday.
    assert reconsideration_last_day(D(2026, 8, 11), is_day_off=official_day_off) == \
        D(2026, 10, 10)
    assert reconsideration_last_day(D(2026, 8, 12), is_day_off=official_day_off) == \
        D(2026, 10, 12)
    assert litigation_last_day(D(2026, 4, 10), is_day_off=official_day_off) == D(2026, 10, 10)
    assert litigation_last_day(D(2026, 4, 11), is_day_off=official_day_off) == D(2026, 10, 12)


def test_periods_across_the_year_boundary():
    # 2025-11-02 + 60 days = 2026-01-01, New Year (off to 01-03); Sunday 01-04 is worked.
    assert reconsideration_last_day(D(2025, 11, 2), is_day_off=official_day_off) == \
        D(2026, 1, 4)
    # 2025-07-03 + 6 months = 2026-01-03, the last New Year holiday.
    assert litigation_last_day(D(2025, 7, 3), is_day_off=official_day_off) == D(2026, 1, 4)
    assert litigation_last_day(D(2025, 7, 4), is_day_off=official_day_off) == D(2026, 1, 4)
    assert litigation_last_day(D(2025, 7, 5), is_day_off=official_day_off) == D(2026, 1, 5)


def test_a_run_of_days_off_is_followed_to_its_end_but_not_forever():
    start = D(2030, 1, 1)

    def off_for(days):
        return lambda day: (day - start).days < days

    assert roll_past_days_off(start, None) == start
    assert roll_past_days_off(start, off_for(0)) == start
    assert roll_past_days_off(start, off_for(1)) == D(2030, 1, 2)
    assert roll_past_days_off(start, off_for(39)) == start + dt.timedelta(days=39)
    with pytest.raises(ValueError) as refused:
        roll_past_days_off(start, off_for(40))
    assert str(refused.value) == "calendar marks more than 40 consecutive days off"


def test_remedies_as_stored_on_the_delivery_record():
    found = remedies_for(D(2026, 8, 2), is_day_off=official_day_off)
    assert found.as_dict() == {
        "received": "2026-08-02",
        "reconsideration_until": "2026-10-08",
        "reconsideration_days": 60,
        "reconsideration_body": "临沂市兰山区人民政府",
        "litigation_until": "2027-02-02",
        "litigation_months": 6,
        "litigation_body": "有管辖权的人民法院",
    }
    # Without a calendar of its own it asks the one given, which knows no 2027 (no shift).
    on_calendar = remedies_for(D(2026, 8, 2),
                               work_calendar=WorkCalendar(overrides={}, entered_years=()))
    assert on_calendar == found
