"""Fixtures of the oversight tests: staff of a second township, and decided cases."""

from __future__ import annotations

import pytest

from cases.demo_cases import build_case
from cases.permissions import Role
from tests.factories import HouseholdFactory, make_user


@pytest.fixture(autouse=True)
def _no_cached_live_counts():
    """Each test computes the dashboard's live counts afresh (they are cached for a minute)."""
    from django.core.cache import cache

    from oversight.dashboard import LIVE_CACHE_KEY

    cache.delete(LIVE_CACHE_KEY)
    yield
    cache.delete(LIVE_CACHE_KEY)


@pytest.fixture
def leader_b(township_b):
    return make_user("leader_b", Role.LEADER, townships=[township_b])


@pytest.fixture
def verifier_b(township_b):
    return make_user("verifier_b", Role.VERIFIER, townships=[township_b])


@pytest.fixture
def decide(village_a, clerk_a, verifier_a, leader_a):
    """`decide(state, n=1, days_ago=25)`: n new households of village A with a case driven
    to `state` (approved or rejected, usually) through the services."""

    def make(state: str, n: int = 1, days_ago: int = 25, village=None, staff=None):
        clerk, verifier, leader = staff or (clerk_a, verifier_a, leader_a)
        return [build_case(state, household=HouseholdFactory(village=village or village_a,
                                                             members=1),
                           clerk=clerk, verifier=verifier, leader=leader, days_ago=days_ago)
                for _ in range(n)]

    return make


@pytest.fixture
def mark_decided(village_a, clerk_a, verifier_a, leader_a):
    """`mark_decided(status, n=1, village=…, decided_at=…, applied_at=…, amount=…)`: cases
    registered through the services, then given a decision directly in the database.

    For tests that only need decided rows (sampling populations, aggregates): the full
    procedure renders several PDFs per case and takes seconds; the tests of the real
    procedure build a few cases with `decide`.
    """
    import datetime as dt

    from django.utils import timezone

    from cases.models import Case
    from oversight.aggregates import DECIDED_STATUSES

    def make(status: str, n: int = 1, village=None, decided_at=None, applied_at=None,
             amount=None, kind=None, staff=None):
        clerk, verifier, leader = staff or (clerk_a, verifier_a, leader_a)
        decided_at = decided_at or timezone.now() - dt.timedelta(days=2)
        cases = []
        for _ in range(n):
            case = build_case("received", household=HouseholdFactory(
                village=village or village_a, members=1), clerk=clerk, verifier=verifier,
                leader=leader, days_ago=1)
            fields = {"status": status}
            if status in DECIDED_STATUSES:
                fields["decided_at"] = decided_at
            if applied_at is not None:
                fields["applied_at"] = applied_at
            if amount is not None:
                fields["approved_amount"] = amount
            if kind is not None:
                fields["kind"] = kind
            Case.objects.filter(pk=case.pk).update(**fields)
            case.refresh_from_db()
            cases.append(case)
        return cases

    return make
