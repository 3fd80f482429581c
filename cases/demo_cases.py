"""Cases in any state, built the honest way: through the services, as the right users.

Used by `seed_demo` and by the tests. Every step happens on a simulated clock
(time-machine) that starts `days_ago` days back, so that a case built "in publicity" has a
publicity period that is over by the real now, exactly as if the township had worked it.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import services
from cases.models import Appraisal
from cases.workflow import AUTHORIZATION_KINDS, CaseKind, CaseStatus

S = CaseStatus

PATHS = {
    # target state -> steps after creation
    S.RECEIVED: ["authorize"],
    S.INVESTIGATING: ["authorize", "accept", "verify", "visit"],
    S.RECHECK: ["authorize", "accept", "verify", "visit", "open_recheck", "recheck_report"],
    # Publicity runs from the day after the sheet is confirmed posted on the village board.
    S.IN_PUBLICITY: ["authorize", "accept", "verify", "visit", "propose", "post"],
    S.AWAITING_APPRAISAL: ["authorize", "accept", "verify", "visit", "propose", "post",
                           "object", "close_publicity"],
    S.AWAITING_SIGN_OFF: ["authorize", "accept", "verify", "visit", "propose", "post",
                          "close_publicity"],
    S.APPROVED: ["authorize", "accept", "verify", "visit", "propose", "post",
                 "close_publicity", "sign_off"],
    S.SUSPENDED: ["authorize", "accept", "verify", "visit", "propose", "post",
                  "close_publicity", "sign_off", "suspend"],
    S.TERMINATED: ["authorize", "accept", "verify", "visit", "propose", "post",
                   "close_publicity", "sign_off", "terminate"],
    S.REJECTED: ["authorize", "accept", "verify", "visit", "reject"],
    S.WITHDRAWN: ["withdraw"],
    S.EMERGENCY_REPORTED: [],
    S.AID_GIVEN: ["give_aid"],
    S.CLOSED: ["give_aid", "register"],
}

EMERGENCY_STATES = {S.EMERGENCY_REPORTED, S.AID_GIVEN, S.CLOSED}


def build_case(state: str, *, household, clerk, verifier, leader, kind: str | None = None,
               days_ago: int = 25, applicant=None, override: dict | None = None,
               posted: bool = True):
    """A case of `household` driven to `state` through the services.

    The proposal's amount is the calculation's; `override` (``amount``, ``covered_persons``,
    ``override_reason``) proposes other figures with a written reason instead.
    `posted=False` (in publicity only) leaves the board sheet not yet confirmed posted: the
    case is on a sheet, its period has not started."""
    state = CaseStatus(state)
    if kind is None:
        kind = CaseKind.TEMP_EMERGENCY if state in EMERGENCY_STATES else CaseKind.DIBAO
    start = timezone.now() - dt.timedelta(days=days_ago)
    applicant = applicant or household.head
    with time_machine.travel(start, tick=False) as traveller:
        case = services.case_create(household=household, applicant=applicant, kind=kind,
                                    by=leader if kind == CaseKind.TEMP_EMERGENCY else clerk,
                                    hardship="家庭成员患病，无稳定收入。")
        for step in PATHS[state]:
            if step == "post" and not posted:
                continue
            traveller.shift(dt.timedelta(hours=2))
            case = _step(step, case, clerk=clerk, verifier=verifier, leader=leader,
                         traveller=traveller, override=override or {})
    case.refresh_from_db()
    assert case.status == state, (case.status, state)
    return case


def calculation_params(case) -> dict:
    """What a reviewer adds to the calculation of `case` in the demo: the person supported
    (特困: the applicant, or else the first member unable to work; fully self-caring; no
    capable supporter), or the expenditure (支出型)."""
    from cases.verification.assessment import CareLevel, MemberFact, no_work_capacity_basis

    if case.kind == CaseKind.TEKUN:
        today = timezone.localdate()
        people = [case.applicant] + [m.person for m in case.household.current_members()
                                     if m.person_id != case.applicant_id]
        supported = next((p for p in people if no_work_capacity_basis(MemberFact(
            p.pk, p.name, p.age_on(today), disability_type=p.disability_type,
            disability_grade=p.disability_grade))), case.applicant)
        return {"supported": {supported.pk: CareLevel.SELF}, "has_capable_supporter": False}
    if case.kind == CaseKind.TEMP_EXPENDITURE:
        return {"temp_expense": Decimal("3000.00")}
    return {}


def calculate(case, *, by, **params):
    """The means test of `case` (保障金额计算) as of now: the proposal's amount comes from it."""
    from cases.verification.services import assessment_record

    return assessment_record(case=case, by=by, **{**calculation_params(case), **params})


