"""Verification services: agreements, queries, results, reports and assessments.

As in `cases.services`, each service is one transaction that locks the case, checks who may
act (`cases.verification.access` for verification data, with the refusal logged outside the
transaction so it is kept), writes, appends to the case trail and logs the look-up once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cases import permissions as perms
from cases import scoping
from cases.errors import CaseActionError
from cases.models import (
    Assessment,
    Case,
    ConfidentialityAgreement,
    EmergencyCause,
    Person,
    VerificationAuthorization,
    VerificationReport,
    VerificationRequest,
    VerificationResult,
    VerificationSource,
)
from cases.permissions import Role
from cases.trail import append_event
from cases.verification import access, selectors
from cases.verification import sources as adapters
from cases.verification.assessment import (
    AssessmentError,
    AssetFacts,
    CareLevel,
    Exclusion,
    IncomeLine,
    Inputs,
    MemberFact,
    assess,
)
from cases.verification.files import read_scan
from cases.workflow import CaseKind, CaseStatus

A = access.A
R = VerificationRequest.Status


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().select_related(
        "household", "township", "village", "applicant").get(pk=case.pk)


# --- Confidentiality agreements (S19) -------------------------------------------------------
@transaction.atomic
def agreement_record(*, user, signed_on: dt.date, valid_from: dt.date,
                     valid_to: dt.date | None, scan, by, note: str = ""
                     ) -> ConfidentialityAgreement:
    """File a verification officer's signed confidentiality agreement.

    Args:
        user: the verification officer.
        signed_on, valid_from, valid_to: the agreement's dates (`valid_to` None: open-ended).
        scan: the signed agreement (PDF, JPEG or PNG).
        by: district bureau staff or a system administrator.

    Returns:
        The agreement.
    """
    if not scoping.sees_whole_district(by):
        raise CaseActionError("forbidden", "只有区民政局工作人员才能备案核对保密协议。")
    if not scoping.has_role(user, Role.VERIFIER):
        raise CaseActionError("role", "只能为核对专员备案保密协议。")
    if valid_to is not None and valid_to < valid_from:
        raise CaseActionError("dates", "有效期截止日期不能早于起始日期。")
    if signed_on > timezone.localdate():
        raise CaseActionError("date", "签订日期不能晚于今天。")
    if scan is None:
        raise CaseActionError("scan", "请上传签字的保密协议扫描件。")
    content, sha = read_scan(scan, "保密协议扫描件")
    agreement = ConfidentialityAgreement(user=user, signed_on=signed_on, valid_from=valid_from,
                                         valid_to=valid_to, note=note, recorded_by=by,
                                         scan_sha256=sha)
    agreement.scan.save(content.name, content, save=False)
    agreement.save()
    scoping.forget()  # the agreement read in this request (access.holds_agreement)
    return agreement


@transaction.atomic
def agreement_revoke(*, agreement: ConfidentialityAgreement, by, reason: str
                     ) -> ConfidentialityAgreement:
    """End an agreement now (the officer left the post, or broke it)."""
    if not scoping.sees_whole_district(by):
        raise CaseActionError("forbidden", "只有区民政局工作人员才能撤销核对保密协议。")
    if not (reason or "").strip():
        raise CaseActionError("reason", "请填写撤销原因。")
    agreement.revoked_at = timezone.now()
    agreement.revoked_reason = reason.strip()[:200]
    agreement.save(update_fields=["revoked_at", "revoked_reason"])
    scoping.forget()  # the agreement read in this request (access.holds_agreement)
    return agreement


# --- Authorizations (S2) ----------------------------------------------------------------------
def authorization_for(case: Case, person: Person) -> VerificationAuthorization | None:
    """The authorization a query about `person` rests on: their own signed authorization
    with its scan; for a minor, an adult member's (the guardian signs for the child)."""
    auths = {a.person_id: a for a in case.authorizations.exclude(scan="").select_related("person")}
    if person.pk in auths:
        return auths[person.pk]
    day = timezone.localdate(case.applied_at)
    if person.age_on(day) < 18:
        adults = [p.pk for p in case.adult_members()]
        for pk in adults:
            if pk in auths:
                return auths[pk]
    return None


# --- Queries (S20) --------------------------------------------------------------------------
def _labels(codes: Iterable[str]) -> str:
    return "、".join(VerificationSource(c).label for c in codes)


