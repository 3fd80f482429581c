"""Cases of one village proposed at the same moment share one sheet, numbered without gaps or
duplicates (PostgreSQL: row locks across processes)."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection, connections

from cases.demo_cases import build_case
from cases.workflow import CaseStatus
from publicity.models import BatchEntry, PublicityBatch
from tests.factories import HouseholdFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks across processes need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _enlist(case_pk: int, user_pk: int, barrier, results) -> None:
    from django.contrib.auth import get_user_model

    from cases.models import Case
    from publicity import services

    connections.close_all()
    user = get_user_model().objects.get(pk=user_pk)
    barrier.wait(timeout=30)
    try:
        entry = services.enlist(Case.objects.get(pk=case_pk), by=user)
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(("error", repr(exc)))
    else:
        results.put(("ok", entry.seq))
    finally:
        connections.close_all()


@pytest.mark.clause("S6")
def test_simultaneous_proposals_in_one_village_share_one_sheet(village_a, clerk_a,
                                                               verifier_a, leader_a):
    cases = [build_case(CaseStatus.IN_PUBLICITY, household=HouseholdFactory(village=village_a),
                        clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=1,
                        posted=False)
             for _ in range(4)]
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(cases))
    results = ctx.Queue()
    workers = [ctx.Process(target=_enlist, args=(case.pk, clerk_a.pk, barrier, results))
               for case in cases]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=90)
        assert w.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert [o[0] for o in outcomes] == ["ok"] * len(cases), outcomes
    assert sorted(o[1] for o in outcomes) == [1, 2, 3, 4]
    assert PublicityBatch.objects.count() == 1
    assert BatchEntry.objects.count() == len(cases)
