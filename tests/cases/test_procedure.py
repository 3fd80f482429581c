"""The seed's procedure, clause by clause (临兰政办字〔2019〕42号 二、三)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case, calculate, confirm_posting
from cases.models import Case, DeadlineKind, DeadlineStatus, DeadlineUnit
from cases.workflow import CaseKind, CaseStatus
from documents.kinds import DocumentKind
from tests.factories import HouseholdFactory, PersonFactory, appraisal_input

S = CaseStatus
pytestmark = pytest.mark.django_db


def _household(village, members=2):
    return HouseholdFactory(village=village, members=members)


def _new_case(household, clerk, kind=CaseKind.DIBAO):
    return services.case_create(household=household, applicant=household.head, kind=kind,
                                by=clerk, hardship="无收入。")


@pytest.mark.clause("S1")
def test_the_approving_unit_is_the_households_township(village_a, staff):
    case = _new_case(_household(village_a), staff["clerk"])
    assert case.township == village_a.township
    assert case.number.startswith(f"{village_a.township.code}-{timezone.localdate().year}-DB-")


@pytest.mark.clause("S1")
def test_district_bureau_supervises_but_cannot_approve(village_a, staff, bureau):
    case = build_case(S.AWAITING_SIGN_OFF, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError) as exc:
        services.case_sign_off(case=case, by=bureau)
    assert exc.value.code == "forbidden"


@pytest.mark.clause("S2")
def test_acceptance_needs_an_authorization_from_every_adult_member(village_a, staff):
    household = _household(village_a, members=3)
    case = _new_case(household, staff["clerk"])
    adults = case.adult_members()
    assert len(adults) == 3
    for person in adults[:2]:
        services.authorization_record(case=case, person=person,
                                      signed_on=timezone.localdate(), by=staff["clerk"])
    with pytest.raises(services.CaseActionError) as exc:
        services.case_accept(case=case, by=staff["clerk"])
    assert "核对授权书" in exc.value.message
    services.authorization_record(case=case, person=adults[2],
                                  signed_on=timezone.localdate(), by=staff["clerk"])
    assert services.case_accept(case=case, by=staff["clerk"]).status == S.INVESTIGATING


@pytest.mark.clause("S2")
def test_minors_need_no_authorization(village_a, staff):
    adult = PersonFactory(born=dt.date(1960, 5, 1))
    child = PersonFactory(born=timezone.localdate().replace(year=timezone.localdate().year - 10))
    household = HouseholdFactory(village=village_a, members=[adult, child])
    case = _new_case(household, staff["clerk"])
    assert case.adults_without_authorization() == [adult]
    services.authorization_record(case=case, person=adult, signed_on=timezone.localdate(),
                                  by=staff["clerk"])
    assert services.case_accept(case=case, by=staff["clerk"]).status == S.INVESTIGATING


@pytest.mark.clause("S12")
def test_expenditure_type_needs_no_authorization_but_gets_the_20_day_clock(village_a, staff):
    case = _new_case(_household(village_a), staff["clerk"], kind=CaseKind.TEMP_EXPENDITURE)
    case = services.case_accept(case=case, by=staff["clerk"])
    clock = case.deadlines.get(kind=DeadlineKind.DECISION)
    assert (clock.unit, clock.amount, clock.clause) == (DeadlineUnit.WORKDAY, 20, "S12")


@pytest.mark.clause("S3")
@pytest.mark.clause("S4")
def test_acceptance_starts_the_20_working_day_clock_on_the_official_calendar(village_a, staff):
    case = _new_case(_household(village_a, 1), staff["clerk"])
    services.authorization_record(case=case, person=case.applicant,
                                  signed_on=dt.date(2026, 9, 25), by=staff["clerk"])
    accepted = timezone.make_aware(dt.datetime(2026, 9, 28, 10, 0))
    with time_machine.travel(accepted, tick=False):
        case = services.case_accept(case=case, by=staff["clerk"])
    clock = case.deadlines.get(kind=DeadlineKind.DECISION)
    # 2026-09-28 + 20 working days skips the National Day week and counts 10-10 (Saturday).
    assert timezone.localdate(clock.due_at) == dt.date(2026, 10, 30)
    assert clock.calendar_confirmed
    assert case.accepted_at == accepted
    assert "2026年10月30日" in clock.explanation["summary"]


@pytest.mark.clause("S4")
def test_no_decision_without_verification_report_and_home_visit(village_a, staff):
    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    case.verification_reports.all().delete()
    with pytest.raises(services.CaseActionError) as exc:
        services.case_propose_approval(case=case, by=staff["clerk"], amount=Decimal("600"),
                                       opinion="同意。")
    assert "核对报告" in exc.value.message
    with pytest.raises(services.CaseActionError):
        services.case_reject(case=case, by=staff["leader"], reason="不符合。")
    services.verification_record(case=case, monthly_income=Decimal("100"), conclusion="低于标准",
                                 by=staff["verifier"])
    case.home_visits.all().delete()
    with pytest.raises(services.CaseActionError) as exc:
        services.case_reject(case=case, by=staff["leader"], reason="不符合。")
    assert "入户调查" in exc.value.message


@pytest.mark.clause("S4")
def test_home_visit_needs_two_investigators(village_a, staff):
    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError) as exc:
        services.home_visit_record(case=case, visited_on=timezone.localdate(),
                                   investigators=["王强", " "], findings="…", by=staff["clerk"])
    assert "至少两名" in exc.value.message


@pytest.mark.clause("S4")
def test_only_designated_verification_officers_record_verification(village_a, staff):
    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError) as exc:
        services.verification_record(case=case, monthly_income=Decimal("1"), conclusion="x",
                                     by=staff["clerk"])
    assert "核对专员" in exc.value.message


@pytest.mark.clause("S5")
def test_objection_to_verification_opens_a_10_working_day_recheck(village_a, staff):
    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    lodged = timezone.make_aware(dt.datetime(2026, 9, 30, 9, 0))
    with time_machine.travel(lodged, tick=False):
        case = services.case_open_recheck(case=case, content="存款是代管的。", by=staff["clerk"])
    clock = case.deadlines.get(kind=DeadlineKind.RECHECK)
    assert (clock.amount, clock.clause) == (10, "S5")
    # Day 1 is 10-08 (after the National Day holidays); 10-10 is a make-up working day.
    assert timezone.localdate(clock.due_at) == dt.date(2026, 10, 20)
    with pytest.raises(services.CaseActionError) as exc:
        services.case_complete_recheck(case=case, by=staff["verifier"])
    assert "复核报告" in exc.value.message
    services.verification_record(case=case, monthly_income=Decimal("200"), conclusion="更正。",
                                 by=staff["verifier"])
    case = services.case_complete_recheck(case=case, by=staff["verifier"])
    assert case.status == S.INVESTIGATING
    clock.refresh_from_db()
    assert clock.status in (DeadlineStatus.MET, DeadlineStatus.MET_LATE)
    assert case.verification_reports.filter(is_recheck=True).count() == 1


@pytest.mark.clause("S6")
def test_approval_is_publicized_for_7_days_from_the_day_after_the_posting(village_a, staff):
    proposed = timezone.make_aware(dt.datetime(2026, 11, 26, 15, 0))
    with time_machine.travel(proposed - dt.timedelta(days=1), tick=False):
        case = build_case(S.INVESTIGATING, household=_household(village_a), days_ago=0,
                          **staff)
    with time_machine.travel(proposed, tick=False):
        calculate(case, by=staff["clerk"])
        case = services.case_propose_approval(case=case, by=staff["clerk"],
                                              opinion="符合条件。")
    assert not case.deadlines.filter(kind=DeadlineKind.PUBLICITY).exists()
    posted = timezone.make_aware(dt.datetime(2026, 11, 27, 10, 0))
    with time_machine.travel(posted, tick=False):
        confirm_posting(case, by=staff["clerk"])
    clock = case.deadlines.get(kind=DeadlineKind.PUBLICITY)
    assert clock.start_at == posted
    assert timezone.localdate(clock.due_at) == dt.date(2026, 12, 4)
    with time_machine.travel(timezone.make_aware(dt.datetime(2026, 12, 4, 23, 59)), tick=False):
        with pytest.raises(services.CaseActionError) as exc:
            services.case_close_publicity(case=case, by=None)
        assert "公示期尚未结束" in exc.value.message
    with time_machine.travel(timezone.make_aware(dt.datetime(2026, 12, 5, 0, 0, 1)), tick=False):
        case = services.case_close_publicity(case=case, by=None)
    assert case.status == S.AWAITING_SIGN_OFF


@pytest.mark.clause("S9")
def test_there_is_one_publicity_only_and_only_after_the_review(village_a, staff):
    """No review-stage publicity: the only way into publicity is the approval proposal."""
    into_publicity = [t for t in Case._meta.get_field("status").get_all_transitions(Case)
                      if t.target == S.IN_PUBLICITY]
    assert [(t.name, t.source) for t in into_publicity] == [
        ("propose_approval", S.INVESTIGATING)]
    case = build_case(S.RECEIVED, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError):
        services.case_propose_approval(case=case, by=staff["clerk"], amount=Decimal("600"),
                                       opinion="同意。")


@pytest.mark.clause("S6")
def test_decision_clock_pauses_during_publicity_and_shows_both_dates(village_a, staff):
    case = build_case(S.AWAITING_SIGN_OFF, household=_household(village_a), **staff)
    clock = case.deadlines.get(kind=DeadlineKind.DECISION)
    assert clock.status == DeadlineStatus.OPEN
    assert "due_if_publicity_counted" in clock.explanation
    assert clock.due_at > dt.datetime.fromisoformat(
        clock.explanation["due_if_publicity_counted"])
    actions = list(case.events.values_list("action", flat=True))
    assert actions.index("deadline_paused") < actions.index("deadline_resumed")


@pytest.mark.clause("S7")
def test_sign_off_by_the_township_leader_after_publicity(village_a, staff):
    case = build_case(S.AWAITING_SIGN_OFF, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError):
        services.case_sign_off(case=case, by=staff["clerk"])
    case = services.case_sign_off(case=case, by=staff["leader"])
    assert case.status == S.APPROVED
    assert case.approved_amount == case.assessment.amount > 0  # the calculation's figure
    assert case.decided_at is not None
    assert case.deadlines.get(kind=DeadlineKind.DECISION).status in (
        DeadlineStatus.MET, DeadlineStatus.MET_LATE)


@pytest.mark.clause("S8")
def test_rejection_needs_written_reasons(village_a, staff):
    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError) as exc:
        services.case_reject(case=case, by=staff["leader"], reason="   ")
    assert "理由" in exc.value.message
    case = services.case_reject(case=case, by=staff["leader"], reason="人均收入高于标准。")
    assert case.status == S.REJECTED
    assert case.decision_reason == "人均收入高于标准。"


@pytest.mark.clause("S10")
def test_objection_during_publicity_requires_democratic_appraisal(village_a, staff):
    case = build_case(S.AWAITING_APPRAISAL, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError):
        services.case_sign_off(case=case, by=staff["leader"])
    with pytest.raises(services.CaseActionError) as exc:
        services.case_record_appraisal(
            case=case, by=staff["clerk"], held_on=timezone.localdate(), place="村委会",
            chair="张书记", participants=[], votes_for=0, votes_against=0, votes_abstain=0,
            outcome="supported")
    assert "参加人员" in exc.value.message
    case = services.case_record_appraisal(case=case, by=staff["clerk"], **appraisal_input())
    assert case.status == S.AWAITING_SIGN_OFF
    assert services.case_sign_off(case=case, by=staff["leader"]).status == S.APPROVED


@pytest.mark.clause("S10")
def test_objection_only_during_publicity(village_a, staff):
    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    with pytest.raises(services.CaseActionError) as exc:
        services.objection_record(case=case, content="不服。", by=staff["clerk"])
    assert "公示期" in exc.value.message


@pytest.mark.clause("S11")
def test_emergency_aid_within_24_hours_then_registration_in_5_working_days(village_a, staff):
    reported = timezone.make_aware(dt.datetime(2026, 9, 30, 20, 0))
    household = _household(village_a)
    with time_machine.travel(reported, tick=False) as traveller:
        case = services.case_create(household=household, applicant=household.head,
                                    kind=CaseKind.TEMP_EMERGENCY, by=staff["leader"],
                                    hardship="夜间房屋失火。")
        aid_clock = case.deadlines.get(kind=DeadlineKind.EMERGENCY_AID)
        assert aid_clock.due_at == reported + dt.timedelta(hours=24)
        assert aid_clock.clause == "S11"
        with pytest.raises(services.CaseActionError) as exc:
            services.case_give_aid(case=case, by=staff["clerk"], amount=None, reason="")
        assert "金额" in exc.value.message
        traveller.shift(dt.timedelta(hours=5))
        case = services.case_give_aid(case=case, by=staff["clerk"], amount=Decimal("3000"),
                                      reason="房屋失火，生活用品全部损毁。")
    aid_clock.refresh_from_db()
    assert aid_clock.status == DeadlineStatus.MET
    reg = case.deadlines.get(kind=DeadlineKind.EMERGENCY_REGISTRATION)
    # Aid on 10-01 (a holiday): 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
    assert timezone.localdate(reg.due_at) == dt.date(2026, 10, 13)
    with pytest.raises(services.CaseActionError) as exc:
        services.case_register_emergency(case=case, by=staff["leader"], amount=Decimal("3000"),
                                         reason="火灾", paperwork_complete=False)
    assert "签字、盖章" in exc.value.message
    case = services.case_register_emergency(case=case, by=staff["leader"],
                                            amount=Decimal("3000"), reason="火灾",
                                            paperwork_complete=True)
    assert case.status == S.CLOSED


@pytest.mark.clause("S12")
def test_emergency_cases_have_no_20_day_clock(village_a, staff):
    case = build_case(S.CLOSED, household=_household(village_a), **staff)
    assert not case.deadlines.filter(kind=DeadlineKind.DECISION).exists()


def test_dibao_and_tekun_exclude_each_other_for_the_same_household(village_a, staff):
    household = _household(village_a)
    build_case(S.APPROVED, household=household, **staff)
    with pytest.raises(services.CaseActionError) as exc:
        services.case_create(household=household, applicant=household.head,
                             kind=CaseKind.TEKUN, by=staff["clerk"])
    assert "低保与特困不能同时享受" in exc.value.message
    # Temporary assistance stays possible for a covered household.
    services.case_create(household=household, applicant=household.head,
                         kind=CaseKind.TEMP_EXPENDITURE, by=staff["clerk"])


def test_second_application_blocked_at_acceptance_too(village_a, staff):
    household = _household(village_a)
    first = _new_case(household, staff["clerk"])
    second = _new_case(household, staff["clerk"])  # both only received: allowed so far
    for case in (first, second):
        for person in case.adult_members():
            services.authorization_record(case=case, person=person,
                                          signed_on=timezone.localdate(), by=staff["clerk"])
    services.case_accept(case=first, by=staff["clerk"])
    with pytest.raises(services.CaseActionError) as exc:
        services.case_accept(case=second, by=staff["clerk"])
    assert "不能重复申请" in exc.value.message


def test_withdrawal_cancels_every_running_clock(village_a, staff):
    case = build_case(S.RECHECK, household=_household(village_a), **staff)
    case = services.case_withdraw(case=case, by=staff["clerk"], note="申请人书面撤回。")
    assert case.status == S.WITHDRAWN
    assert not case.deadlines.filter(status__in=[DeadlineStatus.OPEN,
                                                 DeadlineStatus.PAUSED]).exists()


def test_applicant_must_belong_to_the_household(village_a, staff):
    household = _household(village_a)
    stranger = PersonFactory()
    with pytest.raises(services.CaseActionError) as exc:
        services.case_create(household=household, applicant=stranger, kind=CaseKind.DIBAO,
                             by=staff["clerk"])
    assert "在册成员" in exc.value.message


def test_case_numbers_are_sequential_per_township_year_and_kind(village_a, staff):
    numbers = [_new_case(_household(village_a), staff["clerk"]).number for _ in range(3)]
    tails = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert tails == [tails[0], tails[0] + 1, tails[0] + 2]
    other = _new_case(_household(village_a), staff["clerk"], kind=CaseKind.TEMP_EXPENDITURE)
    assert other.number.endswith("-ZC-00001")


@pytest.mark.clause("S10")
def test_an_appraisal_that_does_not_support_leads_to_rejection_not_sign_off(village_a, staff):
    case = build_case(S.AWAITING_APPRAISAL, household=_household(village_a), **staff)
    case = services.case_record_appraisal(case=case, by=staff["clerk"], **appraisal_input(
        votes_for=1, votes_against=4, outcome="not_supported"))
    with pytest.raises(services.CaseActionError) as exc:
        services.case_sign_off(case=case, by=staff["leader"])
    assert "民主评议未通过" in exc.value.message
    case = services.case_reject(case=case, by=staff["leader"], reason="子女有赡养能力。")
    assert case.status == S.REJECTED


def _issued(case):
    from documents.models import IssuedDocument

    return sorted(IssuedDocument.objects.filter(case=case).values_list("kind", flat=True))


@pytest.mark.clause("S3")
@pytest.mark.clause("S13")
def test_acceptance_issues_a_numbered_acceptance_notice_in_the_same_transaction(village_a,
                                                                                staff):
    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    from documents.models import IssuedDocument

    notice = IssuedDocument.objects.get(case=case, kind=DocumentKind.ACCEPTANCE)
    assert notice.number and notice.sha256
    event = case.events.get(action="document_issued", payload__kind=DocumentKind.ACCEPTANCE)
    assert event.payload["sha256"] == notice.sha256


@pytest.mark.clause("S8")
def test_rejection_issues_the_notice_with_reasons(village_a, staff):
    """The issued 不予批准告知书 carries the leader's reasons, read back from its PDF."""
    from documents.models import IssuedDocument
    from tests.documents.conftest import pdf_text, stored_bytes

    case = build_case(S.INVESTIGATING, household=_household(village_a), **staff)
    reason = "经核对，家庭人均月收入1280元，高于本地低保标准；名下登记小型轿车一辆。"
    case = services.case_reject(case=case, by=staff["leader"], reason=reason)
    assert case.status == S.REJECTED
    notice = IssuedDocument.objects.get(case=case, kind=DocumentKind.REJECTION)
    text = pdf_text(stored_bytes(notice))
    assert f"理由：{reason}" in text
    assert case.number in text


