"""The calculation binds the proposal (保障金额计算 → 拟保障金额): service, page and API.

A proposal and an adjustment take their amount and persons covered from a calculation made
after the latest verification report and home visit; a different figure, or approving a
household the calculation finds ineligible, is an override that needs a written reason, goes
on the trail and flags the case; batch sign-off skips flagged cases.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case, calculate, confirm_posting
from cases.models import Case
from cases.verification.assessment import AssetFacts
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 0))  # a Monday


def _investigating(village, staff, members=2, at=T0):
    """A case under review, its evidence recorded shortly before `at`."""
    with time_machine.travel(at, tick=False):
        return build_case(S.INVESTIGATING, household=HouseholdFactory(village=village,
                                                                      members=members),
                          days_ago=1, **staff)


def _propose(case, staff, **kwargs):
    return services.case_propose_approval(case=case, by=staff["clerk"], opinion="符合条件。",
                                          **kwargs)


def _unchanged(case):
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.status == S.INVESTIGATING and fresh.proposed_amount is None
            and not fresh.amount_overridden and fresh.assessment_id is None
            and not fresh.events.filter(action__in=["propose_approval",
                                                    "amount_override"]).exists())


# --- Service ---------------------------------------------------------------------------------

@pytest.mark.clause("S6")
def test_a_proposal_takes_its_amount_and_persons_from_the_calculation(village_a, staff):
    case = _investigating(village_a, staff)
    with time_machine.travel(T0, tick=False):
        assessment = calculate(case, by=staff["clerk"])
        case = _propose(case, staff)
    assert assessment.eligible and assessment.amount > 0
    assert (case.proposed_amount, case.covered_persons) == (assessment.amount,
                                                           assessment.covered_persons)
    assert case.assessment == assessment and not case.amount_overridden
    assert not case.events.filter(action="amount_override").exists()


@pytest.mark.clause("S6")
def test_a_proposal_without_a_calculation_is_refused_and_nothing_changes(village_a, staff):
    """Guards `cases.proposal.current_calculation` (no calculation at all)."""
    case = _investigating(village_a, staff)
    with pytest.raises(services.CaseActionError) as exc, time_machine.travel(T0, tick=False):
        _propose(case, staff, amount=Decimal("650.00"), covered_persons=1,
                 override_reason="按经验核定。")
    assert "尚未进行保障金额计算" in exc.value.message
    assert _unchanged(case)


@pytest.mark.clause("S6")
def test_a_calculation_older_than_the_latest_home_visit_is_stale(village_a, staff):
    """Guards `cases.proposal.stale_because` (the home-visit edge): a calculation made at the
    visit's recording moment is current; one second earlier it is stale."""
    case = _investigating(village_a, staff)
    with time_machine.travel(T0, tick=False):
        calculate(case, by=staff["clerk"])
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        services.home_visit_record(case=case, visited_on=T0.date(), investigators=["王强", "李娜"],
                                   findings="再次入户：新增家用汽车一辆。", by=staff["clerk"])
        with pytest.raises(services.CaseActionError) as exc:
            _propose(case, staff)
        assert "已过时" in exc.value.message and "入户调查" in exc.value.message
        assert _unchanged(case)
        calculate(case, by=staff["clerk"])  # at the visit's own moment: current
        case = _propose(case, staff)
    assert case.status == S.IN_PUBLICITY and case.assessment.version == 2


@pytest.mark.clause("S6")
def test_a_calculation_older_than_the_latest_verification_report_is_stale(village_a, staff):
    """Guards `cases.proposal.stale_because` (the report edge)."""
    case = _investigating(village_a, staff)
    with time_machine.travel(T0, tick=False):
        calculate(case, by=staff["clerk"])
    with time_machine.travel(T0 + dt.timedelta(seconds=1), tick=False):
        services.verification_record(case=case, monthly_income=Decimal("900.00"),
                                     conclusion="补充核对：新增工资收入。", by=staff["verifier"])
        with pytest.raises(services.CaseActionError) as exc:
            _propose(case, staff)
    assert "已过时" in exc.value.message and "核对报告第2版" in exc.value.message
    assert _unchanged(case)


@pytest.mark.clause("S6")
def test_a_different_amount_without_a_reason_is_refused_and_nothing_is_saved(village_a, staff):
    """Guards the override-reason check of `cases.proposal.bind`."""
    case = _investigating(village_a, staff)
    with time_machine.travel(T0, tick=False):
        assessment = calculate(case, by=staff["clerk"])
        for kwargs in ({"amount": assessment.amount + 1},
                       {"covered_persons": assessment.covered_persons - 1},
                       {"amount": Decimal("9999.00"), "override_reason": "  "}):
            with pytest.raises(services.CaseActionError) as exc:
                _propose(case, staff, **kwargs)
            assert "不一致，须写明理由" in exc.value.message
            assert _unchanged(case)


