"""Named conditions of the state machine, each with the Chinese message a user sees.

Each rule takes the case and returns True when the move may go ahead. `failed_rules()` lets a
service explain a refusal in words instead of a raw `TransitionNotAllowed`.

Most rules ask whether some rows exist (a verification report, a publicity objection …): they
are written as the queryset of those rows (`holds_if_rows`), so that a case page can answer
every rule of the moves it offers in one statement (`questions`, `cases.answers`) and the rules
then read nothing more.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from cases import answers

ADULT_AGE = 18


def rule(message: str, clause: str = "", *, from_input: bool = False,
         routing: bool = False, holds_if_rows: bool | None = None,
         where: tuple[str, str] | None = None) -> Callable:
    """Attach the refusal text.

    `from_input`: met by what the user types in the action's own form (a reason, an amount),
    so it must not hide the action's button. `routing`: chooses between two moves from the
    same state (publicity with or without objection); the move it rules out is not offered.
    `holds_if_rows`: the decorated function returns a queryset, and the rule holds when it has
    rows (True) or when it has none (False); `rule.rows(case)` is that queryset.
    `where`: (page title, URL name) of the page where what is missing is done, so a blocked
    move can link to it; the URL takes the case's id unless it takes no argument.
    """

    def wrap(fn: Callable) -> Callable:
        check = fn
        if holds_if_rows is not None:
            @functools.wraps(fn)
            def check(case) -> bool:
                return answers.exists(case, fn.__name__, lambda: fn(case)) == holds_if_rows

            check.rows = fn
        check.message = message
        check.clause = clause
        check.from_input = from_input
        check.routing = routing
        check.where = where
        return check

    return wrap


def questions(case, conditions: Iterable[Callable]) -> dict[str, QuerySet]:
    """The row questions behind `conditions`, by rule name, for `answers.annotations`."""
    return {c.__name__: c.rows(case) for c in conditions if hasattr(c, "rows")}


def adult_born_by(day: dt.date) -> dt.date:
    """The last birth date of someone aged `ADULT_AGE` on `day` (`Person.age_on`); a 29
    February birthday is reached on 1 March in other years."""
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:  # 29 February, 18 years before is not a leap year
        return day.replace(year=day.year - ADULT_AGE, day=28)


@rule("家庭中仍有成年成员未签署家庭经济状况核对授权书，不能受理（核对前置）。", "S2",
      holds_if_rows=False, where=("核对与授权", "case_materials"))
def authorizations_complete(case) -> QuerySet:
    """The current adult members (on the application day) with no authorization for the case
    (`Case.adults_without_authorization`)."""
    from cases.models import Membership, VerificationAuthorization
    from cases.workflow import AUTHORIZATION_KINDS

    if case.kind not in AUTHORIZATION_KINDS:
        return Membership.objects.none()
    rows = Membership.objects.filter(household_id=case.household_id, ended_on__isnull=True)
    if case.applied_at:
        rows = rows.filter(person__birth_date__lte=adult_born_by(case.applied_at.date()))
    return rows.exclude(Exists(VerificationAuthorization.objects.filter(
        case_id=case.pk, person_id=OuterRef("person_id"))))


@rule("申请人或家庭成员已有在办或在保的低保/特困案件（低保与特困不能同时享受，一户只能享受"
      "其一），不能重复申请。",
      holds_if_rows=False)
def applicant_not_already_covered(case) -> QuerySet:
    return case.conflicting_cases()


@rule("尚未录入家庭经济状况核对报告。", "S4", holds_if_rows=True,
      where=("核对与授权", "case_materials"))
def has_verification_report(case) -> QuerySet:
    return case.verification_reports.filter(is_recheck=False)


@rule("尚未录入复核报告。", "S5", holds_if_rows=True, where=("核对与授权", "case_materials"))
def has_recheck_report(case) -> QuerySet:
    """Recheck reports recorded since the last objection to the verification result
    (`Case.open_recheck_since`); none without such an objection."""
    opened = (case.objections.filter(kind="verification").order_by("-lodged_at")
              .values("lodged_at")[:1])
    return case.verification_reports.filter(is_recheck=True, recorded_at__gte=Subquery(opened))


@rule("尚未录入入户调查（须至少两名调查人员）。", "S4", holds_if_rows=True,
      where=("入户调查", "case_visits"))
def has_home_visit(case) -> QuerySet:
    """Home visits with a second investigator (`investigators` is a list of names)."""
    return case.home_visits.filter(investigators__1__isnull=False)


@rule("请先填写拟保障金额。", from_input=True)
def has_proposed_amount(case) -> bool:
    return case.proposed_amount is not None and case.proposed_amount > 0


@rule("公示单尚未确认张贴在村(社区)公示栏（须上传公示栏照片），公示期尚未开始。", "S6",
      holds_if_rows=True, where=("公示批次", "publicity_batch_list"))
def publicity_posted(case) -> QuerySet:
    """The confirmations, with a photo of the village board, that the case's sheet is posted
    (`publicity.services.batch_confirm_posting` writes one per case on the sheet). The period
    runs from the posting: without one, publicity cannot end and the case cannot be signed
    off."""
    return case.events.filter(action="publicity_posted")


@rule("7天公示期尚未结束。", "S6", holds_if_rows=True)
def publicity_over(case) -> QuerySet:
    """The latest publicity clock, if its due moment has passed."""
    from cases.models import Deadline

    latest = case.deadlines.filter(kind="publicity").order_by("-start_at").values("pk")[:1]
    return Deadline.objects.filter(pk=Subquery(latest), due_at__lte=timezone.now())


@rule("公示期间有人提出异议，须先组织民主评议。", "S10", routing=True, holds_if_rows=False)
def no_publicity_objection(case) -> QuerySet:
    return case.objections.filter(kind="publicity")


@rule("公示期间没有异议，无需民主评议。", "S10", routing=True, holds_if_rows=True)
def has_publicity_objection(case) -> QuerySet:
    return case.objections.filter(kind="publicity")


@rule("尚未录入民主评议记录。", "S10", holds_if_rows=True,
      where=("录入民主评议", "publicity_appraisal_new"))
def has_appraisal(case) -> QuerySet:
    return case.appraisals.all()


@rule("公示异议尚未经民主评议，不能审批。", "S10", holds_if_rows=False,
      where=("录入民主评议", "publicity_appraisal_new"))
def objections_appraised(case) -> QuerySet:
    """Publicity objections with no democratic appraisal recorded at or after them (none
    exactly when the last objection was appraised)."""
    from cases.models import Appraisal

    return case.objections.filter(kind="publicity").exclude(Exists(Appraisal.objects.filter(
        case_id=case.pk, recorded_at__gte=OuterRef("lodged_at"))))


@rule("民主评议未通过，不能审批同意；请作出不予批准决定并写明理由。", "S10", holds_if_rows=False)
def appraisal_supports(case) -> QuerySet:
    """The last democratic appraisal, if it did not support the application."""
    from cases.models import Appraisal

    last = case.appraisals.order_by("-recorded_at", "-pk").values("pk")[:1]
    return Appraisal.objects.filter(pk=Subquery(last)).exclude(outcome="supported")


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
