"""Two people acting on one case at the same moment: exactly one succeeds (PostgreSQL)."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection, connections

from cases.demo_cases import build_case
from cases.models import Case, CaseEvent
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, make_user

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks across processes need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _sign_off(case_pk: int, user_pk: int, barrier, results) -> None:
    from django.contrib.auth import get_user_model

    from cases import services

    connections.close_all()
    user = get_user_model().objects.get(pk=user_pk)
    barrier.wait(timeout=30)
    try:
        services.case_sign_off(case=Case.objects.get(pk=case_pk), by=user)
    except services.CaseActionError as exc:
        results.put(("refused", exc.message))
    else:
        results.put(("ok", ""))
    finally:
        connections.close_all()


@pytest.mark.clause("S7")
def test_two_leaders_signing_off_at_once_one_succeeds(village_a, clerk_a, verifier_a,
                                                      leader_a, township_a):
    from cases.permissions import Role

    second_leader = make_user("leader_a2", Role.LEADER, townships=[township_a])
    case = build_case(CaseStatus.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    events_before = CaseEvent.objects.filter(case=case).count()
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=_sign_off, args=(case.pk, user.pk, barrier, results))
               for user in (leader_a, second_leader)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert [o[0] for o in outcomes] == ["ok", "refused"]
    assert "已批准" in outcomes[1][1]
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    sign_offs = CaseEvent.objects.filter(case=case, action="sign_off")
    assert sign_offs.count() == 1
    assert CaseEvent.objects.filter(case=case).count() > events_before


def _accept(case_pk: int, user_pk: int, barrier, results) -> None:
    from django.contrib.auth import get_user_model

    from cases import services

    connections.close_all()
    user = get_user_model().objects.get(pk=user_pk)
    barrier.wait(timeout=30)
    try:
        services.case_accept(case=Case.objects.get(pk=case_pk), by=user)
    except services.CaseActionError as exc:
        results.put(("refused", case_pk, exc.message))
    else:
        results.put(("ok", case_pk, ""))
    finally:
        connections.close_all()


@pytest.mark.postgres
def test_two_clerks_accepting_a_dibao_and_a_tekun_of_one_household_at_once_one_succeeds(
        village_a, clerk_a, verifier_a, leader_a, township_a):
    """Guards the household lock of the one-benefit moves (`services._lock_households`,
    taken by `_transition`): without it both clerks read the other case as only received and
    both acceptances commit."""
    from cases.permissions import Role
    from cases.workflow import CaseKind

    second_clerk = make_user("clerk_a2", Role.CLERK, townships=[township_a])
    household = HouseholdFactory(village=village_a, members=2)
    staff = {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}
    dibao = build_case(CaseStatus.RECEIVED, household=household, kind=CaseKind.DIBAO, **staff)
    tekun = build_case(CaseStatus.RECEIVED, household=household, kind=CaseKind.TEKUN, **staff)
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=_accept, args=(case.pk, user.pk, barrier, results))
               for case, user in ((dibao, clerk_a), (tekun, second_clerk))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=90)
        assert w.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert [o[0] for o in outcomes] == ["ok", "refused"]
    assert "低保与特困不能同时享受" in outcomes[1][2]
    statuses = dict(Case.objects.filter(household=household).values_list("pk", "status"))
    assert statuses[outcomes[0][1]] == CaseStatus.INVESTIGATING
    assert statuses[outcomes[1][1]] == CaseStatus.RECEIVED
    assert CaseEvent.objects.filter(case__household=household, action="accept").count() == 1
