"""`Case.next_due_at` is the nearest due moment of the case's open clocks after every change
of a clock, written in the same transaction (the case list is ordered by it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Min

from cases import services
from cases.deadlines import recompute_unconfirmed_deadlines
from cases.demo_cases import build_case
from cases.models import Case, Deadline, DeadlineKind, DeadlineStatus
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
S = CaseStatus


def _case(state, village, staff, **kw):
    return build_case(state, household=HouseholdFactory(village=village), **staff, **kw)


def _nearest_open(case) -> dt.datetime | None:
    return Deadline.objects.filter(case=case, status=DeadlineStatus.OPEN).aggregate(
        m=Min("due_at"))["m"]


def _stored(case) -> dt.datetime | None:
    return Case.objects.values_list("next_due_at", flat=True).get(pk=case.pk)


def _clock(case, kind) -> Deadline:
    return Deadline.objects.filter(case=case, kind=kind).latest("start_at", "pk")


@pytest.mark.parametrize("state", list(CaseStatus))
def test_every_state_reached_through_the_services_keeps_it(state, village_a, staff):
    case = _case(state, village_a, staff)
    assert _stored(case) == _nearest_open(case)
    assert case.next_due_at == _stored(case)


def test_each_clock_change_moves_it(village_a, staff):
    case = _case(S.RECEIVED, village_a, staff)
    assert _stored(case) is None  # no clock runs before acceptance

    case = services.case_accept(case=case, by=staff["clerk"])
    decision = _clock(case, DeadlineKind.DECISION)
    assert _stored(case) == decision.due_at == case.next_due_at

    case = _case(S.IN_PUBLICITY, village_a, staff, days_ago=3)
    publicity = _clock(case, DeadlineKind.PUBLICITY)
    # The decision clock is paused during publicity: only the publicity's end counts.
    assert _clock(case, DeadlineKind.DECISION).status == DeadlineStatus.PAUSED
    assert _stored(case) == publicity.due_at

    case = _case(S.AWAITING_SIGN_OFF, village_a, staff)
    resumed = _clock(case, DeadlineKind.DECISION)
    assert resumed.status == DeadlineStatus.OPEN
    assert _stored(case) == resumed.due_at

    case = services.case_sign_off(case=case, by=staff["leader"])
    review = _clock(case, DeadlineKind.PERIODIC_REVIEW)
    assert _stored(case) == review.due_at != resumed.due_at

    case = services.case_terminate(case=case, by=staff["leader"], reason="家庭收入已超过标准。")
    # What is left is delivering the termination notice (S16); once delivered, nothing.
    assert _stored(case) == _clock(case, DeadlineKind.DELIVERY).due_at
    _deliver_notices(case, staff)
    assert _stored(case) is None


def test_withdrawal_and_rejection_clear_it(village_a, staff):
    case = _case(S.INVESTIGATING, village_a, staff)
    assert _stored(case) is not None
    services.case_withdraw(case=case, by=staff["clerk"], note="申请人书面撤回。")
    assert _stored(case) is None

    case = _case(S.AWAITING_SIGN_OFF, village_a, staff)
    services.case_reject(case=case, by=staff["leader"], reason="家庭人均收入高于当地低保标准。")
    assert _stored(case) == _clock(case, DeadlineKind.DELIVERY).due_at
    _deliver_notices(case, staff)
    assert _stored(case) is None


def _deliver_notices(case, staff) -> None:
    from django.utils import timezone

    from documents.delivery import delivery_record
    from documents.kinds import DELIVERY_REQUIRED_KINDS

    for notice in case.documents.filter(kind__in=DELIVERY_REQUIRED_KINDS):
        delivery_record(document=notice, method="in_person", attempted_at=timezone.now(),
                        by=staff["clerk"], outcome="delivered", recipient="申请人本人")


def test_emergency_clocks(village_a, staff):
    case = _case(S.EMERGENCY_REPORTED, village_a, staff, days_ago=0)
    assert _stored(case) == _clock(case, DeadlineKind.EMERGENCY_AID).due_at
    case = services.case_give_aid(case=case, by=staff["leader"], amount=Decimal("800"),
                                  reason="突发火灾，生活无着。")
    registration = _clock(case, DeadlineKind.EMERGENCY_REGISTRATION)
    assert _stored(case) == registration.due_at


def test_recheck_clock_is_the_nearest(village_a, staff):
    case = _case(S.RECHECK, village_a, staff)
    recheck = _clock(case, DeadlineKind.RECHECK)
    assert _stored(case) == min(recheck.due_at, _clock(case, DeadlineKind.DECISION).due_at)
    assert _stored(case) == _nearest_open(case)


def test_recomputed_provisional_clock_moves_it(village_a, staff):
    case = _case(S.INVESTIGATING, village_a, staff)
    decision = _clock(case, DeadlineKind.DECISION)
    right = decision.due_at
    wrong = right + dt.timedelta(days=9)
    # A due moment computed while the year's holidays were unknown, now known.
    Deadline.objects.filter(pk=decision.pk).update(due_at=wrong, calendar_confirmed=False)
    Case.objects.filter(pk=case.pk).update(next_due_at=wrong)
    assert recompute_unconfirmed_deadlines() == 1
    assert _clock(case, DeadlineKind.DECISION).due_at == right
    assert _stored(case) == right


def test_the_case_list_is_ordered_by_it(client, village_a, staff):
    from django.urls import reverse

    later = _case(S.APPROVED, village_a, staff)  # next: the periodic review, months away
    sooner = _case(S.INVESTIGATING, village_a, staff)  # next: the decision, days away
    closed = _case(S.WITHDRAWN, village_a, staff)  # no clock: last
    client.force_login(staff["clerk"])
    html = client.get(reverse("case_list")).content.decode()
    positions = [html.index(c.number) for c in (sooner, later, closed)]
    assert positions == sorted(positions)
    assert sooner.next_due_at < later.next_due_at and closed.next_due_at is None


def test_the_migration_fills_it_for_existing_cases(village_a, staff):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("cases.migrations.0009_case_next_due_and_list_indexes")
    running = _case(S.INVESTIGATING, village_a, staff)
    ended = _case(S.WITHDRAWN, village_a, staff)
    Case.objects.update(next_due_at=None)
    migration.fill_next_due(apps, None)
    assert _stored(running) == _clock(running, DeadlineKind.DECISION).due_at
    assert _stored(ended) is None
