"""No proposal to approve without a recorded home visit by two investigators (S4), on every path
that can move a case: the service, the case page's POST, the JSON API and the admin.

Each refusal says, in Chinese, that the home visit is missing, and changes nothing: the case
stays under investigation with no amount, no event, no clock and no place on a board sheet.
The last test records the visit and the same proposal goes through, so the refusals above are
about the visit and nothing else.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case, calculate
from cases.models import Case, CaseEvent, Deadline, HomeVisit
from cases.workflow import CaseStatus
from publicity.models import BatchEntry
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
NO_VISIT = "尚未录入入户调查（须至少两名调查人员）。"


@pytest.fixture
def unvisited(village_a, staff):
    """A case under investigation with a verification report and a current calculation, whose
    home visit was never recorded."""
    case = build_case(S.INVESTIGATING, household=HouseholdFactory(village=village_a, members=2),
                      **staff)
    case.home_visits.all().delete()
    calculate(case, by=staff["clerk"])
    return case


@pytest.fixture
def api(db):
    from django.test import Client

    from tests.api.conftest import Api

    return Api(Client(enforce_csrf_checks=True))


def _snapshot(case):
    case = Case.objects.get(pk=case.pk)
    return {
        "status": case.status, "proposed_amount": case.proposed_amount,
        "review_opinion": case.review_opinion, "assessment": case.assessment_id,
        "events": CaseEvent.objects.filter(case=case).count(),
        "clocks": Deadline.objects.filter(case=case).count(),
        "on_sheet": BatchEntry.objects.filter(case=case).count(),
    }


def _propose(case, clerk):
    return services.case_propose_approval(case=case, by=clerk, opinion="符合条件，同意。")


@pytest.mark.clause("S4")
def test_the_service_refuses_a_proposal_without_a_home_visit(unvisited, staff):
    before = _snapshot(unvisited)
    with pytest.raises(services.CaseActionError) as exc:
        _propose(unvisited, staff["clerk"])
    assert exc.value.code == "condition"
    assert exc.value.message == NO_VISIT
    assert _snapshot(unvisited) == before
    assert before["status"] == S.INVESTIGATING and before["proposed_amount"] is None


@pytest.mark.clause("S4")
def test_a_visit_by_one_investigator_is_no_home_visit(unvisited, staff):
    HomeVisit.objects.create(case=unvisited, visited_on=timezone.localdate(),
                             investigators=["王强"], findings="一人入户。",
                             recorded_by=staff["clerk"])
    calculate(unvisited, by=staff["clerk"])  # current again after the visit
    before = _snapshot(unvisited)
    with pytest.raises(services.CaseActionError) as exc:
        _propose(unvisited, staff["clerk"])
    assert exc.value.message == NO_VISIT
    assert _snapshot(unvisited) == before


@pytest.mark.clause("S4")
def test_the_case_page_refuses_a_proposal_without_a_home_visit(client, unvisited, staff):
    before = _snapshot(unvisited)
    client.force_login(staff["clerk"])
    response = client.post(reverse("case_action", args=[unvisited.pk, "propose_approval"]),
                           {"propose_approval-opinion": "符合条件，同意。"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [NO_VISIT]
    assert _snapshot(unvisited) == before


@pytest.mark.clause("S4")
def test_the_api_refuses_a_proposal_without_a_home_visit(api, unvisited, staff):
    before = _snapshot(unvisited)
    api.login(staff["clerk"])
    response = api.post(f"/api/cases/{unvisited.pk}/transitions/propose_approval/",
                        {"opinion": "符合条件，同意。"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "condition"
    assert body["message"] == NO_VISIT
    assert _snapshot(unvisited) == before


@pytest.mark.clause("S17")
def test_the_admin_cannot_put_an_unvisited_case_into_publicity(client, superuser, unvisited):
    """The admin has no way around the workflow: the status is read-only there
    (`CaseAdmin.get_readonly_fields`), so no edit can skip the home visit."""
    from tests.cases.test_admin_read_only import _admin_post_data

    before = _snapshot(unvisited)
    client.force_login(superuser)
    url = reverse("admin:cases_case_change", args=[unvisited.pk])
    data = _admin_post_data(client, url)
    data.update(status=S.IN_PUBLICITY, proposed_amount="600.00")
    client.post(url, data)
    assert _snapshot(unvisited) == before


def test_the_same_proposal_goes_through_once_the_visit_is_recorded(unvisited, staff):
    services.home_visit_record(case=unvisited, visited_on=timezone.localdate(),
                               investigators=["王强", "李娜"], findings="住房简陋。",
                               by=staff["clerk"])
    calculate(unvisited, by=staff["clerk"])
    case = _propose(unvisited, staff["clerk"])
    assert case.status == S.IN_PUBLICITY
    assert case.proposed_amount > Decimal("0")
