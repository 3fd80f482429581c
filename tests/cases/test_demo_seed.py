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