def verification_query(*, case: Case, by, sources: Sequence[str], purpose: str,
                       persons: Sequence[Person] | None = None,
                       channel: str = adapters.PlatformFileSource.code,
                       ip: str | None = None) -> list[VerificationRequest]:
    """Send verification requests: each chosen member to each chosen data source.

    Args:
        case: a 低保/特困 case in verification or recheck.
        by: a verification officer of the case's township with a current agreement.
        sources: `VerificationSource` values.
        purpose: why (logged with the look-up).
        persons: members to query (default every current member).
        channel: the adapter (`cases.verification.sources.ADAPTERS`).
        ip: client address for the log.

    Returns:
        The requests created (answered at once by a synchronous adapter).

    Raises:
        CaseActionError: refused (logged), or a member's authorization scan is missing.
    """
    codes = list(dict.fromkeys(sources or []))
    if not codes or any(c not in VerificationSource.values for c in codes):
        raise CaseActionError("sources", "请选择要核对的项目。")
    purpose = (purpose or "").strip()
    if not purpose:
        raise CaseActionError("purpose", "请填写查询目的。")
    adapter = adapters.adapter(channel)
    access.check(case, by, A.QUERY, purpose=purpose, source=_labels(codes), ip=ip)
    with transaction.atomic():
        case = _lock(case)
        reason = access.refusal(case, by, A.QUERY)
        if reason:
            raise CaseActionError("confidential", reason)
        members = {m.person_id: m.person for m in case.household.current_members()}
        chosen = list(persons) if persons else list(members.values())
        for p in chosen:
            if p.pk not in members:
                raise CaseActionError("member", f"{p.name}不是该户在册成员。")
        missing = [p.name for p in chosen if authorization_for(case, p) is None]
        if missing:
            raise CaseActionError(
                "authorization",
                f"{'、'.join(missing)}的核对授权书扫描件尚未上传，不能发起核对查询（先授权后核对）。")
        pending = set(case.verification_requests.filter(status=R.PENDING)
                      .values_list("person_id", "source"))
        now = timezone.now()
        seq = case.verification_requests.count()
        created = []
        for p in chosen:
            auth = authorization_for(case, p)
            for code in codes:
                if (p.pk, code) in pending:
                    continue
                seq += 1
                created.append(VerificationRequest.objects.create(
                    number=f"{case.number}-HD{seq:03d}", case=case, person=p,
                    authorization=auth, source=code, channel=adapter.code, purpose=purpose,
                    requested_by=by, requested_at=now,
                ))
        if not created:
            raise CaseActionError("pending", "所选成员和项目均已有待反馈的核对请求。")
        answers = adapter.submit(created)
        for request in created:
            if request.pk in answers:
                store_records(request, answers[request.pk], at=now)
        append_event(case, "verification_requested", actor=by, payload={
            "requests": len(created), "sources": codes, "channel": adapter.code,
            "persons": [p.pk for p in chosen], "answered": len(answers),
        })
        access.log(by, A.QUERY, case=case, person=chosen[0] if len(chosen) == 1 else None,
                   purpose=purpose, source=_labels(codes),
                   detail=f"{len(created)}项请求；{len(chosen)}人；渠道：{adapter.label}", ip=ip)
    return created


def store_records(request: VerificationRequest, records, *, at: dt.datetime, batch=None
                  ) -> int:
    """Store a request's answer (inside the caller's transaction); the request is answered."""
    for rec in records:
        VerificationResult.objects.create(
            request=request, record_ref=rec.record_ref, found=rec.found,
            category=rec.category, income_type=rec.income_type,
            monthly_income=rec.monthly_income, asset_kind=rec.asset_kind,
            asset_value=rec.asset_value, quantity=rec.quantity, detail=rec.detail,
            data_date=rec.data_date, content_sha256=rec.content_key(), batch=batch,
            received_at=at,
        )
    if request.status != R.ANSWERED:
        request.status = R.ANSWERED
        request.answered_at = at
        request.save(update_fields=["status", "answered_at"])
    return len(records)


def verification_request_cancel(*, request: VerificationRequest, by, reason: str,
                                ip: str | None = None) -> VerificationRequest:
    """Cancel a request that will not be answered (so it can be sent again)."""
    if not (reason or "").strip():
        raise CaseActionError("reason", "请填写作废原因。")
    access.check(request.case, by, A.QUERY, purpose="作废核对请求",
                 source=request.get_source_display(), ip=ip)
    with transaction.atomic():
        case = _lock(request.case)
        request = VerificationRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != R.PENDING:
            raise CaseActionError("not_pending", "只能作废尚未反馈的核对请求。")
        request.status = R.CANCELLED
        request.save(update_fields=["status"])
        append_event(case, "verification_requested", actor=by, note=f"作废请求：{reason}",
                     payload={"cancelled": request.number})
        access.log(by, A.QUERY, case=case, person=request.person, purpose="作废核对请求",
                   source=request.get_source_display(), detail=reason[:200], ip=ip)
    return request