@pytest.mark.clause("S6")
def test_an_override_with_a_reason_is_accepted_traced_and_flagged(village_a, staff):
    case = _investigating(village_a, staff)
    with time_machine.travel(T0, tick=False):
        assessment = calculate(case, by=staff["clerk"])
        case = _propose(case, staff, amount=Decimal("852.00"), covered_persons=1,
                        override_reason="另一成员已纳入特困供养。")
    assert case.status == S.IN_PUBLICITY and case.amount_overridden
    assert case.override_reason == "另一成员已纳入特困供养。"
    event = case.events.get(action="amount_override")
    assert event.note == "另一成员已纳入特困供养。"
    assert event.payload["calculated_amount"] == f"{assessment.amount}"
    assert event.payload["proposed_amount"] == "852.00"
    assert (event.payload["calculated_persons"], event.payload["proposed_persons"]) == (2, 1)


@pytest.mark.clause("S6")
def test_approving_a_household_the_calculation_finds_ineligible_is_an_override(village_a,
                                                                                staff):
    """Guards the ineligible check of `cases.proposal.bind`: savings over the limit."""
    case = _investigating(village_a, staff)
    with time_machine.travel(T0, tick=False):
        assessment = calculate(case, by=staff["clerk"],
                               assets=AssetFacts(financial=Decimal("42656.00")))
        assert not assessment.eligible
        with pytest.raises(services.CaseActionError) as exc:
            _propose(case, staff)
        assert "不符合条件" in exc.value.message and "超过限额" in exc.value.message
        with pytest.raises(services.CaseActionError) as exc:
            _propose(case, staff, amount=Decimal("852.00"))
        assert "拟同意须写明理由" in exc.value.message
        assert _unchanged(case)
        case = _propose(case, staff, amount=Decimal("852.00"),
                        override_reason="存款为大病医疗专款，经集体研究同意。")
    assert case.amount_overridden and case.proposed_amount == Decimal("852.00")
    assert case.events.get(action="amount_override").payload["eligible"] is False


@pytest.mark.clause("S16")
def test_an_adjustment_takes_the_new_calculation_and_a_different_amount_needs_a_reason(
        village_a, staff):
    case = build_case(S.APPROVED, household=HouseholdFactory(village=village_a, members=2),
                      **staff)
    before = case.approved_amount
    with pytest.raises(services.CaseActionError) as exc:
        services.case_adjust(case=case, by=staff["leader"], amount=before - 100,
                             reason="收入增加。")
    assert "不一致，须写明理由" in exc.value.message
    assert Case.objects.get(pk=case.pk).approved_amount == before
    case = services.case_adjust(case=case, by=staff["leader"], amount=before - 100,
                                reason="收入增加。", override_reason="子女务工收入已核实。")
    assert case.approved_amount == before - 100 and case.amount_overridden
    assert case.events.filter(action="amount_override").last().payload["for"] == "adjust"


# --- Batch sign-off ----------------------------------------------------------------------------

def _awaiting(village, staff, **override):
    start = T0 - dt.timedelta(days=10)
    case = _investigating(village, staff, at=start)
    with time_machine.travel(start, tick=False):
        calculate(case, by=staff["clerk"])
        case = _propose(case, staff, **override)
        confirm_posting(case, by=staff["clerk"])
    with time_machine.travel(T0, tick=False):
        return services.case_close_publicity(case=case, by=None)


@pytest.mark.clause("S7")
def test_batch_sign_off_refuses_an_overridden_case_which_is_signed_alone(village_a, staff):
    """Guards the `batch` check of `services.case_sign_off`."""
    flagged = _awaiting(village_a, staff, amount=Decimal("852.00"), override_reason="见附件。")
    with time_machine.travel(T0, tick=False):
        with pytest.raises(services.CaseActionError) as exc:
            services.case_sign_off(case=flagged, by=staff["leader"], batch=True)
        assert "逐件" in exc.value.message
        assert Case.objects.get(pk=flagged.pk).status == S.AWAITING_SIGN_OFF
        case = services.case_sign_off(case=flagged, by=staff["leader"])
    assert case.status == S.APPROVED and case.approved_amount == Decimal("852.00")


@pytest.mark.clause("S7")
def test_the_leader_queue_shows_the_calculation_and_its_batch_skips_flagged_cases(
        client, village_a, staff):
    plain = _awaiting(village_a, staff)
    flagged = _awaiting(village_a, staff, amount=Decimal("852.00"),
                        override_reason="存款为大病医疗专款。")
    client.force_login(staff["leader"])
    with time_machine.travel(T0, tick=False):
        page = client.get(reverse("leader_queue")).content.decode()
        assert f'name="case" value="{plain.pk}"' in page
        assert f'name="case" value="{flagged.pk}"' not in page  # no batch box
        assert "与计算结果不一致" in page and "存款为大病医疗专款。" in page
        for line in plain.assessment.result["lines"]:
            assert line["label"] in page and line["value"] in page
        for reason in plain.assessment.result["reasons"]:
            assert reason["text"] in page
        for income in plain.assessment.result["income_lines"]:
            assert income["source"] in page
        client.post(reverse("leader_queue"), {"case": [plain.pk, flagged.pk]})
    assert Case.objects.get(pk=plain.pk).status == S.APPROVED
    assert Case.objects.get(pk=flagged.pk).status == S.AWAITING_SIGN_OFF


