"""Who must sign a verification authorization (S2): every member aged 18 or over on the day of
the application, counted in whole years from the birth date, and no one younger.

The ages here are written as dates, not read from the code under test: a member born exactly
18 years before the application day must sign, one who turns 18 the next day need not; a
member born on 29 February turns 18 on 1 March in a common year.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cases import rules, services
from cases.workflow import CaseKind, CaseStatus
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
NEEDS_AUTHORIZATION = "家庭中仍有成年成员未签署家庭经济状况核对授权书，不能受理（核对前置）。"


def _apply_on(day: dt.date, village, clerk, member_born: dt.date):
    """A dibao case applied for on `day` by a household of an adult head (who signs) and one
    member born on `member_born` (who does not)."""
    head = PersonFactory(born=dt.date(1970, 6, 15))
    member = PersonFactory(born=member_born)
    household = HouseholdFactory(village=village, members=[head, member])
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
                             tick=False):
        case = services.case_create(household=household, applicant=head, kind=CaseKind.DIBAO,
                                    by=clerk, hardship="无收入。")
        services.authorization_record(case=case, person=head, signed_on=day, by=clerk)
    return case, member


def _accept(case, clerk):
    """Accept on the application day; the refusal message, or '' when accepted."""
    with time_machine.travel(case.applied_at + dt.timedelta(hours=1), tick=False):
        try:
            accepted = services.case_accept(case=case, by=clerk)
        except services.CaseActionError as exc:
            case.refresh_from_db()
            assert case.status == S.RECEIVED
            return exc.message
    assert accepted.status == S.INVESTIGATING
    return ""


# (application day, member's birth date, must the member sign?)
AGES = [
    pytest.param(dt.date(2026, 3, 10), dt.date(2008, 3, 10), True, id="18-today"),
    pytest.param(dt.date(2026, 3, 10), dt.date(2008, 3, 11), False, id="18-tomorrow"),
    pytest.param(dt.date(2026, 3, 10), dt.date(2010, 3, 10), False, id="16-today"),
    pytest.param(dt.date(2026, 3, 10), dt.date(2009, 3, 10), False, id="17-today"),
    pytest.param(dt.date(2026, 3, 10), dt.date(2006, 3, 10), True, id="20-today"),
    pytest.param(dt.date(2026, 3, 10), dt.date(2007, 3, 11), True, id="18-and-364-days"),
    # Born on 29 February 2008: still 17 on 28 February 2026, 18 on 1 March.
    pytest.param(dt.date(2026, 2, 28), dt.date(2008, 2, 29), False, id="29feb-on-28feb"),
    pytest.param(dt.date(2026, 3, 1), dt.date(2008, 2, 29), True, id="29feb-on-1mar"),
    # Applying on 29 February 2024: born 28 February 2006 is 18, born 1 March 2006 is 17.
    pytest.param(dt.date(2024, 2, 29), dt.date(2006, 2, 28), True, id="on-29feb-born-28feb"),
    pytest.param(dt.date(2024, 2, 29), dt.date(2006, 3, 1), False, id="on-29feb-born-1mar"),
]


@pytest.mark.clause("S2")
@pytest.mark.parametrize(("day", "born", "must_sign"), AGES)
def test_an_authorization_is_needed_from_18_on_the_application_day(village_a, clerk_a, day,
                                                                   born, must_sign):
    case, member = _apply_on(day, village_a, clerk_a, born)
    assert [p.pk for p in case.adults_without_authorization()] == (
        [member.pk] if must_sign else [])
    assert bool(rules.authorizations_complete(case)) is not must_sign
    assert _accept(case, clerk_a) == (NEEDS_AUTHORIZATION if must_sign else "")


@pytest.mark.clause("S2")
def test_a_member_who_turns_18_today_signs_before_acceptance(village_a, clerk_a):
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - 18)
    except ValueError:  # 29 February today: born 28 February 18 years ago, 18 since yesterday
        born = today.replace(year=today.year - 18, day=28)
    case, member = _apply_on(today, village_a, clerk_a, born)
    assert _accept(case, clerk_a) == NEEDS_AUTHORIZATION
    with time_machine.travel(case.applied_at + dt.timedelta(minutes=30), tick=False):
        services.authorization_record(case=case, person=member, signed_on=today, by=clerk_a)
    assert _accept(case, clerk_a) == ""


@pytest.mark.parametrize(("day", "last"), [
    (dt.date(2026, 3, 10), dt.date(2008, 3, 10)),
    (dt.date(2026, 2, 28), dt.date(2008, 2, 28)),
    (dt.date(2026, 3, 1), dt.date(2008, 3, 1)),
    (dt.date(2024, 2, 29), dt.date(2006, 2, 28)),
    (dt.date(2028, 2, 29), dt.date(2010, 2, 28)),
    (dt.date(2026, 1, 1), dt.date(2008, 1, 1)),
])
def test_the_last_birth_date_of_an_adult(day, last):
    assert rules.ADULT_AGE == 18
    assert rules.adult_born_by(day) == last