@pytest.mark.clause("S7")
@pytest.mark.clause("S18")
def test_sign_off_issues_the_approval_table_and_notice(village_a, staff):
    case = build_case(S.APPROVED, household=_household(village_a), **staff)
    assert {DocumentKind.APPROVAL_FORM, DocumentKind.APPROVAL_NOTICE} <= set(_issued(case))


@pytest.mark.clause("S5")
def test_recheck_ends_with_a_numbered_recheck_report(village_a, staff):
    case = build_case(S.RECHECK, household=_household(village_a), **staff)
    case = services.case_complete_recheck(case=case, by=staff["verifier"])
    assert DocumentKind.RECHECK_REPORT in _issued(case)


@pytest.mark.clause("S16")
def test_suspension_and_adjustment_issue_the_adjustment_notice(village_a, staff):
    case = build_case(S.APPROVED, household=_household(village_a), **staff)
    services.case_adjust(case=case, by=staff["leader"], reason="收入增加。",
                         amount=Decimal("420"), override_reason="按复核后收入核减。")
    services.case_suspend(case=case, by=staff["leader"], reason="外出务工。")
    assert _issued(case).count(DocumentKind.ADJUSTMENT) == 2


def test_a_failing_document_leaves_no_half_written_transition(village_a, staff, monkeypatch):
    """A transition and its documents and events commit together or not at all."""
    case = build_case(S.AWAITING_SIGN_OFF, household=_household(village_a), **staff)
    events = case.events.count()

    def broken(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr("documents.services.render_pdf_document", broken)
    with pytest.raises(RuntimeError):
        services.case_sign_off(case=case, by=staff["leader"])
    case.refresh_from_db()
    assert case.status == S.AWAITING_SIGN_OFF
    assert case.events.count() == events
    assert DocumentKind.APPROVAL_FORM not in _issued(case)
