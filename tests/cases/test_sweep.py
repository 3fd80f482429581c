"""The deadline sweep, clock by clock, on frozen time: at risk, breached, met on time, met late;
the 12-hour escalation; publicity close; idempotence, batches and a crash inside a batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.deadline_state import clock_state
from cases.demo_cases import build_case
from cases.models import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    DeadlineUnit,
    Notification,
    NotificationKind,
)
from cases.sweep import at_risk_cutoffs, at_risk_q, batch_marked, breached_q, sweep_deadlines
from cases.workflow import CaseKind, CaseStatus
from tests.factories import HouseholdFactory, PersonFactory

S = CaseStatus
K = NotificationKind
pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))  # a Monday, calendar known
MINUTE = dt.timedelta(minutes=1)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def _build(state, village, staff, kind=None):
    # A working-age member: the review clock is half-yearly, so it ends within 2026, a year
    # whose holiday schedule is known.
    members = [PersonFactory(born=dt.date(1988, 5, 1)), PersonFactory(born=dt.date(1950, 1, 9))]
    with at(T0):
        return build_case(state, household=HouseholdFactory(village=village, members=members),
                          kind=kind, days_ago=0, **staff)


def _clock(case, kind) -> Deadline:
    return case.deadlines.filter(kind=kind).latest("start_at", "pk")


def _to(deadline: Deadline, kind: str | None = None) -> set[str]:
    rows = Notification.objects.filter(deadline=deadline)
    if kind:
        rows = rows.filter(kind=kind)
    return set(rows.values_list("recipient__username", flat=True))


# --- The clocks and the service that settles each -------------------------------------------

def _settle_decision(case, staff):
    services.case_reject(case=case, by=staff["leader"], reason="家庭人均收入高于低保标准。")


def _settle_recheck(case, staff):
    services.case_complete_recheck(case=case, by=staff["verifier"])


def _settle_aid(case, staff):
    services.case_give_aid(case=case, by=staff["leader"], amount=Decimal("1500.00"),
                           reason="突发火灾，生活无着。")


def _settle_registration(case, staff):
    services.case_register_emergency(case=case, by=staff["leader"], amount=Decimal("1500.00"),
                                     reason="突发火灾，生活无着。", paperwork_complete=True)


def _settle_review(case, staff):
    services.case_periodic_review(case=case, by=staff["leader"], outcome="continue",
                                  note="入户复核，家庭情况无变化。")


CLOCKS = {
    DeadlineKind.DECISION: (S.INVESTIGATING, None, _settle_decision),
    DeadlineKind.RECHECK: (S.RECHECK, None, _settle_recheck),
    DeadlineKind.EMERGENCY_AID: (S.EMERGENCY_REPORTED, CaseKind.TEMP_EMERGENCY, _settle_aid),
    DeadlineKind.EMERGENCY_REGISTRATION: (S.AID_GIVEN, CaseKind.TEMP_EMERGENCY,
                                          _settle_registration),
    DeadlineKind.PERIODIC_REVIEW: (S.APPROVED, CaseKind.DIBAO, _settle_review),
}
CLOCK_IDS = [k.value for k in CLOCKS]


@pytest.fixture(params=list(CLOCKS), ids=CLOCK_IDS)
def running(request, village_a, staff):
    """A case whose clock of the parametrized kind is running, and how to settle it."""
    state, kind, settle = CLOCKS[request.param]
    case = _build(state, village_a, staff, kind=kind)
    deadline = _clock(case, request.param)
    assert deadline.status == DeadlineStatus.OPEN
    return case, deadline, lambda: settle(case, staff)


def _before_risk(deadline: Deadline) -> dt.datetime:
    return deadline.start_at + dt.timedelta(hours=1)


def _at_risk(deadline: Deadline) -> dt.datetime:
    if deadline.unit == DeadlineUnit.HOUR:
        return deadline.due_at - dt.timedelta(hours=5)
    return deadline.due_at - dt.timedelta(days=1)


@pytest.mark.clause("S4", "S5", "S11", "S12")
def test_a_clock_is_marked_at_risk_once_and_the_clerk_and_leader_are_reminded(running):
    case, deadline, _ = running
    with at(_before_risk(deadline)):
        sweep_deadlines()
    deadline.refresh_from_db()
    assert deadline.at_risk_at is None
    assert not Notification.objects.exists()

    moment = _at_risk(deadline)
    with at(moment):
        assert clock_state(deadline)[0] == "at_risk"
        result = sweep_deadlines()
        again = sweep_deadlines()
    deadline.refresh_from_db()
    assert result.at_risk == 1 and again.at_risk == 0 and again.reminders == 0
    assert deadline.at_risk_at == moment and deadline.breached_at is None
    assert _to(deadline, K.AT_RISK) == {case.created_by.username, "leader_a"}
    assert not _to(deadline, K.BREACHED)


@pytest.mark.clause("S4", "S5", "S11", "S12")
def test_a_clock_past_due_is_marked_breached_and_the_bureau_is_reminded_too(running, bureau):
    case, deadline, _ = running
    moment = deadline.due_at + MINUTE
    with at(moment):
        assert clock_state(deadline)[0] == "breached"
        result = sweep_deadlines()
        again = sweep_deadlines()
    deadline.refresh_from_db()
    assert result.breached == 1 and again.breached == 0 and again.reminders == 0
    assert deadline.breached_at == moment
    assert deadline.at_risk_at == moment  # recorded, though it went straight to breached
    assert _to(deadline, K.BREACHED) == {case.created_by.username, "leader_a", "bureau"}
    assert not _to(deadline, K.AT_RISK)  # no stale at-risk reminder after the fact
    assert Notification.objects.filter(deadline=deadline, kind=K.BREACHED).count() == len(
        {case.created_by.username, "leader_a", "bureau"})


@pytest.mark.clause("S4", "S5", "S11", "S12")
def test_a_clock_met_on_time_is_never_reported(running, bureau):
    case, deadline, settle = running
    with at(deadline.due_at - MINUTE):
        settle()
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.MET
    with at(deadline.due_at + dt.timedelta(days=2)):
        sweep_deadlines()
        assert clock_state(deadline)[0] == "met"
    deadline.refresh_from_db()
    assert deadline.breached_at is None
    assert not Notification.objects.filter(deadline=deadline).exists()


@pytest.mark.clause("S4", "S5", "S11", "S12")
def test_a_clock_met_late_keeps_its_one_breach_reminder(running, bureau):
    case, deadline, settle = running
    with at(deadline.due_at + MINUTE):
        sweep_deadlines()
    reminded = Notification.objects.filter(deadline=deadline).count()
    assert reminded == len({case.created_by.username, "leader_a", "bureau"})
    with at(deadline.due_at + dt.timedelta(hours=2)):
        settle()
        sweep_deadlines()
    deadline.refresh_from_db()
    assert deadline.status == DeadlineStatus.MET_LATE
    assert clock_state(deadline)[0] == "met_late"
    assert Notification.objects.filter(deadline=deadline).count() == reminded


# --- The 24-hour emergency clock (S11) ---------------------------------------------------------

@pytest.mark.clause("S11")
def test_the_emergency_clock_escalates_to_the_leader_at_12_hours(village_a, staff, clerk_a):
    case = _build(S.EMERGENCY_REPORTED, village_a, staff, kind=CaseKind.TEMP_EMERGENCY)
    deadline = _clock(case, DeadlineKind.EMERGENCY_AID)
    assert deadline.unit == DeadlineUnit.HOUR and deadline.amount == 24
    with at(deadline.start_at + dt.timedelta(hours=12) - MINUTE):
        assert sweep_deadlines().escalated == 0
    moment = deadline.start_at + dt.timedelta(hours=12)
    with at(moment):
        assert sweep_deadlines().escalated == 1
        assert sweep_deadlines().escalated == 0
    deadline.refresh_from_db()
    assert deadline.escalated_at == moment and deadline.at_risk_at is None
    assert _to(deadline) == {"leader_a"}
    note = Notification.objects.get(deadline=deadline)
    assert note.kind == K.ESCALATED and note.level == "urgent"
    assert case.number in note.title and "12小时" in note.title
    local = deadline.due_at.astimezone(timezone.get_current_timezone())
    assert f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}" in note.body
    # Six hours before the end it is also at risk, for the clerk as well.
    with at(deadline.due_at - dt.timedelta(hours=6)):
        assert sweep_deadlines().at_risk == 1
    assert _to(deadline, K.AT_RISK) == {"leader_a"}  # the leader reported it: its clerk


# --- Publicity close (S6, S7, S10) -------------------------------------------------------------

@pytest.mark.clause("S6", "S7")
def test_publicity_that_ends_without_objection_goes_to_sign_off_and_tells_the_leader(
        village_a, staff, bureau):
    case = _build(S.IN_PUBLICITY, village_a, staff)
    publicity = _clock(case, DeadlineKind.PUBLICITY)
    with at(publicity.due_at - dt.timedelta(days=1)):
        sweep_deadlines()
    publicity.refresh_from_db()
    assert publicity.at_risk_at is not None
    assert not Notification.objects.exists()  # nothing to do for anyone: it ends by itself
    case.refresh_from_db()
    assert case.status == S.IN_PUBLICITY

    with at(publicity.due_at + MINUTE):
        result = sweep_deadlines()
        again = sweep_deadlines()
    assert result.publicity_closed == 1 and again.publicity_closed == 0
    case.refresh_from_db()
    publicity.refresh_from_db()
    assert case.status == S.AWAITING_SIGN_OFF
    assert publicity.status == DeadlineStatus.MET and publicity.breached_at is None
    assert _clock(case, DeadlineKind.DECISION).status == DeadlineStatus.OPEN  # resumed
    note = Notification.objects.get()
    assert note.recipient.username == "leader_a" and note.kind == K.PUBLICITY_CLOSED
    assert case.number in note.title and "待领导审批" in note.body
    event = case.events.get(action="end_publicity")
    assert event.actor is None  # the scheduled close


@pytest.mark.clause("S10")
def test_publicity_with_an_objection_goes_to_appraisal_and_tells_leader_and_clerk(
        village_a, staff):
    case = _build(S.IN_PUBLICITY, village_a, staff)
    with at(T0 + dt.timedelta(days=2)):
        services.objection_record(case=case, content="反映其子女有稳定收入。",
                                  by=staff["clerk"], channel="phone")
    publicity = _clock(case, DeadlineKind.PUBLICITY)
    with at(publicity.due_at + MINUTE):
        assert sweep_deadlines().publicity_closed == 1
        sweep_deadlines()
    case.refresh_from_db()
    assert case.status == S.AWAITING_APPRAISAL
    assert set(Notification.objects.values_list("recipient__username", "kind")) == {
        ("leader_a", K.PUBLICITY_OBJECTION), ("clerk_a", K.PUBLICITY_OBJECTION)}
    assert "1条异议" in Notification.objects.first().body


# --- Who is told ------------------------------------------------------------------------------

def test_a_clerk_who_left_is_replaced_by_the_townships_clerks(village_a, staff, township_a):
    from cases.permissions import Role
    from tests.factories import make_user

    other = make_user("clerk_a2", Role.CLERK, townships=[township_a])
    case = _build(S.INVESTIGATING, village_a, staff)
    staff["clerk"].is_active = False
    staff["clerk"].save()
    deadline = _clock(case, DeadlineKind.DECISION)
    with at(deadline.due_at + MINUTE):
        sweep_deadlines()
    assert _to(deadline) == {other.username, "leader_a"}


def test_staff_of_another_township_are_not_told(village_a, staff, clerk_b, township_b):
    from cases.permissions import Role
    from tests.factories import make_user

    make_user("leader_b", Role.LEADER, townships=[township_b])
    case = _build(S.INVESTIGATING, village_a, staff)
    deadline = _clock(case, DeadlineKind.DECISION)
    with at(deadline.due_at + MINUTE):
        sweep_deadlines()
    assert _to(deadline) == {"clerk_a", "leader_a"}


def test_an_open_clock_of_an_ended_case_is_not_a_duty(village_a, staff):
    case = _build(S.TERMINATED, village_a, staff)
    review = _clock(case, DeadlineKind.PERIODIC_REVIEW)
    assert review.status == DeadlineStatus.CANCELLED  # termination ends the review clock
    # A clock left open by older data must still not become a duty.
    Deadline.objects.filter(pk=review.pk).update(status=DeadlineStatus.OPEN)
    review.refresh_from_db()
    with at(review.due_at + MINUTE):
        sweep_deadlines()
    review.refresh_from_db()
    assert review.breached_at is None
    assert not Notification.objects.filter(deadline=review).exists()
    # The termination notice's delivery clock (S16) is still a duty on the ended case.
    delivery = _clock(case, DeadlineKind.DELIVERY)
    assert delivery.breached_at is not None
    assert _to(delivery) == {"clerk_a"}


# --- Set-based, batched, crash-safe ------------------------------------------------------------

def _many(case, n: int, due_at: dt.datetime) -> list[Deadline]:
    return Deadline.objects.bulk_create([
        Deadline(case=case, kind=DeadlineKind.DECISION, clause="S4",
                 unit=DeadlineUnit.WORKDAY, amount=20, start_at=due_at - dt.timedelta(days=28),
                 due_at=due_at + dt.timedelta(seconds=i)) for i in range(n)])


def test_the_sweep_costs_the_same_queries_for_3_or_30_clocks(village_a, staff, bureau):
    small = _build(S.INVESTIGATING, village_a, staff)
    large = _build(S.INVESTIGATING, village_a, staff)
    Deadline.objects.all().delete()
    due = T0 + dt.timedelta(days=30)
    _many(small, 3, due)
    with at(due + dt.timedelta(hours=1)), CaptureQueriesContext(connection) as q_small:
        assert sweep_deadlines().breached == 3
    Deadline.objects.all().delete()
    _many(large, 30, due)
    with at(due + dt.timedelta(hours=1)), CaptureQueriesContext(connection) as q_large:
        assert sweep_deadlines().breached == 30
    # (Within one batch; SQLite splits an insert of more than ~100 rows in two.)
    assert len(q_large) == len(q_small)
    assert Notification.objects.filter(kind=K.BREACHED).count() == 30 * 3  # the 3 went with theirs


def test_a_large_catch_up_writes_every_reminder_and_copy_once(village_a, staff, bureau):
    """Enough rows for PostgreSQL's COPY path (`notifications.COPY_THRESHOLD`)."""
    from cases.models import NotificationDelivery
    from cases.notifications import COPY_THRESHOLD

    for user in (staff["clerk"], staff["leader"], bureau):
        user.email = f"{user.username}@lanshan.example"
        user.save()
    case = _build(S.INVESTIGATING, village_a, staff)
    Deadline.objects.all().delete()
    due = T0 + dt.timedelta(days=30)
    n = COPY_THRESHOLD // 3 + 20
    _many(case, n, due)
    with at(due + dt.timedelta(hours=1)):
        assert sweep_deadlines().reminders == 3 * n
    with at(due + dt.timedelta(hours=2)):
        assert sweep_deadlines().reminders == 0
    assert Notification.objects.count() == 3 * n
    assert NotificationDelivery.objects.filter(channel="email").count() == 3 * n
    assert set(Notification.objects.values_list("title", flat=True)) >= {
        f"超期提醒：案件{case.number}的审核审批时限(20个工作日)已于2026年4月1日 09:00到期"}