# --- Reports (S4, S5) -----------------------------------------------------------------------
def report_compile(*, case: Case, by, conclusion: str, ip: str | None = None
                   ) -> VerificationReport:
    """Compile the verification report (or, in a recheck, the next version) from the results.

    The report freezes every member's latest answer per source (`selectors.snapshot_for`),
    the monthly income found and an asset summary; `cases.services.verification_record`
    numbers the version and writes the trail.
    """
    if not (conclusion or "").strip():
        raise CaseActionError("conclusion", "请填写核对结论。")
    access.check(case, by, A.COMPILE, purpose="生成家庭经济状况核对报告", ip=ip)
    from cases import services

    with transaction.atomic():
        case = _lock(case)
        snapshot = selectors.snapshot_for(case)
        if not snapshot["answered"]:
            raise CaseActionError("no_results", "尚无已反馈的核对结果，不能生成核对报告。")
        report = services.verification_record(
            case=case, by=by, conclusion=conclusion,
            monthly_income=Decimal(snapshot["monthly_income"]),
            assets_note=selectors.assets_note(snapshot), snapshot=snapshot,
        )
        access.log(by, A.COMPILE, case=case, purpose="生成家庭经济状况核对报告",
                   source="全部已反馈项目", detail=f"第{report.version}版", ip=ip)
    return report


def snapshot_digest(snapshot: dict) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode("utf-8")).hexdigest()


# --- Assessment (BRIEF §3) ------------------------------------------------------------------
# APPROVED: an adjustment of a live entitlement rests on a new calculation (cases.proposal).
ASSESS_STATUSES = frozenset({CaseStatus.INVESTIGATING, CaseStatus.RECHECK,
                             CaseStatus.EMERGENCY_REPORTED, CaseStatus.AID_GIVEN,
                             CaseStatus.APPROVED})


def can_assess(case: Case, user) -> bool:
    """Clerks and leaders (who review) and verification officers of the township."""
    return perms.can_review(case, user) or perms.can_record_verification(case, user)


def latest_report(case: Case) -> VerificationReport | None:
    return case.verification_reports.order_by("-version", "-recorded_at").first()


def report_incomes(report: VerificationReport | None, members: dict[int, Person]
                   ) -> list[IncomeLine]:
    """The income lines a report gives the assessment, typed by the income table."""
    from cases.verification.standards import income_types

    if report is None:
        return []
    if report.basis != VerificationReport.Basis.RESULTS:
        return [IncomeLine(None, "全家", "report_total", "核对报告认定的家庭月收入", True,
                           report.monthly_income, f"核对报告第{report.version}版（人工录入）")]
    types = income_types()
    lines = []
    for row in report.snapshot.get("income_lines", []):
        t = types.get(row["type_code"])
        if t is None:
            raise AssessmentError(f"收入类别“{row['type_code']}”不在收入类别表中，"
                                  "请在管理后台补录后再计算。")
        lines.append(IncomeLine(row["person_id"], row["person"], t.code, t.name, t.counted,
                                Decimal(row["monthly"]),
                                f"核对报告第{report.version}版：{row['source']}"))
    return lines


def report_assets(report: VerificationReport | None) -> AssetFacts:
    if report is None or report.basis != VerificationReport.Basis.RESULTS:
        return AssetFacts()
    a = report.snapshot.get("assets", {})
    return AssetFacts(financial=Decimal(a.get("financial", "0")), homes=a.get("homes", 0),
                      commercial=a.get("commercial", 0), cars=a.get("cars", 0),
                      exempt_vehicles=a.get("exempt_vehicles", 0),
                      businesses=a.get("businesses", 0), state_paid=a.get("state_paid", 0))


