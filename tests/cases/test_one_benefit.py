"""One benefit per household: 低保 and 特困 exclude each other at acceptance, at the proposal,
at sign-off and when a person moves into another household, on the service, page and API.

The reported case: a household's head, covered by an approved 低保, was moved into a second
household whose 低保 was already under review; both stayed live and the second was signed off.
Here the move is refused, and for records already in that state (moved before the check
existed) the proposal and the sign-off are refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case
from cases.errors import CaseActionError
from cases.households import HouseholdError, household_save
from cases.models import CaseEvent, Membership, Relationship
from cases.workflow import CaseKind, CaseStatus
from tests.cases.test_household_views import browser_form, fill_member
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
ONE_BENEFIT = "低保与特困不能同时享受"


@pytest.fixture
def covered(village_a, staff):
    """An approved 低保 of a one-person household; its head has since left that household
    (no current household), free to join another."""
    case = build_case(S.APPROVED, household=HouseholdFactory(village=village_a, members=1),
                      **staff)
    Membership.objects.filter(person=case.applicant).update(ended_on=timezone.localdate())
    return case


def _aged_household(village):
    """A household whose head is 70: a 特困 applicant the calculation finds eligible (unable
    to work by age), whatever ages the factory hands out to earlier tests."""
    return HouseholdFactory(village=village, members=[PersonFactory(born=dt.date(1956, 3, 1))])


def _members(household) -> list[dict]:
    return [{"name": m.person.name, "id_number": m.person.id_number,
             "relationship": m.relationship} for m in household.current_members()]


def _moved_in_already(person, household) -> None:
    """The membership as records made before the move check still hold it."""
    Membership.objects.create(household=household, person=person,
                              relationship=Relationship.SPOUSE)


def _move_in(person, household, clerk):
    return household_save(household=household, by=clerk, members=[
        *_members(household),
        {"name": person.name, "id_number": person.id_number, "relationship": "spouse"}])


def test_a_covered_person_cannot_move_into_a_household_with_a_live_tekun(covered, village_a,
                                                                         staff):
    """Guards `refuse_double_benefit` in `household_save` (cases/households.py)."""
    second = build_case(S.INVESTIGATING, household=HouseholdFactory(village=village_a),
                        kind=CaseKind.TEKUN, **staff)
    household = second.household
    before = set(household.memberships.values_list("pk", flat=True))
    with pytest.raises(HouseholdError) as exc:
        _move_in(covered.applicant, household, staff["clerk"])
    message = exc.value.messages[0]
    assert ONE_BENEFIT in message
    assert covered.number in message and second.number in message
    assert covered.applicant.masked_id in message
    assert set(household.memberships.values_list("pk", flat=True)) == before
    assert not Membership.objects.filter(person=covered.applicant,
                                         ended_on__isnull=True).exists()


def test_a_person_whose_own_case_is_live_cannot_join_a_household_covered_by_another(
        village_a, staff):
    """Guards `refuse_double_benefit`: the mover's own live case is asked too."""
    mover_case = build_case(S.IN_PUBLICITY, household=HouseholdFactory(village=village_a),
                            **staff)
    Membership.objects.filter(person=mover_case.applicant).update(
        ended_on=timezone.localdate())
    other = build_case(S.APPROVED, household=_aged_household(village_a),
                       kind=CaseKind.TEKUN, **staff)
    with pytest.raises(HouseholdError, match=ONE_BENEFIT):
        _move_in(mover_case.applicant, other.household, staff["clerk"])


def test_a_covered_person_may_join_a_household_with_no_accepted_case(covered, village_a,
                                                                     staff):
    household = HouseholdFactory(village=village_a)
    received = build_case(S.RECEIVED, household=household, kind=CaseKind.TEKUN, **staff)
    _move_in(covered.applicant, household, staff["clerk"])
    assert household.current_members().filter(person=covered.applicant).exists()
    # The application only received is refused at its acceptance, by the same rule.
    with pytest.raises(CaseActionError, match=ONE_BENEFIT):
        services.case_accept(case=received, by=staff["clerk"])


def test_a_person_with_only_an_ended_benefit_may_move(village_a, staff):
    ended = build_case(S.TERMINATED, household=HouseholdFactory(village=village_a), **staff)
    Membership.objects.filter(person=ended.applicant).update(ended_on=timezone.localdate())
    other = build_case(S.APPROVED, household=HouseholdFactory(village=village_a), **staff)
    _move_in(ended.applicant, other.household, staff["clerk"])
    assert other.household.current_members().filter(person=ended.applicant).exists()