def _step(step, case, *, clerk, verifier, leader, traveller, override=None):
    today = timezone.localdate()
    if step == "authorize":
        if case.kind not in AUTHORIZATION_KINDS:
            return case
        for person in case.adult_members():
            services.authorization_record(case=case, person=person, signed_on=today, by=clerk)
        return case
    if step == "accept":
        return services.case_accept(case=case, by=clerk)
    if step == "verify":
        services.verification_record(case=case, monthly_income=Decimal("300.00"),
                                     conclusion="家庭人均收入低于当地低保标准。", by=verifier)
        return case
    if step == "visit":
        services.home_visit_record(case=case, visited_on=today, investigators=["王强", "李娜"],
                                   findings="住房简陋，无大额财产。", by=clerk)
        return case
    if step == "open_recheck":
        return services.case_open_recheck(case=case, content="申请人认为存款数据有误。",
                                          by=clerk)
    if step == "recheck_report":
        services.verification_record(case=case, monthly_income=Decimal("280.00"),
                                     conclusion="复查：存款为代管他人款项，予以更正。", by=verifier)
        return case
    if step == "propose":
        calculate(case, by=clerk)
        return services.case_propose_approval(case=case, by=clerk,
                                              opinion="符合条件，同意纳入保障。",
                                              **(override or {}))
    if step == "post":
        confirm_posting(case, by=clerk)
        return case
    if step == "object":
        services.objection_record(case=case, content="反映其子女有经营收入。", by=clerk,
                                  channel="phone")
        return case
    if step == "close_publicity":
        traveller.shift(dt.timedelta(days=8))
        return services.case_close_publicity(case=case, by=None)
    if step == "sign_off":
        return services.case_sign_off(case=case, by=leader)
    if step == "suspend":
        return services.case_suspend(case=case, by=leader, reason="外出务工，暂停发放。")
    if step == "terminate":
        return services.case_terminate(case=case, by=leader, reason="家庭人均收入已超过低保标准。")
    if step == "reject":
        return services.case_reject(case=case, by=leader, reason="家庭人均收入高于低保标准。")
    if step == "withdraw":
        return services.case_withdraw(case=case, by=clerk, note="申请人当面书面撤回。")
    if step == "give_aid":
        return services.case_give_aid(case=case, by=leader, amount=Decimal("2000.00"),
                                      reason="房屋失火，生活无着。")
    if step == "register":
        return services.case_register_emergency(case=case, by=leader, amount=Decimal("2000.00"),
                                                reason="房屋失火，生活无着。",
                                                paperwork_complete=True)
    if step == "appraise":
        return services.case_record_appraisal(
            case=case, by=clerk, held_on=today, place="村委会会议室", chair="张书记",
            participants=[{"name": f"代表{i}", "capacity": "村民代表"} for i in range(5)],
            votes_for=5, votes_against=0, votes_abstain=0,
            outcome=Appraisal.Outcome.SUPPORTED, recorder="李会计",
            scan=SimpleUploadedFile("评议记录.png", demo_image(), content_type="image/png"))
    raise ValueError(step)


def demo_image(color: tuple[int, int, int] = (230, 230, 220)) -> bytes:
    """A small plain PNG standing in for a photo or a scan in the demo."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(out, format="PNG")
    return out.getvalue()


def confirm_posting(case, *, by, posted_at: dt.datetime | None = None):
    """Confirm the case's board sheet posted now (or at `posted_at`), with a demo photo."""
    from publicity.models import BatchEntry
    from publicity.services import batch_confirm_posting

    entry = BatchEntry.objects.select_related("batch").get(case=case)
    return batch_confirm_posting(
        batch=entry.batch, by=by, posted_at=posted_at or timezone.now(), place="村委会公示栏",
        photo=SimpleUploadedFile("board.png", demo_image(), content_type="image/png"))
