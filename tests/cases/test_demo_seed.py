"""`seed_demo` (cases.demo.seed_all) builds the demo on an empty database, on any backend, and a
second run adds nothing.

Seeding the demo takes about 20 seconds, so it is seeded once and every property of the result
is checked on that one demo (each in a helper below, named for what it checks).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from cases.models import AccountChange, Case, ConfidentialityAgreement, Household
from cases.verification.access import current_agreement
from cases.workflow import CaseStatus
from oversight.models import TownshipMonthStat

pytestmark = pytest.mark.django_db


def cases_in_every_state_verified_under_agreements():
    states = set(Case.objects.values_list("status", flat=True))
    assert states == {s.value for s in CaseStatus}
    officers = {event.actor for case in Case.objects.all()
                for event in case.events.filter(action="verification_recorded")}
    assert len(officers) == 2  # one per demo township, each under an agreement (S19)
    assert all(current_agreement(officer) for officer in officers)


def no_case_past_publicity_without_a_posting():
    """In publicity with and without a confirmed posting, and no case has gone past publicity
    without one (S6)."""
    posted = Case.objects.filter(events__action="publicity_posted")
    in_publicity = Case.objects.filter(status=CaseStatus.IN_PUBLICITY)
    assert in_publicity.filter(pk__in=posted).exists()
    assert in_publicity.exclude(pk__in=posted).exists()
    past = Case.objects.filter(events__action="propose_approval").exclude(
        status=CaseStatus.IN_PUBLICITY)
    assert past.exists() and not past.exclude(pk__in=posted).exists()


def one_account_change_waiting_for_the_leader(clerk):
    change = AccountChange.objects.get()
    assert change.status == AccountChange.Status.PENDING
    assert change.requested_by == clerk
    assert change.household.bank_account and change.old["bank_account"]


def proposals_rest_on_calculations_and_one_is_overridden():
    """The demo's amounts are the calculation's (no typed 650 元), except one case whose
    override is written with its reason."""
    proposed = Case.objects.filter(proposed_amount__isnull=False).select_related("assessment")
    assert proposed.exists()
    for case in proposed:
        assert case.assessment is not None, case
        if not case.amount_overridden:
            assert case.proposed_amount == case.assessment.amount, case
    (flagged,) = proposed.filter(amount_overridden=True)
    assert flagged.status == CaseStatus.AWAITING_SIGN_OFF and flagged.override_reason
    assert flagged.events.filter(action="amount_override").exists()


def dashboard_computed(out: str):
    """The demo opens on real dashboard figures, not zeros until someone refreshes."""
    assert "全区总览统计已更新" in out
    assert sum(TownshipMonthStat.objects.values_list("applications", flat=True)) > 0


@pytest.mark.clause("S6")
def test_seed_demo_builds_every_state_on_calculations_and_a_second_run_adds_nothing(settings):
    from django.contrib.auth import get_user_model

    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)

    cases_in_every_state_verified_under_agreements()
    no_case_past_publicity_without_a_posting()
    one_account_change_waiting_for_the_leader(get_user_model().objects.get(username="clerk_a"))
    proposals_rest_on_calculations_and_one_is_overridden()
    dashboard_computed(out.getvalue())

    counts = (Household.objects.count(), Case.objects.count(),
              ConfidentialityAgreement.objects.count(), AccountChange.objects.count())
    from cases.demo import seed_all

    again = seed_all()
    assert again["cases"] == []
    assert (Household.objects.count(), Case.objects.count(),
            ConfidentialityAgreement.objects.count(), AccountChange.objects.count()) == counts