def test_a_crash_inside_a_batch_loses_nothing_and_the_rerun_duplicates_nothing(
        village_a, staff, bureau):
    case = _build(S.INVESTIGATING, village_a, staff)
    Deadline.objects.all().delete()
    due = T0 + dt.timedelta(days=30)
    clocks = _many(case, 5, due)
    calls = []

    def crash_on_second_batch(sender, stage, ids, **kwargs):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("worker lost")

    batch_marked.connect(crash_on_second_batch)
    try:
        with at(due + dt.timedelta(hours=1)), pytest.raises(RuntimeError):
            sweep_deadlines(batch=2)
    finally:
        batch_marked.disconnect(crash_on_second_batch)
    # The first batch committed with its reminders; the second left no trace.
    marked = set(Deadline.objects.filter(breached_at__isnull=False).values_list("pk", flat=True))
    assert marked == set(calls[0])
    assert set(Notification.objects.values_list("deadline_id", flat=True)) == marked

    with at(due + dt.timedelta(hours=2)):
        assert sweep_deadlines(batch=2).breached == 3
        assert sweep_deadlines(batch=2).breached == 0
    for deadline in clocks:
        assert sorted(Notification.objects.filter(deadline=deadline)
                      .values_list("recipient__username", flat=True)) == [
            "bureau", "clerk_a", "leader_a"]


