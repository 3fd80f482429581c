"""Publicity starts at the posting on the village board (S6): the 7 days run from the day after
the sheet is confirmed posted, nothing ends or is signed off without that confirmation, a
sheet not posted in time reminds the assistant and the clerk, and every page, document and
API shows the same dates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case, calculate, confirm_posting
from cases.models import Case, DeadlineKind, DeadlineStatus, DeadlineUnit, Notification
from cases.sweep import close_expired_publicity, sweep_deadlines
from cases.workflow import CaseStatus as S
from publicity import printing
from publicity.models import BatchEntry
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


PROPOSED = at(2026, 11, 26, 10, 0)  # a Thursday
POSTED = at(2026, 11, 27, 9, 30)  # day 1 is 11-28, day 7 is 12-04
LAST_MINUTE = at(2026, 12, 4, 23, 59)
FIRST_MINUTE_AFTER = at(2026, 12, 5, 0, 0)


def _proposed(village, staff) -> Case:
    household = HouseholdFactory(village=village, members=2)
    with time_machine.travel(PROPOSED - dt.timedelta(days=1), tick=False):
        case = build_case(S.INVESTIGATING, household=household, days_ago=0, **staff)
    with time_machine.travel(PROPOSED, tick=False):
        calculate(case, by=staff["clerk"])
        return services.case_propose_approval(case=case, by=staff["clerk"],
                                              opinion="符合条件。")


@pytest.fixture
def proposed(village_a, staff_a, hotline_a, assistant_a):
    return _proposed(village_a, staff_a)


@pytest.fixture
def posted(proposed, assistant_a):
    with time_machine.travel(POSTED + dt.timedelta(minutes=20), tick=False):
        confirm_posting(proposed, by=assistant_a, posted_at=POSTED)
    proposed.refresh_from_db()
    return proposed


def _legacy_clock(case: Case, start: dt.datetime) -> None:
    """A publicity clock started at the proposal, as before the posting rule (old data)."""
    with transaction.atomic():
        services._start_clock(case, DeadlineKind.PUBLICITY, DeadlineUnit.DAY, 7, "S6", start)


@pytest.mark.clause("S6")
def test_proposing_starts_no_publicity_clock_only_the_posting_clock(proposed):
    assert not proposed.deadlines.filter(kind=DeadlineKind.PUBLICITY).exists()
    posting = proposed.deadlines.get(kind=DeadlineKind.POSTING)
    assert (posting.unit, posting.amount) == (DeadlineUnit.WORKDAY, 2)
    # Thursday 11-26: day 1 is Friday 11-27, day 2 Monday 11-30.
    assert timezone.localdate(posting.due_at) == dt.date(2026, 11, 30)
    entry = BatchEntry.objects.select_related("batch").get(case=proposed)
    assert entry.ends_at is None and entry.batch.period is None


@pytest.mark.clause("S6")
def test_the_seven_days_run_from_the_day_after_the_confirmed_posting(posted):
    clock = posted.deadlines.get(kind=DeadlineKind.PUBLICITY)
    assert clock.start_at == POSTED
    period = services.case_publicity_period(posted)
    assert (period.first_day, period.last_day) == (dt.date(2026, 11, 28), dt.date(2026, 12, 4))
    assert period.ends_at == at(2026, 12, 4, 23, 59, 59)
    assert posted.deadlines.get(kind=DeadlineKind.POSTING).status == DeadlineStatus.MET
    entry = BatchEntry.objects.select_related("batch").get(case=posted)
    assert entry.ends_at == entry.batch.ends_at == clock.due_at
    assert (entry.batch.period_start, entry.batch.period_end) == (period.first_day,
                                                                  period.last_day)


@pytest.mark.clause("S6")
def test_publicity_ends_only_after_the_last_second_of_day_7_after_the_posting(posted):
    with time_machine.travel(LAST_MINUTE, tick=False):
        with pytest.raises(services.CaseActionError) as exc:
            services.case_close_publicity(case=posted, by=None)
        assert "公示期尚未结束" in exc.value.message
    with time_machine.travel(FIRST_MINUTE_AFTER, tick=False):
        assert services.case_close_publicity(case=posted, by=None).status == \
            S.AWAITING_SIGN_OFF


@pytest.mark.clause("S6")
def test_publicity_cannot_end_without_a_confirmed_posting(proposed):
    """Guard: `rules.publicity_posted` on the moves out of publicity (`end_publicity`,
    `end_publicity_with_objection`). Old data: a clock started at the proposal has run out,
    but the sheet was never confirmed on the board."""
    _legacy_clock(proposed, PROPOSED)
    with (time_machine.travel(PROPOSED + dt.timedelta(days=20), tick=False),
          pytest.raises(services.CaseActionError) as exc):
        services.case_close_publicity(case=proposed, by=None)
    assert "尚未确认张贴" in exc.value.message
    proposed.refresh_from_db()
    assert proposed.status == S.IN_PUBLICITY


@pytest.mark.clause("S6")
def test_the_sweep_leaves_a_publicity_without_a_confirmed_posting_open(proposed):
    _legacy_clock(proposed, PROPOSED)
    with time_machine.travel(PROPOSED + dt.timedelta(days=20), tick=False):
        closed, _written = close_expired_publicity()
    assert closed == 0
    proposed.refresh_from_db()
    assert proposed.status == S.IN_PUBLICITY


@pytest.mark.clause("S6")
@pytest.mark.clause("S7")
def test_the_leader_cannot_sign_off_without_a_confirmed_posting(proposed, leader_a):
    """Guard: `rules.publicity_posted` on `sign_off`. Old data that reached the leader with a
    clock from the proposal and no posting is refused."""
    _legacy_clock(proposed, PROPOSED)
    Case.objects.filter(pk=proposed.pk).update(status=S.AWAITING_SIGN_OFF)
    proposed.refresh_from_db()
    with (time_machine.travel(PROPOSED + dt.timedelta(days=20), tick=False),
          pytest.raises(services.CaseActionError) as exc):
        services.case_sign_off(case=proposed, by=leader_a)
    assert "尚未确认张贴" in exc.value.message
    proposed.refresh_from_db()
    assert proposed.status == S.AWAITING_SIGN_OFF


@pytest.mark.clause("S6")
def test_confirming_the_posting_replaces_a_clock_started_at_the_proposal(proposed, assistant_a):
    _legacy_clock(proposed, PROPOSED)
    with time_machine.travel(POSTED, tick=False):
        confirm_posting(proposed, by=assistant_a)
    clocks = proposed.deadlines.filter(kind=DeadlineKind.PUBLICITY).order_by("start_at")
    assert [c.status for c in clocks] == [DeadlineStatus.CANCELLED, DeadlineStatus.OPEN]
    assert clocks.last().start_at == POSTED
    assert services.case_publicity_period(proposed).first_day == dt.date(2026, 11, 28)


@pytest.mark.clause("S6")
def test_a_later_confirmation_replaces_the_photo_but_not_the_period(posted, assistant_a):
    before = services.case_publicity_period(posted)
    with time_machine.travel(POSTED + dt.timedelta(days=2), tick=False):
        confirm_posting(posted, by=assistant_a)
    assert services.case_publicity_period(posted) == before
    assert posted.deadlines.filter(kind=DeadlineKind.PUBLICITY).count() == 1


# --- The posting reminder ----------------------------------------------------------------------

def _posting_reminders(case):
    return sorted(Notification.objects.filter(case=case, deadline__kind=DeadlineKind.POSTING)
                  .values_list("recipient__username", flat=True))


@pytest.mark.clause("S6")
def test_a_sheet_not_posted_within_two_working_days_reminds_the_assistant_and_the_clerk(
        proposed):
    with time_machine.travel(at(2026, 11, 30, 23, 59), tick=False):
        sweep_deadlines()
    assert _posting_reminders(proposed) == []
    with time_machine.travel(at(2026, 12, 1, 0, 0), tick=False):
        sweep_deadlines()
    assert _posting_reminders(proposed) == ["assistant_a", "clerk_a"]
    note = Notification.objects.filter(case=proposed).first()
    assert "公示单尚未确认张贴" in note.body and "2026年11月30日" in note.body
    with time_machine.travel(at(2026, 12, 1, 0, 10), tick=False):
        sweep_deadlines()  # once only
    assert len(_posting_reminders(proposed)) == 2


@pytest.mark.clause("S6")
def test_a_sheet_posted_in_time_reminds_nobody(posted):
    with time_machine.travel(at(2026, 12, 1, 0, 0), tick=False):
        sweep_deadlines()
    assert _posting_reminders(posted) == []


@pytest.mark.clause("S6")
def test_the_posting_limit_is_a_setting(village_a, staff_a, assistant_a, settings):
    settings.PUBLICITY_POSTING_WORKDAYS = 3
    case = _proposed(village_a, staff_a)
    due = case.deadlines.get(kind=DeadlineKind.POSTING).due_at
    assert timezone.localdate(due) == dt.date(2026, 12, 1)


# --- The same dates everywhere -----------------------------------------------------------------

@pytest.mark.clause("S6")
@pytest.mark.clause("S22")
def test_every_page_document_and_api_shows_the_same_period(posted, clerk_a, leader_a):
    from documents.context import BUILDERS
    from documents.kinds import DocumentKind

    entry = BatchEntry.objects.select_related("batch").get(case=posted)
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        board = printing.board_html(entry.batch, public_url="http://testserver/gongshi/x/")
        public = Client().get(reverse("public_village", args=[posted.village.code]))
        staff = Client()
        staff.force_login(clerk_a)
        sheet = staff.get(entry.batch.get_absolute_url())
        api = staff.get(f"/api/cases/{posted.pk}/").json()
    assert "公示期：<span>2026年11月28日</span>至<span>2026年12月4日</span>" in \
        public.content.decode()
    assert "公示期：2026年11月28日至2026年12月4日" in board.replace("\n", "")
    assert "2026年11月28日至2026年12月4日" in sheet.content.decode()
    assert (api["publicity"]["first_day"], api["publicity"]["last_day"]) == (
        "2026-11-28", "2026-12-04")
    # The approval table (审核审批表) reads the same period.
    approval = BUILDERS[DocumentKind.APPROVAL_FORM](posted, {"members": [], "today": None},
                                                    {}, None, leader_a)
    assert (approval["publicity"]["start"], approval["publicity"]["end"]) == (
        dt.date(2026, 11, 28), dt.date(2026, 12, 4))
    from cases.views.status import status_view

    assert ("公示期", "2026年11月28日至2026年12月4日") in status_view(posted)["dates"]
