"""The calculation binds the amount: what a proposal or an adjustment may rest on.

A proposal to approve (`services.case_propose_approval`) and an adjustment of a live
entitlement (`services.case_adjust`) take their amount and persons covered from the case's
latest means test (保障金额计算, `cases.models.Assessment`), which must have been made after
the latest verification report and home visit: a calculation older than the evidence is stale
and cannot be used. A different amount or number of persons, or approving a household the
calculation finds ineligible, is an *override*: it needs a written reason, is written on the
trail with the calculated and the proposed figures, and the case carries the flag
(`Case.amount_overridden`) wherever it appears afterwards; batch sign-off skips it.

Written once here and called by the services, so the case page, the JSON API, the admin and
the tasks all meet the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cases.errors import CaseActionError
from cases.models import Assessment, Case
from cases.trail import append_event
from cases.workflow import CaseKind

NO_CALCULATION = ("尚未进行保障金额计算。拟保障金额和保障人数以保障金额计算的结果为准，"
                  "请先在“保障金额计算”页面计算。")
BATCH_REFUSED = ("该案件的拟保障金额与保障金额计算结果不一致（已写明理由），"
                 "不能批量审批，请进入案件页面逐件审阅后审批。")


@dataclass(frozen=True)
class Binding:
    """What a proposal or adjustment rests on."""

    assessment: Assessment
    amount: Decimal
    covered_persons: int | None
    overridden: bool
    reason: str


def _cn_time(value) -> str:
    from django.utils import timezone

    t = timezone.localtime(value)
    return f"{t.year}年{t.month}月{t.day}日{t:%H:%M}"


def latest_calculation(case: Case) -> Assessment | None:
    """The case's latest calculation, read with the latest evidence it must not be older than
    (one statement: the case page asks it beside its other questions)."""
    from django.db.models import OuterRef, Subquery

    from cases.models import HomeVisit, VerificationReport

    reports = VerificationReport.objects.filter(case_id=OuterRef("case_id")).order_by(
        "-version", "-recorded_at")
    visits = HomeVisit.objects.filter(case_id=OuterRef("case_id")).order_by(
        "-recorded_at", "-pk")
    return (case.assessments.order_by("-version")
            .annotate(latest_report_id=Subquery(reports.values("pk")[:1]),
                      latest_report_version=Subquery(reports.values("version")[:1]),
                      latest_report_at=Subquery(reports.values("recorded_at")[:1]),
                      latest_visit_at=Subquery(visits.values("recorded_at")[:1]))
            .first())


def stale_because(case: Case, assessment: Assessment) -> str:
    """Why `assessment` (from `latest_calculation`) is older than the case's evidence ('' when
    it is current).

    Current means: made at or after the latest verification (or recheck) report and the latest
    home visit were recorded, and (低保, 特困) computed from that latest report.
    """
    report_at = assessment.latest_report_at
    if report_at is not None:
        if assessment.computed_at < report_at:
            return (f"核对报告第{assessment.latest_report_version}版录入于{_cn_time(report_at)}，"
                    "晚于这次计算")
        if case.kind in (CaseKind.DIBAO, CaseKind.TEKUN) and \
                assessment.report_id != assessment.latest_report_id:
            return f"这次计算不是依据最新的核对报告第{assessment.latest_report_version}版"
    visit_at = assessment.latest_visit_at
    if visit_at is not None and assessment.computed_at < visit_at:
        return f"入户调查录入于{_cn_time(visit_at)}，晚于这次计算"
    return ""


def current_calculation(case: Case) -> Assessment:
    """The case's latest calculation, if it is not older than the evidence.

    Raises:
        CaseActionError: there is none, or it is stale (Chinese message).
    """
    latest = latest_calculation(case)
    if latest is None:
        raise CaseActionError("no_calculation", NO_CALCULATION)
    why = stale_because(case, latest)
    if why:
        raise CaseActionError(
            "stale_calculation",
            f"保障金额计算（第{latest.version}版，{_cn_time(latest.computed_at)}）已过时：{why}。"
            "请重新计算保障金额后再办理。")
    return latest


def _failed_reasons(assessment: Assessment) -> str:
    return "；".join(r["text"].rstrip("。") for r in assessment.result.get("reasons", [])
                    if not r["passed"])


def bind(case: Case, *, amount: Decimal | None, covered_persons: int | None,
         override_reason: str = "") -> Binding:
    """The amount and persons of a proposal or adjustment, checked against the calculation.

    Args:
        case: the locked case.
        amount: the amount typed, or None for the calculation's.
        covered_persons: the persons typed, or None for the calculation's.
        override_reason: why the figures depart from the calculation (required when they do).

    Raises:
        CaseActionError: no current calculation; an ineligible calculation with no amount; an
            override with no reason (nothing is saved).
    """
    assessment = current_calculation(case)
    calc_persons = assessment.covered_persons
    reason = (override_reason or "").strip()
    if amount is None:
        if not assessment.eligible:
            raise CaseActionError(
                "ineligible",
                f"保障金额计算（第{assessment.version}版）的结果为不符合条件："
                f"{_failed_reasons(assessment)}。如仍拟同意，须填写拟保障金额并写明与计算结果"
                "不一致的理由。")
        amount = assessment.amount
    amount = Decimal(amount)
    if amount <= 0:
        raise CaseActionError("amount", "保障金额必须大于零。")
    persons = covered_persons if covered_persons is not None else (
        calc_persons or assessment.result.get("counted_members"))
    overridden = (not assessment.eligible or amount != assessment.amount
                  or persons != calc_persons)
    if overridden and not reason:
        if not assessment.eligible:
            message = (f"保障金额计算（第{assessment.version}版）的结果为不符合条件："
                       f"{_failed_reasons(assessment)}。拟同意须写明理由。")
        else:
            message = (f"拟保障金额{amount:.2f}元、保障人数{persons}人与保障金额计算"
                       f"（第{assessment.version}版）的结果{assessment.amount:.2f}元、"
                       f"{calc_persons}人不一致，须写明理由。")
        raise CaseActionError("override_reason", message)
    return Binding(assessment, amount, persons, overridden, reason if overridden else "")


def apply(case: Case, binding: Binding) -> None:
    """Put the binding on the case (not saved: the transition saves it)."""
    case.assessment = binding.assessment
    case.covered_persons = binding.covered_persons
    case.amount_overridden = binding.overridden
    case.override_reason = binding.reason


def record_override(case: Case, binding: Binding, *, by, action: str) -> None:
    """Write an override on the trail with the calculated and the proposed figures."""
    if not binding.overridden:
        return
    a = binding.assessment
    append_event(case, "amount_override", actor=by, note=binding.reason, payload={
        "for": action, "assessment": a.pk, "version": a.version, "eligible": a.eligible,
        "calculated_amount": a.amount, "calculated_persons": a.covered_persons,
        "proposed_amount": binding.amount, "proposed_persons": binding.covered_persons,
        "reason": binding.reason,
    })