# --- Case page ---------------------------------------------------------------------------------

def _post(client, case, data):
    return client.post(reverse("case_action", args=[case.pk, "propose_approval"]),
                       {f"propose_approval-{k}": v for k, v in data.items()}, follow=True)


@pytest.mark.clause("S6")
def test_the_case_page_shows_the_calculated_figures_and_refuses_an_unexplained_change(
        client, village_a, staff):
    case = _investigating(village_a, staff)
    client.force_login(staff["clerk"])
    with time_machine.travel(T0, tick=False):
        page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
        assert "尚未进行保障金额计算" in page
        assessment = calculate(case, by=staff["clerk"])
        page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
        assert f"{assessment.amount}元/月，保障{assessment.covered_persons}人" in page
        response = _post(client, case, {"opinion": "同意。", "amount": "9999.00"})
        assert "不一致，须写明理由" in response.content.decode()
        assert _unchanged(case)
        _post(client, case, {"opinion": "同意。"})
        page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    case.refresh_from_db()
    assert case.status == S.IN_PUBLICITY and case.proposed_amount == assessment.amount
    assert case.number in page and "与计算结果不一致" not in page


@pytest.mark.clause("S6")
def test_the_case_page_flags_an_override_with_its_reason(client, village_a, staff):
    case = _investigating(village_a, staff)
    client.force_login(staff["clerk"])
    with time_machine.travel(T0, tick=False):
        calculate(case, by=staff["clerk"])
        _post(client, case, {"opinion": "同意。", "amount": "852.00",
                             "override_reason": "另一成员已纳入特困供养。"})
        page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "与计算结果不一致" in page and "另一成员已纳入特困供养。" in page


# --- API -------------------------------------------------------------------------------------

@pytest.mark.clause("S6")
def test_the_api_refuses_an_unexplained_change_and_flags_an_explained_one(client, village_a,
                                                                         staff):
    case = _investigating(village_a, staff)
    client.force_login(staff["clerk"])
    path = f"/api/cases/{case.pk}/transitions/propose_approval/"
    with time_machine.travel(T0, tick=False):
        response = client.post(path, {"opinion": "同意。"}, content_type="application/json")
        assert response.status_code == 400 and "尚未进行保障金额计算" in response.json()["message"]
        calculate(case, by=staff["clerk"])
        response = client.post(path, {"opinion": "同意。", "amount": "9999.00",
                                      "covered_persons": 5}, content_type="application/json")
        assert response.status_code == 400 and "须写明理由" in response.json()["message"]
        assert _unchanged(case)
        response = client.post(path, {"opinion": "同意。", "amount": "9999.00",
                                      "covered_persons": 2, "override_reason": "大病支出。"},
                               content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amount_overridden"] is True and body["override_reason"] == "大病支出。"
    assert body["proposed_amount"] == "9999.00"


@pytest.mark.clause("S16")
def test_an_adjustment_to_the_same_amount_is_refused_in_chinese(village_a, staff):
    """Guards the same-amount refusal of `case_adjust`: without it the adjustment notice's
    builder failed deep inside the transaction instead of telling the leader why."""
    case = build_case(S.APPROVED, household=HouseholdFactory(village=village_a, members=2),
                      **staff)
    with pytest.raises(services.CaseActionError) as exc:
        services.case_adjust(case=case, by=staff["leader"], reason="复核。")
    assert "无需调整" in exc.value.message
    assert not case.events.filter(action="adjust").exists()


@pytest.mark.clause("S16")
def test_an_adjustment_takes_a_new_calculation_made_after_approval(village_a, staff):
    from cases.models import IncomeType

    case = build_case(S.APPROVED, household=HouseholdFactory(village=village_a, members=2),
                      **staff)
    wage = IncomeType.objects.filter(counted=True).first()
    member = case.household.current_members()[0].person
    assessment = calculate(case, by=staff["clerk"], extra_incomes=[
        {"person": member, "type": wage, "monthly": Decimal("100.00"), "source": "务工"}])
    assert assessment.amount < case.approved_amount
    case = services.case_adjust(case=case, by=staff["leader"], reason="新增务工收入。")
    assert case.approved_amount == assessment.amount and case.assessment == assessment
    assert not case.amount_overridden