def inputs_for_case(case: Case, *, on: dt.date, exclusions: dict[int, str] | None = None,
                    supported: dict[int, str] | None = None,
                    has_capable_supporter: bool | None = None,
                    covered_persons: int | None = None, assets: AssetFacts | None = None,
                    extra_incomes: Sequence[dict] = (), temp_cause: str = "",
                    temp_expense: Decimal | None = None,
                    report: VerificationReport | None = None) -> Inputs:
    """The assessment's inputs: the household from the register, the income and assets from
    the latest verification report, and what the reviewer adds (exclusions, care levels,
    incomes declared or seen at the home visit, corrected asset facts).

    `extra_incomes`: dicts with ``person`` (Person), ``type`` (IncomeType), ``monthly``
    (Decimal) and ``source`` (text).
    """
    exclusions = exclusions or {}
    supported = supported or {}
    members = {m.person_id: m.person for m in case.household.current_members()}
    facts = []
    for pk, p in members.items():
        exclusion = exclusions.get(pk, "")
        if exclusion and exclusion not in Exclusion.values:
            raise AssessmentError("不计入家庭人口的情形无效。")
        level = supported.get(pk, "")
        if level and level not in CareLevel.values:
            raise AssessmentError("生活自理能力评定无效。")
        facts.append(MemberFact(
            person_id=pk, name=p.name, age=p.age_on(on), exclusion=exclusion,
            disability_type=p.disability_type, disability_grade=p.disability_grade,
            supported=pk in supported, care_level=level,
        ))
    incomes = report_incomes(report, members)
    for row in extra_incomes:
        t = row["type"]
        person = row.get("person")
        incomes.append(IncomeLine(person.pk if person else None,
                                  person.name if person else "全家", t.code, t.name, t.counted,
                                  Decimal(row["monthly"]), row.get("source") or "申报"))
    return Inputs(
        kind=case.kind, area=case.household.hukou_type, on=on, members=tuple(facts),
        incomes=tuple(incomes), assets=assets if assets is not None else report_assets(report),
        covered_persons=covered_persons, has_capable_supporter=has_capable_supporter,
        temp_cause=temp_cause, temp_expense=temp_expense,
    )


def _inputs_json(inputs: Inputs, report, assets_from_report: AssetFacts) -> dict:
    from dataclasses import asdict

    from cases.verification.assessment import _jsonable

    data = _jsonable(asdict(inputs))
    data["report"] = {"id": report.pk, "version": report.version} if report else None
    data["assets_from_report"] = _jsonable(asdict(assets_from_report))
    return data


@transaction.atomic
def assessment_record(*, case: Case, by, on: dt.date | None = None, **params) -> Assessment:
    """Compute the means test and the amount for `case` and keep it (a new version).

    Args:
        case: the case under review (in verification or recheck; an emergency case before
            registration).
        by: a clerk, leader or verification officer of the township.
        on: the date whose standards apply (default today).
        **params: see `inputs_for_case`.

    Returns:
        The stored assessment, with every reason and calculation line.

    Raises:
        MissingStandard: a standard needed is not in effect on `on`.
        AssessmentError: the inputs cannot be assessed.
    """
    from cases.verification.relatives import require_no_conflict
    from cases.verification.standards import rules_for

    case = _lock(case)
    if not can_assess(case, by):
        raise CaseActionError("forbidden", "您没有在该镇街计算保障金额的权限。")
    require_no_conflict(case, by)
    if case.status not in ASSESS_STATUSES:
        raise CaseActionError("not_allowed",
                              f"案件当前状态为“{CaseStatus(case.status).label}”，不能计算保障金额。")
    on = on or timezone.localdate()
    report = latest_report(case) if case.kind in (CaseKind.DIBAO, CaseKind.TEKUN) else None
    if case.kind in (CaseKind.DIBAO, CaseKind.TEKUN) and report is None:
        raise CaseActionError("no_report", "尚未录入家庭经济状况核对报告，不能计算保障金额。")
    if params.get("temp_cause") and params["temp_cause"] not in EmergencyCause.values:
        raise AssessmentError("急难事由无效。")
    inputs = inputs_for_case(case, on=on, report=report, **params)
    rules = rules_for(case.kind, inputs.area, on,
                      care_levels=[m.care_level for m in inputs.members if m.supported])
    result = assess(inputs, rules)
    last = case.assessments.order_by("-version").first()
    assessment = Assessment.objects.create(
        case=case, version=(last.version + 1) if last else 1, on_date=on, report=report,
        inputs=_inputs_json(inputs, report, report_assets(report)), result=result.as_dict(),
        eligible=result.eligible, per_capita_income=result.per_capita_income,
        standard=result.standard, amount=result.amount,
        covered_persons=result.covered_persons, computed_by=by, computed_at=timezone.now(),
    )
    append_event(case, "assessment_recorded", actor=by, payload={
        "assessment": assessment.pk, "version": assessment.version,
        "eligible": result.eligible, "amount": result.amount,
    })
    return assessment