def test_the_household_page_refuses_the_move_in_chinese(client, covered, village_a, staff):
    second = build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_a),
                        **staff)
    person = covered.applicant
    client.force_login(staff["clerk"])
    url = reverse("household_edit", args=[second.household.pk])
    data = browser_form(client.get(url))
    index = int(data["m-TOTAL_FORMS"])
    fill_member(data, index, name=person.name, id_number=person.id_number,
                relationship="spouse", hukou_type=person.hukou_type, health=person.health,
                labour_capacity=person.labour_capacity,
                disability_grade=person.disability_grade)
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["formset"].non_form_errors()
    assert ONE_BENEFIT in errors[0] and covered.number in errors[0]
    assert "S1" not in errors[0] and "S2" not in errors[0]  # no clause numbers shown
    assert not second.household.current_members().filter(person=person).exists()


def test_a_household_covered_twice_after_a_move_cannot_be_proposed(covered, village_a, staff):
    """Guards `rules.applicant_not_already_covered` on `propose_approval` (cases/workflow.py)."""
    second = build_case(S.INVESTIGATING, household=HouseholdFactory(village=village_a),
                        **staff)
    _moved_in_already(covered.applicant, second.household)
    events = CaseEvent.objects.filter(case=second).count()
    with pytest.raises(CaseActionError) as exc:
        services.case_propose_approval(case=second, by=staff["clerk"], amount=Decimal("650"),
                                       opinion="符合条件。", covered_persons=2)
    assert exc.value.code == "condition" and ONE_BENEFIT in exc.value.message
    second.refresh_from_db()
    assert second.status == S.INVESTIGATING and second.proposed_amount is None
    assert CaseEvent.objects.filter(case=second).count() == events


def test_a_household_covered_twice_after_a_move_cannot_be_signed_off(covered, village_a,
                                                                     staff):
    """Guards `rules.applicant_not_already_covered` on `sign_off` (cases/workflow.py): the
    reported case, the second 低保 signed off."""
    second = build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_a),
                        **staff)
    _moved_in_already(covered.applicant, second.household)
    events = CaseEvent.objects.filter(case=second).count()
    with pytest.raises(CaseActionError) as exc:
        services.case_sign_off(case=second, by=staff["leader"])
    assert ONE_BENEFIT in exc.value.message
    second.refresh_from_db()
    assert second.status == S.AWAITING_SIGN_OFF and second.decided_at is None
    assert CaseEvent.objects.filter(case=second).count() == events
    assert not second.documents.filter(kind="approval_table").exists()


def test_the_case_page_explains_why_sign_off_is_refused(client, covered, village_a, staff):
    second = build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_a),
                        **staff)
    _moved_in_already(covered.applicant, second.household)
    client.force_login(staff["leader"])
    page = client.get(second.get_absolute_url()).content.decode()
    assert ONE_BENEFIT in page  # listed as what blocks the move
    response = client.post(reverse("case_action", args=[second.pk, "sign_off"]),
                           {"sign_off-note": "同意"}, follow=True)
    assert ONE_BENEFIT in response.content.decode()
    second.refresh_from_db()
    assert second.status == S.AWAITING_SIGN_OFF


def test_the_api_refuses_proposal_and_sign_off_of_a_household_covered_twice(
        client, covered, village_a, staff):
    from tests.api.conftest import Api

    api = Api(client)
    proposed = build_case(S.INVESTIGATING, household=HouseholdFactory(village=village_a),
                          **staff)
    signing = build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_a),
                         **staff)
    _moved_in_already(covered.applicant, proposed.household)
    api.login(staff["clerk"])
    response = api.post(f"/api/cases/{proposed.pk}/transitions/propose_approval/",
                        {"amount": 650, "covered_persons": 2, "opinion": "符合条件"})
    assert response.status_code == 400
    assert response.json()["code"] == "condition"
    assert ONE_BENEFIT in response.json()["message"]
    # The mover now leaves for the household awaiting sign-off (records made before the check).
    Membership.objects.filter(person=covered.applicant, household=proposed.household).update(
        ended_on=timezone.localdate())
    _moved_in_already(covered.applicant, signing.household)
    api.login(staff["leader"])
    response = api.post(f"/api/cases/{signing.pk}/transitions/sign_off/", {"note": "同意"})
    assert response.status_code == 400
    assert ONE_BENEFIT in response.json()["message"]
    proposed.refresh_from_db()
    signing.refresh_from_db()
    assert (proposed.status, signing.status) == (S.INVESTIGATING, S.AWAITING_SIGN_OFF)