def test_a_reminder_can_never_be_written_twice(village_a, staff):
    case = _build(S.INVESTIGATING, village_a, staff)
    deadline = _clock(case, DeadlineKind.DECISION)
    with at(deadline.due_at + MINUTE):
        sweep_deadlines()
    first = Notification.objects.count()
    # Even if the marks were lost (restored backup, a hand edit), the constraint holds.
    Deadline.objects.filter(pk=deadline.pk).update(breached_at=None, at_risk_at=None)
    with at(deadline.due_at + dt.timedelta(hours=1)):
        assert sweep_deadlines().breached == 1
    assert Notification.objects.count() == first


# --- The rule as a query agrees with the read-time state ---------------------------------------

def test_the_sweeps_queries_agree_with_the_read_time_state(village_a, staff):
    case = _build(S.INVESTIGATING, village_a, staff)
    Deadline.objects.all().delete()
    now = timezone.make_aware(dt.datetime(2026, 9, 29, 10, 0))  # before National Day
    clocks = []
    for hours in range(-30, 24 * 16, 5):
        due = now + dt.timedelta(hours=hours)
        for unit in (DeadlineUnit.WORKDAY, DeadlineUnit.HOUR, DeadlineUnit.DAY):
            clocks.append(Deadline(case=case, kind=DeadlineKind.DECISION, clause="S4", unit=unit,
                                   amount=1, start_at=now - dt.timedelta(days=1), due_at=due))
    Deadline.objects.bulk_create(clocks)
    with at(now):
        by_state = {d.pk: clock_state(d, now)[0] for d in Deadline.objects.all()}
        risky = set(Deadline.objects.filter(at_risk_q(at_risk_cutoffs(now)))
                    .values_list("pk", flat=True))
        late = set(Deadline.objects.filter(breached_q(now)).values_list("pk", flat=True))
    assert risky == {pk for pk, s in by_state.items() if s == "at_risk"}
    assert late == {pk for pk, s in by_state.items() if s == "breached"}
    assert risky and late and len(by_state) > len(risky) + len(late)
