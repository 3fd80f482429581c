"""The applicant's remedies after an adverse decision: last days, computed without a database.
"""

from __future__ import annotations

import datetime as dt

import pytest

from documents.remedies import (
    add_months,
    litigation_last_day,
    official_day_off,
    reconsideration_last_day,
    remedies_for,
)

D = dt.date


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
    found = remedies_for(D(2026, 11, 26))
    data = found.as_dict()
    assert data["reconsideration_until"] == "2027-01-25"
    assert data["litigation_until"] == "2027-05-26"
    assert data["reconsideration_days"] == 60 and data["litigation_months"] == 6
    assert "兰山区人民政府" in data["reconsideration_body"]
