"""Every move of the procedure: allowed from each legal state for each allowed role, refused
from every other state, for every other role and for other townships — in Chinese."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import transaction

from cases import services
from cases.demo_cases import build_case, calculate
from cases.models import Appraisal
from cases.permissions import Role
from cases.workflow import PRE_DECISION_STATUSES, CaseStatus
from tests.factories import HouseholdFactory, appraisal_input, make_user

S = CaseStatus
CJK = re.compile(r"[\u4e00-\u9fff]")

MOVES = {
    "accept": (lambda c, u: services.case_accept(case=c, by=u), {S.RECEIVED}, {"clerk_a"}),
    "open_recheck": (lambda c, u: services.case_open_recheck(
        case=c, by=u, content="对存款核对结果有异议。"), {S.INVESTIGATING},
        {"clerk_a", "verifier_a"}),
    "complete_recheck": (lambda c, u: services.case_complete_recheck(case=c, by=u),
                         {S.RECHECK}, {"verifier_a"}),
    "propose_approval": (lambda c, u: services.case_propose_approval(
        case=c, by=u, opinion="同意。"),
        {S.INVESTIGATING}, {"clerk_a", "leader_a"}),
    "close_publicity": (lambda c, u: services.case_close_publicity(case=c, by=u),
                        {S.IN_PUBLICITY}, {"clerk_a", "leader_a"}),
    "record_appraisal": (lambda c, u: services.case_record_appraisal(
        case=c, by=u, **appraisal_input(participants=[{"name": "甲", "capacity": "村民代表"}] * 3,
                                        votes_for=3, votes_against=0,
                                        outcome=Appraisal.Outcome.SUPPORTED)),
        {S.AWAITING_APPRAISAL}, {"clerk_a", "leader_a"}),
    "sign_off": (lambda c, u: services.case_sign_off(case=c, by=u), {S.AWAITING_SIGN_OFF},
                 {"leader_a"}),
    "reject": (lambda c, u: services.case_reject(case=c, by=u, reason="收入超过标准。"),
               {S.INVESTIGATING, S.AWAITING_SIGN_OFF, S.EMERGENCY_REPORTED}, {"leader_a"}),
    "withdraw": (lambda c, u: services.case_withdraw(case=c, by=u, note="申请人书面撤回。"),
                 set(PRE_DECISION_STATUSES), {"clerk_a"}),
    "adjust": (lambda c, u: services.case_adjust(case=c, by=u, amount=Decimal("500"),
                                                 reason="家庭收入增加。",
                                                 override_reason="按入户所见收入核定。"),
               {S.APPROVED}, {"leader_a"}),
    "suspend": (lambda c, u: services.case_suspend(case=c, by=u, reason="外出务工。"),
                {S.APPROVED}, {"leader_a"}),
    "resume": (lambda c, u: services.case_resume(case=c, by=u), {S.SUSPENDED}, {"leader_a"}),
    "terminate": (lambda c, u: services.case_terminate(case=c, by=u, reason="收入超标。"),
                  {S.APPROVED, S.SUSPENDED}, {"leader_a"}),
    "give_aid": (lambda c, u: services.case_give_aid(case=c, by=u, amount=Decimal("1000"),
                                                     reason="火灾。"),
                 {S.EMERGENCY_REPORTED}, {"clerk_a", "leader_a"}),
    "register_emergency": (lambda c, u: services.case_register_emergency(
        case=c, by=u, amount=Decimal("1000"), reason="火灾。", paperwork_complete=True),
        {S.AID_GIVEN}, {"leader_a"}),
}


@pytest.fixture
def people(clerk_a, verifier_a, leader_a, assistant_a, bureau, clerk_b, township_b):
    leader_b = make_user("leader_b", Role.LEADER, townships=[township_b])
    verifier_b = make_user("verifier_b", Role.VERIFIER, townships=[township_b])
    return {"clerk_a": clerk_a, "verifier_a": verifier_a, "leader_a": leader_a,
            "assistant_a": assistant_a, "bureau": bureau, "clerk_b": clerk_b,
            "leader_b": leader_b, "verifier_b": verifier_b}


@pytest.fixture
def cases_in_every_state(people, village_a):
    """One case per state, each in its own household of village A (the case under review with
    its amount calculated, as a proposal needs)."""
    cases = {
        state: build_case(state, household=HouseholdFactory(village=village_a, members=2),
                          clerk=people["clerk_a"], verifier=people["verifier_a"],
                          leader=people["leader_a"])
        for state in CaseStatus
    }
    calculate(cases[CaseStatus.INVESTIGATING], by=people["clerk_a"])
    return cases


def _attempt(fn, case, user):
    """Run a move and undo it, returning None on success or the refusal."""
    outcome = None
    try:
        with transaction.atomic():
            fn(case, user)
            raise _Undo
    except _Undo:
        outcome = None
    except services.CaseActionError as exc:
        outcome = exc
    return outcome


class _Undo(Exception):
    pass


@pytest.mark.django_db
@pytest.mark.clause("S1")
def test_every_move_only_from_its_states_by_its_roles_in_its_township(
        cases_in_every_state, people):
    """clause: S1, S7, S21 — the approving township's own staff, in the right role.

    One case per state, every move, every user: each attempt runs in a savepoint that is
    rolled back, so all 15 × 14 × 8 attempts start from the same cases.
    """
    failures = []
    for move, (fn, sources, roles) in sorted(MOVES.items()):
        for state, case in cases_in_every_state.items():
            for name, user in people.items():
                refusal = _attempt(fn, case, user)
                expected = state in sources and name in roles
                if expected and refusal is not None:
                    failures.append(f"{move} from {state} by {name} refused: {refusal}")
                elif not expected and refusal is None:
                    failures.append(f"{move} from {state} by {name} should be refused")
                elif refusal is not None and not (
                        CJK.search(refusal.message)
                        and refusal.code in {"not_allowed", "forbidden", "condition"}):
                    failures.append(f"{move} from {state} by {name}: {refusal.code} "
                                    f"{refusal.message!r}")
                case.refresh_from_db()
                assert case.status == state
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_every_state_has_a_demo_case_and_every_move_is_in_the_matrix(cases_in_every_state):
    from cases.models import Case

    declared = {t.name for t in Case._meta.get_field("status").get_all_transitions(Case)}
    covered = set(MOVES) | {"end_publicity", "end_publicity_with_objection",
                            "reject_emergency"} - {"close_publicity"}
    assert declared <= covered | {"close_publicity"}, declared - covered
    assert set(cases_in_every_state) == set(CaseStatus)


@pytest.mark.django_db
def test_refusal_names_the_current_state_in_chinese(cases_in_every_state, people):
    case = cases_in_every_state[S.APPROVED]
    with pytest.raises(services.CaseActionError) as exc:
        services.case_accept(case=case, by=people["clerk_a"])
    assert "已批准" in exc.value.message
    assert "受理" in exc.value.message


@pytest.mark.django_db
def test_other_township_is_told_it_has_no_permission(cases_in_every_state, people):
    case = cases_in_every_state[S.AWAITING_SIGN_OFF]
    with pytest.raises(services.CaseActionError) as exc:
        services.case_sign_off(case=case, by=people["leader_b"])
    assert exc.value.code == "forbidden"
    assert exc.value.message == "您没有在该镇街执行此操作的权限。"
