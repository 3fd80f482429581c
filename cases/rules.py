"""Named conditions of the state machine, each with the Chinese message a user sees.

Each rule takes the case and returns True when the move may go ahead. `failed_rules()` lets a
service explain a refusal in words instead of a raw `TransitionNotAllowed`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone


def rule(message: str, clause: str = "", *, from_input: bool = False,
         routing: bool = False) -> Callable:
    """Attach the refusal text.

    `from_input`: met by what the user types in the action's own form (a reason, an amount),
    so it must not hide the action's button. `routing`: chooses between two moves from the
    same state (publicity with or without objection); the move it rules out is not offered.
    """

    def wrap(fn: Callable) -> Callable:
        fn.message = message
        fn.clause = clause
        fn.from_input = from_input
        fn.routing = routing
        return fn

    return wrap


@rule("家庭中仍有成年成员未签署家庭经济状况核对授权书，不能受理（核对前置）。", "S2")
def authorizations_complete(case) -> bool:
    from cases.workflow import AUTHORIZATION_KINDS

    if case.kind not in AUTHORIZATION_KINDS:
        return True
    return not case.adults_without_authorization()


@rule("申请人已有在办或在保的低保/特困案件（低保与特困不能同时享受），不能重复申请。")
def applicant_not_already_covered(case) -> bool:
    return not case.conflicting_cases().exists()


@rule("尚未录入家庭经济状况核对报告。", "S4")
def has_verification_report(case) -> bool:
    return case.verification_reports.filter(is_recheck=False).exists()


@rule("尚未录入复核报告。", "S5")
def has_recheck_report(case) -> bool:
    opened = case.open_recheck_since()
    if opened is None:
        return False
    return case.verification_reports.filter(is_recheck=True, recorded_at__gte=opened).exists()


@rule("尚未录入入户调查（须至少两名调查人员）。", "S4")
def has_home_visit(case) -> bool:
    return any(len(v.investigators) >= 2 for v in case.home_visits.all())


@rule("请先填写拟保障金额。", from_input=True)
def has_proposed_amount(case) -> bool:
    return case.proposed_amount is not None and case.proposed_amount > 0


@rule("7天公示期尚未结束。", "S6")
def publicity_over(case) -> bool:
    deadline = case.deadlines.filter(kind="publicity").order_by("-start_at").first()
    return deadline is not None and timezone.now() >= deadline.due_at


@rule("公示期间有人提出异议，须先组织民主评议。", "S10", routing=True)
def no_publicity_objection(case) -> bool:
    return not case.objections.filter(kind="publicity").exists()


@rule("公示期间没有异议，无需民主评议。", "S10", routing=True)
def has_publicity_objection(case) -> bool:
    return case.objections.filter(kind="publicity").exists()


@rule("尚未录入民主评议记录。", "S10")
def has_appraisal(case) -> bool:
    return case.appraisals.exists()


@rule("公示异议尚未经民主评议，不能审批。", "S10")
def objections_appraised(case) -> bool:
    last_objection = case.objections.filter(kind="publicity").order_by("-lodged_at").first()
    if last_objection is None:
        return True
    return case.appraisals.filter(recorded_at__gte=last_objection.lodged_at).exists()


@rule("民主评议未通过，不能审批同意；请作出不予批准决定并写明理由。", "S10")
def appraisal_supports(case) -> bool:
    last = case.appraisals.order_by("-recorded_at", "-pk").first()
    return last is None or last.outcome == "supported"


@rule("不予批准必须写明理由。", "S8", from_input=True)
def has_rejection_reason(case) -> bool:
    return bool((case.decision_reason or "").strip())


@rule("只有低保和特困供养案件有保障金调整、暂停和终止。")
def is_entitlement(case) -> bool:
    from cases.workflow import ENTITLEMENT_KINDS

    return case.kind in ENTITLEMENT_KINDS


@rule("请填写先行救助金额。", "S11", from_input=True)
def has_aid_amount(case) -> bool:
    return case.aid_amount is not None and case.aid_amount > 0


@rule("请完整登记救助对象、救助事由、救助金额，并确认经办人签字、盖章手续已补齐。", "S11",
      from_input=True)
def registration_complete(case) -> bool:
    return bool(
        case.aid_amount and (case.aid_reason or "").strip() and case.paperwork_complete
    )


def failed_rules(case, conditions) -> list[str]:
    """Messages of the conditions that do not hold, in declaration order."""
    return [c.message for c in conditions if not c(case)]
