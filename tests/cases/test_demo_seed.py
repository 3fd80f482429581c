"""`seed_demo` (cases.demo.seed_all) builds the demo on an empty database, on any backend, and a
second run adds nothing."""

from __future__ import annotations

import pytest

from cases.demo import seed_all
from cases.models import Case, ConfidentialityAgreement, Household
from cases.verification.access import current_agreement
from cases.workflow import CaseStatus

pytestmark = pytest.mark.django_db


@pytest.mark.clause("S6")
def test_the_demo_builds_cases_in_every_state_and_is_idempotent():
    built = seed_all()
    states = set(Case.objects.values_list("status", flat=True))
    assert states == {s.value for s in CaseStatus}
    officers = {event.actor for case in Case.objects.all()
                for event in case.events.filter(action="verification_recorded")}
    assert len(officers) == 2  # one per demo township, each under an agreement (S19)
    assert all(current_agreement(officer) for officer in officers)

    # Publicity (S6): in publicity with and without a confirmed posting, and no case has gone
    # past publicity without one.
    posted = Case.objects.filter(events__action="publicity_posted")
    in_publicity = Case.objects.filter(status=CaseStatus.IN_PUBLICITY)
    assert in_publicity.filter(pk__in=posted).exists()
    assert in_publicity.exclude(pk__in=posted).exists()
    past = Case.objects.filter(events__action="propose_approval").exclude(
        status=CaseStatus.IN_PUBLICITY)
    assert past.exists() and not past.exclude(pk__in=posted).exists()

    counts = (Household.objects.count(), Case.objects.count(),
              ConfidentialityAgreement.objects.count())
    again = seed_all()
    assert again["cases"] == [] and len(built["cases"]) == counts[1]
    assert (Household.objects.count(), Case.objects.count(),
            ConfidentialityAgreement.objects.count()) == counts


def test_the_demo_shows_one_account_change_waiting_for_the_leader():
    from cases.models import AccountChange

    built = seed_all()
    change = AccountChange.objects.get()
    assert change.status == AccountChange.Status.PENDING
    assert change.requested_by == built["users"]["clerk_a"]
    assert change.household.bank_account and change.old["bank_account"]
    seed_all()
    assert AccountChange.objects.count() == 1


def test_the_demos_proposals_rest_on_calculations_and_one_is_overridden():
    """The demo's amounts are the calculation's (no typed 650 元), except one case whose
    override is written with its reason."""
    seed_all()
    proposed = Case.objects.filter(proposed_amount__isnull=False).select_related("assessment")
    assert proposed.exists()
    for case in proposed:
        assert case.assessment is not None, case
        if not case.amount_overridden:
            assert case.proposed_amount == case.assessment.amount, case
    (flagged,) = proposed.filter(amount_overridden=True)
    assert flagged.status == CaseStatus.AWAITING_SIGN_OFF and flagged.override_reason
    assert flagged.events.filter(action="amount_override").exists()


def test_seed_demo_computes_the_dashboard(settings):
    """The demo opens on real dashboard figures, not zeros until someone refreshes."""
    from io import StringIO

    from django.core.management import call_command

    from oversight.models import TownshipMonthStat

    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "全区总览统计已更新" in out.getvalue()
    applications = sum(TownshipMonthStat.objects.values_list("applications", flat=True))
    assert applications > 0
