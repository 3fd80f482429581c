"""Case services: one function per action, the only way a case changes.

Each service runs in one database transaction: lock the case row → check role and place →
check the legal conditions (with the Chinese reason when one fails) → transition → save →
trail event → settle or start clocks → issue documents. Either all of it commits or none.
Views, the admin, Celery tasks and commands call these; never the model's transition methods.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from cases import permissions as perms
from cases import rules
from cases.calendar import fmt_date
from cases.deadlines import PublicityPeriod, publicity_period
from cases.errors import CaseActionError
from cases.incomes import declared_incomes_record
from cases.models import (
    Appraisal,
    Case,
    CaseNumberCounter,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    DeadlineUnit,
    HomeVisit,
    Household,
    Membership,
    Objection,
    Person,
    VerificationAuthorization,
    VerificationReport,
)
from cases.trail import append_event
from cases.workflow import (
    AUTHORIZATION_KINDS,
    ENTITLEMENT_KINDS,
    KIND_CODES,
    TWENTY_DAY_KINDS,
    CaseKind,
    CaseStatus,
)
from documents.kinds import DocumentKind

FORBIDDEN_MESSAGE = "您没有在该镇街执行此操作的权限。"


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    # Lock the case row only: the joined township, village and household rows stay free, so
    # actions on different cases of one township never wait for each other.
    return Case.objects.select_for_update(of=("self",)).select_related(
        "household", "township", "village", "applicant").get(pk=pk)


def _lock_households(case: Case) -> None:
    """Lock the household rows of a move that checks the one-benefit rule, then its applicant.

    Two clerks accepting a 低保 and a 特困 application of one household at the same moment
    would each read the other case as not yet accepted, and both moves would go through. With
    the household row locked, the second waits for the first to commit and then reads it.
    The order is always the same, so two moves never wait on each other: the case row
    (`_lock`), then the household rows in id order (the case's and, if the applicant has moved,
    the applicant's current one), then the applicant's person row, which `household_save`
    also locks when it moves that person into another household.
    """
    ids = {case.household_id}
    ids.update(Membership.objects.filter(person_id=case.applicant_id, ended_on__isnull=True)
               .values_list("household_id", flat=True))
    list(Household.objects.select_for_update().filter(pk__in=ids).order_by("pk")
         .values_list("pk", flat=True))
    list(Person.objects.select_for_update().filter(pk=case.applicant_id)
         .values_list("pk", flat=True))


def _require(allowed: bool, message: str = FORBIDDEN_MESSAGE) -> None:
    if not allowed:
        raise CaseActionError("forbidden", message)


def _refuse_relative_conflict(case: Case, by) -> None:
    """回避: staff never handle or sign off the case of a close relative they declared."""
    from cases.verification.relatives import require_no_conflict

    require_no_conflict(case, by)


def _state_label(value: str) -> str:
    return CaseStatus(value).label


def available_actions(case: Case, user) -> list[dict]:
    """The moves this user may make from the case's state (for buttons).

    Role, township and state decide whether a move is listed; conditions met by the action's
    own form (a reason, an amount) never hide it, and the other unmet conditions are listed
    as `blocked_by` so the page can say what is still missing (`missing_steps`: each with
    the page where it is done, `where`, when there is one).
    """
    result = []
    from cases.verification.relatives import conflict_message

    conflict = conflict_message(case, user)
    for t in case.get_all_status_transitions():
        if t.source not in (case.status, "*") or not t.has_perm(case, user):
            continue
        if any(getattr(c, "routing", False) and not c(case) for c in t.conditions):
            continue
        failing = [c for c in t.conditions if not getattr(c, "from_input", False) and not c(case)]
        steps = [{"message": c.message, "where": getattr(c, "where", None)} for c in failing]
        if conflict:
            steps.insert(0, {"message": conflict, "where": None})
        result.append({"name": t.name, "label": t.custom.get("label", t.name),
                       "clauses": t.custom.get("clauses", []),
                       "blocked_by": [s["message"] for s in steps], "missing_steps": steps})
    return result


def _check_move(case: Case, name: str, by, *, conditions: bool = False):
    """Refuse move `name` from the case's state, or by a user without the role and place;
    with `conditions`, also when a condition not met by the action's own input fails."""
    method = getattr(case, name)
    meta = method._django_fsm
    label = None
    for t in meta.transitions.values():
        label = t.custom.get("label", name)
        break
    tr = meta.get_transition(case.status)
    if tr is None:
        raise CaseActionError(
            "not_allowed",
            f"案件当前状态为“{_state_label(case.status)}”，不能执行“{label}”。",
        )
    if not meta.has_transition_perm(case, case.status, by):
        raise CaseActionError("forbidden", FORBIDDEN_MESSAGE)
    if conditions:
        failed = rules.failed_rules(case, [c for c in tr.conditions if not c.from_input])
        if failed:
            raise CaseActionError("condition", "；".join(failed))
    return tr


def _transition(case: Case, name: str, by, *, action: str | None = None, note: str = "",
                payload: dict | None = None) -> tuple[Case, str]:
    """Check and perform transition `name` on a locked case, save it and write the event."""
    method = getattr(case, name)
    tr = _check_move(case, name, by)
    _refuse_relative_conflict(case, by)
    if rules.applicant_not_already_covered in tr.conditions:
        _lock_households(case)
    failed = rules.failed_rules(case, tr.conditions)
    if failed:
        raise CaseActionError("condition", "；".join(failed))
    source = case.status
    method()
    try:
        case.save()
    except ConcurrentTransition as exc:
        raise CaseActionError("concurrent", "该案件刚刚已被他人处理，请刷新页面后查看。") from exc
    append_event(case, action or name, actor=by, from_status=source, to_status=case.status,
                 note=note, payload=payload or {})
    return case, source


# --- Clocks ---------------------------------------------------------------------------------

def refresh_next_due(case: Case) -> None:
    """Write `case.next_due_at`, the nearest due moment of its open clocks (None if none), in
    the caller's transaction; every change of a clock calls it (the case list is ordered by
    it)."""
    from django.db.models import Min

    nearest = (Deadline.objects.filter(case_id=case.pk, status=DeadlineStatus.OPEN)
               .aggregate(m=Min("due_at"))["m"])
    Case.objects.filter(pk=case.pk).update(next_due_at=nearest)
    case.next_due_at = nearest


def _start_clock(case: Case, kind: str, unit: str, amount: int, clause: str,
                 start_at: dt.datetime) -> Deadline:
    from cases.deadlines import compute_due

    due = compute_due(unit, amount, start_at)
    deadline = Deadline.objects.create(
        case=case, kind=kind, clause=clause, unit=unit, amount=amount, start_at=start_at,
        due_at=due.due_at, calendar_confirmed=due.confirmed, explanation=due.explanation,
    )
    append_event(case, "deadline_started", payload={
        "kind": kind, "clause": clause, "unit": unit, "amount": amount,
        "start_at": start_at, "due_at": deadline.due_at, "confirmed": due.confirmed,
    })
    refresh_next_due(case)
    return deadline


def _settle_clocks(case: Case, kinds: Iterable[str], *, at: dt.datetime | None = None,
                   cancel: bool = False) -> None:
    at = at or timezone.now()
    settled = False
    for deadline in case.deadlines.filter(kind__in=list(kinds),
                                          status__in=[DeadlineStatus.OPEN,
                                                      DeadlineStatus.PAUSED]):
        if cancel:
            deadline.status = DeadlineStatus.CANCELLED
        elif (deadline.kind == DeadlineKind.PUBLICITY or deadline.status == DeadlineStatus.PAUSED
              or at <= deadline.due_at):
            # A publicity period is not a task that can be late: it ends, then is closed.
            deadline.status = DeadlineStatus.MET
        else:
            deadline.status = DeadlineStatus.MET_LATE
        deadline.settled_at = at
        deadline.save(update_fields=["status", "settled_at"])
        append_event(case, "deadline_settled", payload={
            "kind": deadline.kind, "status": deadline.status, "due_at": deadline.due_at,
        })
        settled = True
    if settled:
        refresh_next_due(case)


def _pause_decision_clock(case: Case, at: dt.datetime) -> None:
    from cases.calendar import count_workdays

    for deadline in case.deadlines.filter(kind=DeadlineKind.DECISION,
                                          status=DeadlineStatus.OPEN):
        today = timezone.localdate(at)
        due_day = timezone.localdate(deadline.due_at)
        remaining = (count_workdays(today, due_day, provisional=True)
                     if due_day > today else 0)
        deadline.status = DeadlineStatus.PAUSED
        deadline.paused_at = at
        deadline.remaining = remaining
        deadline.save(update_fields=["status", "paused_at", "remaining"])
        append_event(case, "deadline_paused", payload={
            "kind": deadline.kind, "remaining_workdays": remaining,
            "reason": "审批公示期间暂停计时",
        })
    refresh_next_due(case)


def _resume_decision_clock(case: Case, at: dt.datetime) -> None:
    from cases.deadlines import compute_due

    for deadline in case.deadlines.filter(kind=DeadlineKind.DECISION,
                                          status=DeadlineStatus.PAUSED):
        due = compute_due(DeadlineUnit.WORKDAY, deadline.remaining or 0, at)
        explanation = dict(deadline.explanation or {})
        explanation.setdefault("due_if_publicity_counted", deadline.due_at.isoformat())
        explanation["resumed"] = {"at": at.isoformat(), "remaining_workdays": deadline.remaining,
                                  "paused_at": deadline.paused_at.isoformat()
                                  if deadline.paused_at else None,
                                  "then": due.explanation}
        deadline.status = DeadlineStatus.OPEN
        deadline.due_at = due.due_at
        # A new due moment is a new clock for the reminders.
        deadline.at_risk_at = deadline.breached_at = deadline.escalated_at = None
        deadline.calendar_confirmed = deadline.calendar_confirmed and due.confirmed
        deadline.explanation = explanation
        deadline.save(update_fields=["status", "due_at", "calendar_confirmed", "explanation",
                                     "at_risk_at", "breached_at", "escalated_at"])
        append_event(case, "deadline_resumed", payload={
            "kind": deadline.kind, "due_at": deadline.due_at,
        })
    refresh_next_due(case)


# --- Creating a case -------------------------------------------------------------------------

def _next_number(township, kind: str, year: int) -> str:
    counter, _ = CaseNumberCounter.objects.get_or_create(township=township, year=year,
                                                         kind=kind)
    counter = CaseNumberCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{township.code}-{year}-{KIND_CODES[CaseKind(kind)]}-{counter.last:05d}"


@transaction.atomic
def case_create(*, household: Household, applicant: Person, kind: str, by,
                hardship: str = "", applied_at: dt.datetime | None = None,
                declared_incomes: Mapping[Person, object] | None = None) -> Case:
    """Register an application (or, for 急难型, an emergency report, S11).

    Args:
        household: the applicant's household; it fixes the village and the approving
            township (S1).
        applicant: a current member of the household.
        kind: a `CaseKind` value.
        by: the window clerk (or leader, for an emergency report).
        hardship: the stated hardship / reason.
        declared_incomes: member → declared monthly income (None: 未申报), recorded with the
            case by `incomes.declared_incomes_record`; a refused amount refuses the case.

    Returns:
        The new case, in state 已接收申请 or 急难求助已报告.
    """
    from cases import scoping
    from cases.permissions import Role

    household = Household.objects.select_related("village__township").get(pk=household.pk)
    township = household.village.township
    kind = CaseKind(kind)
    allowed_roles = (Role.CLERK, Role.LEADER) if kind == CaseKind.TEMP_EMERGENCY else (
        Role.CLERK,)
    _require(scoping.has_role(by, *allowed_roles)
             and scoping.works_in_township(by, township.pk),
             "您不是该镇街的窗口受理人员，不能登记申请。")
    if not household.memberships.filter(person=applicant, ended_on__isnull=True).exists():
        raise CaseActionError("applicant", "申请人必须是该家庭的在册成员。")
    now = timezone.now()
    applied_at = applied_at or now
    number = _next_number(township, kind, timezone.localdate(applied_at).year)
    emergency = kind == CaseKind.TEMP_EMERGENCY
    case = Case(
        number=number, kind=kind, household=household, applicant=applicant,
        township=township, village=household.village, hardship=hardship,
        applied_at=applied_at, created_by=by,
        status=CaseStatus.EMERGENCY_REPORTED if emergency else CaseStatus.RECEIVED,
        reported_at=applied_at if emergency else None,
    )
    _refuse_relative_conflict(case, by)
    if kind in (CaseKind.DIBAO, CaseKind.TEKUN) and case.conflicting_cases().exists():
        raise CaseActionError("covered", rules.applicant_not_already_covered.message)
    case.save()
    append_event(case, "created", actor=by, to_status=case.status, payload={
        "number": number, "kind": kind.value, "household": household.pk,
        "applicant": applicant.pk, "township": township.code,
    })
    if declared_incomes is not None:
        declared_incomes_record(case=case, incomes=declared_incomes, by=by)
    if emergency:
        _start_clock(case, DeadlineKind.EMERGENCY_AID, DeadlineUnit.HOUR,
                     settings.EMERGENCY_AID_HOURS, "S11", applied_at)
    return case


# --- Evidence --------------------------------------------------------------------------------

@transaction.atomic
def authorization_record(*, case: Case, person: Person, signed_on: dt.date, by,
                         scan=None) -> VerificationAuthorization:
    """Record an adult member's signed verification authorization (核对前置, S2).

    `scan` is the signed form (PDF, JPEG or PNG), kept with its SHA-256; no verification query
    runs on a member without it. Recording the authorization again with a scan attaches the
    scan to an authorization recorded without one; a scan on file is never replaced.
    """
    from cases.verification.files import read_scan

    case = _lock(case)
    _require(perms.can_record_authorization(case, by))
    _refuse_relative_conflict(case, by)
    if case.status not in (CaseStatus.RECEIVED, CaseStatus.INVESTIGATING, CaseStatus.RECHECK):
        raise CaseActionError("not_allowed", "案件已进入后续环节，不能再补录核对授权书。")
    if case.kind not in AUTHORIZATION_KINDS:
        raise CaseActionError("not_needed", "该救助类别不需要核对授权书。")
    if not case.household.memberships.filter(person=person, ended_on__isnull=True).exists():
        raise CaseActionError("member", "授权人必须是该家庭的在册成员。")
    if signed_on > timezone.localdate():
        raise CaseActionError("date", "签署日期不能晚于今天。")
    content, sha = read_scan(scan, "授权书扫描件") if scan else (None, "")
    auth = VerificationAuthorization.objects.filter(case=case, person=person).first()
    if auth is None:
        auth = VerificationAuthorization(case=case, person=person, signed_on=signed_on,
                                         recorded_by=by)
        if content is not None:
            auth.scan.save(content.name, content, save=False)
            auth.scan_sha256, auth.scan_uploaded_at = sha, timezone.now()
        auth.save()
        append_event(case, "authorization_recorded", actor=by, payload={
            "person": person.pk, "signed_on": signed_on, "scan_sha256": sha,
        })
    elif content is not None:
        if auth.scan:
            raise CaseActionError("scan_on_file", f"{person.name}的授权书扫描件已上传，不能替换。")
        auth.scan.save(content.name, content, save=False)
        auth.scan_sha256, auth.scan_uploaded_at = sha, timezone.now()
        auth.save(update_fields=["scan", "scan_sha256", "scan_uploaded_at"])
        append_event(case, "authorization_scan_attached", actor=by, payload={
            "person": person.pk, "scan_sha256": sha,
        })
    return auth


@transaction.atomic
def verification_record(*, case: Case, monthly_income: Decimal, conclusion: str, by,
                        assets_note: str = "", snapshot: dict | None = None
                        ) -> VerificationReport:
    """Record the household economic-status verification result (S4), or the recheck (S5).

    Only a verification officer of the case's township with a confidentiality agreement valid
    today may record it (S19). Each report is the case's next version and points at the one
    before, so a recheck report is a new version of the verification report. `snapshot`: the
    data sources' results the report was compiled from
    (`cases.verification.services.report_compile`), kept with its SHA-256; without it the
    report is a manually entered conclusion.
    """
    from cases import scoping
    from cases.permissions import Role
    from cases.verification.access import current_agreement
    from cases.verification.services import snapshot_digest

    case = _lock(case)
    if not perms.can_record_verification(case, by):
        _require(not scoping.has_role(by, Role.VERIFIER) or current_agreement(by) is not None,
                 "您没有在有效期内的核对保密协议，不能录入核对结果。"
                 "请先签订保密协议并由区民政局录入备案。")
        _require(False, "只有本镇街指定的核对专员才能录入核对结果。")
    _refuse_relative_conflict(case, by)
    if case.status not in (CaseStatus.INVESTIGATING, CaseStatus.RECHECK):
        raise CaseActionError("not_allowed",
                              f"案件当前状态为“{_state_label(case.status)}”，不能录入核对结果。")
    if not conclusion.strip():
        raise CaseActionError("conclusion", "请填写核对结论。")
    if monthly_income is None or Decimal(monthly_income) < 0:
        raise CaseActionError("income", "家庭月收入不能为负数。")
    previous = case.verification_reports.order_by("-version", "-recorded_at").first()
    report = VerificationReport.objects.create(
        case=case, is_recheck=case.status == CaseStatus.RECHECK,
        monthly_income=Decimal(monthly_income), assets_note=assets_note,
        conclusion=conclusion, recorded_by=by, recorded_at=timezone.now(),
        version=(previous.version + 1) if previous else 1, previous=previous,
        basis=VerificationReport.Basis.RESULTS if snapshot else VerificationReport.Basis.MANUAL,
        snapshot=snapshot or {}, snapshot_sha256=snapshot_digest(snapshot) if snapshot else "",
    )
    append_event(case, "recheck_report_recorded" if report.is_recheck
                 else "verification_recorded", actor=by,
                 payload={"report": report.pk, "monthly_income": report.monthly_income,
                          "version": report.version, "basis": report.basis,
                          "snapshot_sha256": report.snapshot_sha256})
    if not report.is_recheck:  # a recheck is issued as 复核报告 when the recheck completes
        _issue(case, DocumentKind.VERIFICATION_REPORT, by, extra={"report_id": report.pk})
    return report


def home_visit_period(case: Case) -> tuple[dt.date | None, dt.date]:
    """The first and last day a home visit of `case` may be dated (S4), both included: the
    day of the acceptance and today, as dates in the offices' time zone (Asia/Shanghai).

    A visit dated before the acceptance belongs to no application of this case (one dated
    2015-01-01 was once counted as the 入户调查 of a case accepted in 2026-11), and one
    dated in the future has not happened. A case in investigation was accepted through
    `case_accept`, which sets `accepted_at`; the application time stands in if it is missing.
    The phone page sets its date picker's bounds from it; `home_visit_record` enforces it.
    """
    accepted = case.accepted_at or case.applied_at
    return (timezone.localdate(accepted) if accepted else None), timezone.localdate()


def _check_visit_date(case: Case, visited_on: dt.date) -> None:
    """Refuse a visit date outside `home_visit_period`."""
    from cases.calendar import fmt_date

    first, last = home_visit_period(case)
    if visited_on > last:
        raise CaseActionError("date", "调查日期不能晚于今天。")
    if first is not None and visited_on < first:
        raise CaseActionError(
            "date", f"调查日期不能早于案件受理日期（{fmt_date(first)}）：入户调查须在受理后"
                    f"进行，受理前的走访不能作为本案的入户调查。")


@transaction.atomic
def home_visit_record(*, case: Case, visited_on: dt.date, investigators: list[str],
                      findings: str = "", by, members_present: Iterable[int] = (),
                      housing_type: str = "", housing_area: Decimal | None = None,
                      housing_condition: str = "", durable_goods: str = "",
                      vehicles: str = "", member_conditions: Iterable[dict] = (),
                      income_sources: str = "", recommendation: str = "",
                      conclusion: str = "", photos: Iterable = (),
                      client_id: uuid.UUID | None = None,
                      seen_visit: int | None = None) -> HomeVisit:
    """Record a 入户调查 (S4): at least two investigators, and what they saw.

    Args:
        visited_on: the day of the visit, from the day of the acceptance to today
            (`_check_visit_date`).
        members_present: pks of the household members present.
        member_conditions: per member ``{"person": pk, "health": …, "labour": …,
            "note": …}`` (HealthStatus / LabourCapacity values) as observed.
        recommendation: a `HomeVisit.Recommendation` value; `conclusion` its reasons.
        photos: uploaded images; each is checked, re-encoded and kept with its hash.
        findings: a free summary; composed from the fields above when left blank.
        client_id: the id a phone gave a visit it kept while offline. A second send with
            the same id (the answer to the first was lost) is refused with the code
            ``already_received`` and records nothing, so one visit is never stored twice.
        seen_visit: the newest visit of the case (its pk, 0 for none) when the form was
            opened. A visit recorded since then means two people wrote up the same house —
            a phone that kept its visit offline for hours, or two visits queued for one
            case — so this one is refused with the code ``visited_since`` for the person
            to compare, instead of silently adding a second account of the household.
    """
    from cases.models import HealthStatus, HomeVisitPhoto, LabourCapacity
    from cases.verification.files import process_photo

    case = _lock(case)
    _require(perms.can_record_home_visit(case, by))
    if client_id is not None and case.home_visits.filter(client_id=client_id).exists():
        raise CaseActionError("already_received", "该条入户调查已上传，无需重复上传。")
    _refuse_relative_conflict(case, by)
    if case.status not in (CaseStatus.INVESTIGATING, CaseStatus.RECHECK):
        raise CaseActionError("not_allowed",
                              f"案件当前状态为“{_state_label(case.status)}”，不能录入入户调查。")
    if seen_visit is not None:
        newer = case.home_visits.filter(pk__gt=seen_visit).order_by("-pk").first()
        if newer is not None:
            raise CaseActionError(
                "visited_since",
                f"该案件在本条填写后已录入入户调查（{fmt_date(newer.visited_on)}，"
                f"{'、'.join(newer.investigators)}），本条未保存。请核对后删除本条。")
    names = [n.strip() for n in investigators if n and n.strip()]
    if len(set(names)) < 2:
        raise CaseActionError("investigators",
                              "入户调查须由至少两名调查人员进行，请填写两人以上姓名。")
    _check_visit_date(case, visited_on)
    members = {m.person_id: m.person for m in case.household.current_members()}
    requested = list(dict.fromkeys(members_present))
    present = [pk for pk in requested if pk in members]
    if len(present) != len(requested):
        raise CaseActionError("members", "在场人员须是该户在册成员。")
    conditions = []
    for row in member_conditions:
        if row.get("person") not in members or row.get("health", "") not in \
                ("", *HealthStatus.values) or row.get("labour", "") not in \
                ("", *LabourCapacity.values):
            raise CaseActionError("conditions", "成员健康与劳动能力填写有误。")
        conditions.append({"person": row["person"], "name": members[row["person"]].name,
                           "health": row.get("health", ""), "labour": row.get("labour", ""),
                           "note": (row.get("note") or "")[:100]})
    if housing_type and housing_type not in HomeVisit.Housing.values:
        raise CaseActionError("housing", "住房类型无效。")
    if recommendation and recommendation not in HomeVisit.Recommendation.values:
        raise CaseActionError("recommendation", "调查意见无效。")
    if not (findings or "").strip():
        parts = [f"在场：{'、'.join(members[pk].name for pk in present)}" if present else "",
                 f"住房：{HomeVisit.Housing(housing_type).label}" if housing_type else "",
                 housing_condition, income_sources and f"收入来源：{income_sources}",
                 conclusion]
        findings = "；".join(p for p in parts if p)
    if not findings.strip():
        raise CaseActionError("findings", "请填写调查情况或调查结论。")
    photo_files = [process_photo(f, i) for i, f in enumerate(photos, 1)]
    visit = HomeVisit.objects.create(
        case=case, visited_on=visited_on, investigators=names, findings=findings,
        recorded_by=by, members_present=present, housing_type=housing_type,
        housing_area=housing_area, housing_condition=housing_condition,
        durable_goods=durable_goods, vehicles=vehicles, member_conditions=conditions,
        income_sources=income_sources, recommendation=recommendation, conclusion=conclusion,
        client_id=client_id)
    for content, sha, width, height in photo_files:
        photo = HomeVisitPhoto(visit=visit, sha256=sha, width=width, height=height,
                               uploaded_by=by)
        photo.image.save(content.name, content, save=False)
        photo.save()
    append_event(case, "home_visit_recorded", actor=by,
                 payload={"visit": visit.pk, "visited_on": visited_on, "investigators": names,
                          "photos": [sha for _, sha, _, _ in photo_files]})
    _issue(case, DocumentKind.HOME_VISIT, by, extra={"home_visit_id": visit.pk})
    return visit


# --- Transitions -----------------------------------------------------------------------------

@transaction.atomic
def case_accept(*, case: Case, by, note: str = "") -> Case:
    """Accept (受理, S3): checks 核对前置 (S2), starts the 20-working-day clock (S4, S12)."""
    case = _lock(case)
    now = timezone.now()
    case.accepted_at = now
    case, _ = _transition(case, "accept", by, note=note)
    clause = "S12" if case.kind == CaseKind.TEMP_EXPENDITURE else "S4"
    if case.kind in TWENTY_DAY_KINDS:
        _start_clock(case, DeadlineKind.DECISION, DeadlineUnit.WORKDAY,
                     settings.DECISION_WORKDAYS, clause, now)
    _issue(case, DocumentKind.ACCEPTANCE, by)
    return case


@transaction.atomic
def case_open_recheck(*, case: Case, content: str, by, channel: str = "in_person",
                      lodged_at: dt.datetime | None = None) -> Case:
    """The applicant objects to the verification result: a recheck within 10 working days
    of the objection (S5)."""
    case = _lock(case)
    if not content.strip():
        raise CaseActionError("content", "请填写申请人对核对结果的异议内容。")
    lodged_at = lodged_at or timezone.now()
    # The objection must exist for the recheck-report rule, so record it first; the
    # transaction rolls it back if the move is refused.
    objection = Objection.objects.create(case=case, kind=Objection.Kind.VERIFICATION,
                                         channel=channel, content=content,
                                         lodged_at=lodged_at, recorded_by=by)
    case, _ = _transition(case, "open_recheck", by, payload={"objection": objection.pk})
    _start_clock(case, DeadlineKind.RECHECK, DeadlineUnit.WORKDAY,
                 settings.RECHECK_WORKDAYS, "S5", lodged_at)
    return case


@transaction.atomic
def case_complete_recheck(*, case: Case, by) -> Case:
    """The recheck report is on file: settle the 10-day clock, back to the review (S5)."""
    case = _lock(case)
    case, _ = _transition(case, "complete_recheck", by)
    _settle_clocks(case, [DeadlineKind.RECHECK])
    _issue(case, DocumentKind.RECHECK_REPORT, by)
    return case


@transaction.atomic
def case_propose_approval(*, case: Case, by, opinion: str, amount: Decimal | None = None,
                          covered_persons: int | None = None,
                          override_reason: str = "") -> Case:
    """The township's review opinion is to approve: 7-day publicity in the village (S6, S9).

    The amount and persons covered come from the case's current calculation (保障金额计算,
    `cases.proposal`); figures that depart from it, or approving a household it finds
    ineligible, need `override_reason`, go on the trail and flag the case.

    The case goes on its village's board sheet. The 7 days do not start here: they start the
    day after the sheet is confirmed posted on the village board (`case_start_publicity`).
    Until then a posting clock of `PUBLICITY_POSTING_WORKDAYS` working days runs; past it the
    sweep reminds the village assistant and the clerk.

    Args:
        amount / covered_persons: None for the calculation's figures.
        override_reason: why the figures depart from the calculation.
    """
    from cases import proposal

    case = _lock(case)
    if not (opinion or "").strip():
        raise CaseActionError("opinion", "请填写审核意见。")
    # The role and the state first: the calculation is asked only of whoever may propose.
    _check_move(case, "propose_approval", by, conditions=True)
    binding = proposal.bind(case, amount=amount, covered_persons=covered_persons,
                            override_reason=override_reason)
    case.proposed_amount = binding.amount
    case.review_opinion = opinion
    proposal.apply(case, binding)
    now = timezone.now()
    case, _ = _transition(case, "propose_approval", by, note=opinion,
                          payload={"amount": case.proposed_amount,
                                   "covered_persons": case.covered_persons,
                                   "assessment": binding.assessment.pk,
                                   "overridden": binding.overridden})
    proposal.record_override(case, binding, by=by, action="propose_approval")
    _start_clock(case, DeadlineKind.POSTING, DeadlineUnit.WORKDAY,
                 settings.PUBLICITY_POSTING_WORKDAYS, "S6", now)
    if settings.PUBLICITY_PAUSES_DECISION_CLOCK:
        _pause_decision_clock(case, now)
    from publicity.services import enlist  # publicity builds on cases: import late

    enlist(case, by=by)
    return case


def publicity_clock(case: Case) -> Deadline | None:
    """The case's running (or last) publicity clock: started at the posting, never before."""
    return (case.deadlines.filter(kind=DeadlineKind.PUBLICITY)
            .exclude(status=DeadlineStatus.CANCELLED).order_by("-start_at", "-pk").first())


def case_publicity_period(case: Case) -> PublicityPeriod | None:
    """The case's publicity period (`cases.deadlines.publicity_period`), None before the
    posting. Pages, documents and the API show these dates and no others."""
    clock = publicity_clock(case)
    return publicity_period(clock.start_at, clock.due_at) if clock else None


@transaction.atomic
def case_start_publicity(*, case: Case, posted_at: dt.datetime, by) -> Deadline | None:
    """The case's sheet is confirmed posted on the village board: the 7 days start (S6).

    Called by the posting confirmation (`publicity.services.batch_confirm_posting`), in its
    transaction, for each case on the sheet. Day 1 is the day after `posted_at`. A publicity
    clock started earlier (before this rule, at the proposal) is cancelled and replaced; the
    posting clock is settled. A case no longer in publicity (withdrawn) is left alone.

    Returns:
        The publicity clock, or None for a case no longer in publicity.
    """
    case = _lock(case)
    if case.status != CaseStatus.IN_PUBLICITY:
        return None
    now = timezone.now()
    if posted_at > now:
        raise CaseActionError("posted_at", "张贴时间不能晚于现在。")
    _settle_clocks(case, [DeadlineKind.PUBLICITY], at=now, cancel=True)
    _settle_clocks(case, [DeadlineKind.POSTING], at=now)
    clock = _start_clock(case, DeadlineKind.PUBLICITY, DeadlineUnit.DAY,
                         settings.PUBLICITY_DAYS, "S6", posted_at)
    period = publicity_period(clock.start_at, clock.due_at)
    append_event(case, "publicity_started", actor=by, payload={
        "posted_at": posted_at, "first_day": period.first_day, "last_day": period.last_day,
        "ends_at": period.ends_at,
    })
    return clock


@transaction.atomic
def objection_record(*, case: Case, content: str, by=None, channel: str = "in_person",
                     lodged_at: dt.datetime | None = None) -> Objection:
    """An objection lodged during publicity (S10). `by=None` for the public form.

    The one objection rule of every path (public form, the staff forms, the API): the case is
    in publicity and the objection was made within its period — from the posting on the
    village board to the last second of the 7th day (`PublicityPeriod.covers`); not before
    the sheet is posted, not after the period, not in the future.
    """
    case = _lock(case)
    _require(perms.can_record_objection(case, by))
    if case.status != CaseStatus.IN_PUBLICITY:
        raise CaseActionError("not_allowed", "该案件不在公示期内，不能登记公示异议。")
    if not (content or "").strip():
        raise CaseActionError("content", "请填写异议内容。")
    now = timezone.now()
    lodged_at = lodged_at or now
    if lodged_at > now:
        raise CaseActionError("lodged_at", "异议提出时间不能晚于现在。")
    period = case_publicity_period(case)
    if period is None:
        raise CaseActionError("not_posted",
                              "公示单尚未确认张贴，公示期尚未开始，不能登记公示异议。")
    if not period.covers(lodged_at):
        raise CaseActionError(
            "out_of_period",
            f"异议提出时间不在公示期内（公示期{fmt_date(period.first_day)}至"
            f"{fmt_date(period.last_day)}，截止{fmt_date(period.last_day)}24时）。")
    objection = Objection.objects.create(case=case, kind=Objection.Kind.PUBLICITY,
                                         channel=channel, content=content,
                                         lodged_at=lodged_at, recorded_by=by)
    append_event(case, "publicity_objection", actor=by,
                 payload={"objection": objection.pk, "channel": channel})
    return objection


@transaction.atomic
def case_close_publicity(*, case: Case, by=None) -> Case:
    """Publicity is over: no objection → awaiting sign-off (S7); objection → democratic
    appraisal (S10). The decision clock resumes. `by=None` is the scheduled close. Refused
    while the sheet is not confirmed posted (`rules.publicity_posted`)."""
    case = _lock(case)
    name = "end_publicity_with_objection" if rules.has_publicity_objection(case) else \
        "end_publicity"
    now = timezone.now()
    case, _ = _transition(case, name, by)
    _settle_clocks(case, [DeadlineKind.PUBLICITY], at=now)
    _resume_decision_clock(case, now)
    return case


@transaction.atomic
def case_record_appraisal(*, case: Case, by, held_on: dt.date, place: str, chair: str,
                          participants: list[dict], votes_for: int, votes_against: int,
                          votes_abstain: int, outcome: str, notes: str = "",
                          recorder: str = "", scan=None) -> Case:
    """Record the democratic appraisal held after a publicity objection (S10).

    The one appraisal service of every path (case page, API, the publicity appraisal page,
    demo). Refused unless: the participants are named, enough, and each has a role
    (`cases.appraisal.check_participants`); the votes add up and the outcome follows from
    them by the settings' rule (`check_votes`); the date is on or after the day of the last
    publicity objection and not in the future; the recorder is named; and the scan of the
    signed record is attached (PDF, JPEG or PNG, `cases.verification.files.read_scan`).

    Args:
        participants: ``[{"name": ..., "capacity": ...}]``; capacity from `APPRAISAL_ROLES`.
        scan: the uploaded scan of the record everyone signed.

    Returns:
        The case, awaiting the leader's sign-off.
    """
    from cases import appraisal as rule
    from cases.verification.files import read_scan

    case = _lock(case)
    if case.status != CaseStatus.AWAITING_APPRAISAL:
        raise CaseActionError("not_allowed",
                              f"案件当前状态为“{_state_label(case.status)}”，不能录入民主评议。")
    _require(perms.can_review(case, by))
    place, chair, recorder = (place or "").strip(), (chair or "").strip(), (recorder or "").strip()
    if not place or not chair:
        raise CaseActionError("appraisal", "请完整填写评议地点和主持人。")
    participants = [{"name": str(p.get("name", "")).strip()[:40],
                     "capacity": str(p.get("capacity", "")).strip()[:40]}
                    for p in participants or []]
    rule.check_participants(participants)
    rule.check_votes(votes_for=votes_for, votes_against=votes_against,
                     votes_abstain=votes_abstain, outcome=outcome,
                     participants=len(participants))
    if held_on > timezone.localdate():
        raise CaseActionError("date", "评议日期不能晚于今天。")
    last_objection = (case.objections.filter(kind=Objection.Kind.PUBLICITY)
                      .order_by("-lodged_at").values_list("lodged_at", flat=True).first())
    if last_objection is not None and held_on < timezone.localdate(last_objection):
        objected_on = fmt_date(timezone.localdate(last_objection))
        raise CaseActionError("date", f"评议日期不能早于公示异议提出之日（{objected_on}）。")
    if not recorder:
        raise CaseActionError("recorder", "请填写记录人。")
    if scan is None:
        raise CaseActionError("scan", "请上传全体参加人员签字的民主评议记录扫描件。")
    content, sha = read_scan(scan, "民主评议记录扫描件")
    appraisal = Appraisal(
        case=case, held_on=held_on, place=place, chair=chair, participants=participants,
        votes_for=votes_for, votes_against=votes_against, votes_abstain=votes_abstain,
        outcome=outcome, notes=notes, recorded_by=by, recorded_at=timezone.now(),
        recorder=recorder[:40], scan_sha256=sha,
    )
    appraisal.scan.save(content.name, content, save=False)
    try:
        appraisal.save()
        case, _ = _transition(case, "record_appraisal", by, payload={
            "appraisal": appraisal.pk, "outcome": outcome,
            "votes": [votes_for, votes_against, votes_abstain],
        })
        append_event(case, "appraisal_scan_filed", actor=by,
                     payload={"appraisal": appraisal.pk, "sha256": sha})
        _issue(case, DocumentKind.APPRAISAL_RECORD, by, extra={"appraisal_id": appraisal.pk})
    except Exception:
        appraisal.scan.delete(save=False)  # the rows roll back; leave no file behind
        raise
    return case


@transaction.atomic
def case_sign_off(*, case: Case, by, note: str = "", batch: bool = False) -> Case:
    """The leader in charge approves after a clean publicity (S7); 审核审批表 to the district
    (S18).

    `batch`: signed from the leader queue with others; a case whose amount departs from its
    calculation (`Case.amount_overridden`) is refused there and signed one by one.
    """
    case = _lock(case)
    if batch and case.amount_overridden:
        from cases.proposal import BATCH_REFUSED

        raise CaseActionError("override_batch", BATCH_REFUSED)
    now = timezone.now()
    case.decided_at = now
    case.approved_amount = case.proposed_amount
    case, _ = _transition(case, "sign_off", by, note=note,
                          payload={"amount": case.approved_amount})
    _settle_clocks(case, [DeadlineKind.DECISION], at=now)
    _start_review_clock(case, now)
    table = _issue(case, DocumentKind.APPROVAL_FORM, by)
    _issue(case, DocumentKind.APPROVAL_NOTICE, by)
    from documents.district import district_report_file

    district_report_file(document=table)  # S18: the table goes to the district's inbox
    return case


@transaction.atomic
def case_reject(*, case: Case, by, reason: str) -> Case:
    """Not eligible: written reasons and a 不予批准告知书 (S8)."""
    case = _lock(case)
    case.decision_reason = (reason or "").strip()
    now = timezone.now()
    case.decided_at = now
    name = "reject_emergency" if case.status == CaseStatus.EMERGENCY_REPORTED else "reject"
    case, _ = _transition(case, name, by, note=case.decision_reason)
    _settle_clocks(case, [DeadlineKind.DECISION, DeadlineKind.EMERGENCY_AID], at=now)
    _settle_clocks(case, [DeadlineKind.PUBLICITY, DeadlineKind.RECHECK], at=now, cancel=True)
    _issue(case, DocumentKind.REJECTION, by)
    return case


@transaction.atomic
def case_withdraw(*, case: Case, by, note: str) -> Case:
    """The applicant withdraws before a decision; every running clock is cancelled."""
    case = _lock(case)
    if not (note or "").strip():
        raise CaseActionError("note", "请记录申请人撤回申请的方式和理由。")
    case, _ = _transition(case, "withdraw", by, note=note)
    _settle_clocks(case, DeadlineKind.values, cancel=True)
    return case


@transaction.atomic
def case_adjust(*, case: Case, by, reason: str, amount: Decimal | None = None,
                covered_persons: int | None = None, override_reason: str = "") -> Case:
    """Change the monthly amount of a live entitlement (低保金调整告知书, S16).

    Like a proposal, the new amount comes from the current calculation (`cases.proposal`);
    a different amount needs `override_reason`, goes on the trail and flags the case.
    """
    from cases import proposal

    case = _lock(case)
    if not (reason or "").strip():
        raise CaseActionError("reason", "调整保障金必须写明理由。")
    if amount is not None and Decimal(amount) <= 0:
        raise CaseActionError("amount",
                              "调整后的金额必须大于零；停发请使用“暂停发放”或“终止保障”。")
    _check_move(case, "adjust", by, conditions=True)
    binding = proposal.bind(case, amount=amount, covered_persons=covered_persons,
                            override_reason=override_reason)
    old = case.approved_amount
    if binding.amount == old:
        raise CaseActionError("same_amount",
                              f"调整后的金额与现有保障金额{old:.2f}元相同，无需调整。"
                              "家庭情况有变化的，请先重新计算保障金额。")
    case.approved_amount = binding.amount
    case.decision_reason = reason
    proposal.apply(case, binding)
    case, _ = _transition(case, "adjust", by, note=reason,
                          payload={"old_amount": old, "new_amount": case.approved_amount,
                                   "assessment": binding.assessment.pk,
                                   "overridden": binding.overridden})
    proposal.record_override(case, binding, by=by, action="adjust")
    _issue(case, DocumentKind.ADJUSTMENT, by, extra={"change": "adjust", "old_amount": old})
    return case


@transaction.atomic
def case_suspend(*, case: Case, by, reason: str) -> Case:
    case = _lock(case)
    if not (reason or "").strip():
        raise CaseActionError("reason", "暂停发放必须写明理由。")
    case.decision_reason = reason
    case, _ = _transition(case, "suspend", by, note=reason)
    _issue(case, DocumentKind.ADJUSTMENT, by, extra={"change": "suspend"})
    return case


@transaction.atomic
def case_resume(*, case: Case, by, note: str = "") -> Case:
    case = _lock(case)
    case, _ = _transition(case, "resume", by, note=note)
    now = timezone.now()
    _settle_clocks(case, [DeadlineKind.PERIODIC_REVIEW], at=now, cancel=True)
    _start_review_clock(case, now)
    return case


@transaction.atomic
def case_terminate(*, case: Case, by, reason: str) -> Case:
    case = _lock(case)
    if not (reason or "").strip():
        raise CaseActionError("reason", "终止保障必须写明理由。")
    case.decision_reason = reason
    case, _ = _transition(case, "terminate", by, note=reason)
    _settle_clocks(case, [DeadlineKind.PERIODIC_REVIEW], cancel=True)
    _issue(case, DocumentKind.ADJUSTMENT, by, extra={"change": "terminate"})
    return case


# --- Periodic review (动态管理) ---------------------------------------------------------------

REVIEW_CLAUSE = "动态管理"


class ReviewOutcome:
    CONTINUE = "continue"
    ADJUST = "adjust"
    STOP = "stop"
    LABELS = {CONTINUE: "继续保障", ADJUST: "调整保障金", STOP: "停止保障"}


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it has no such day)."""
    from calendar import monthrange

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


def has_member_able_to_work(case: Case, on: dt.date) -> bool:
    """A current member with full labour capacity, of working age on `on`."""
    from cases.models import LabourCapacity

    youngest, oldest = settings.PERIODIC_REVIEW_WORKING_AGE
    return any(m.person.labour_capacity == LabourCapacity.FULL
               and youngest <= m.person.age_on(on) < oldest
               for m in case.household.current_members())


def review_interval_months(case: Case, on: dt.date) -> tuple[int, bool]:
    """Months until the next periodic review of `case`, and whether a member can work.

    From ``PERIODIC_REVIEW_MONTHS[case.kind]``: ``able_to_work`` when a current member has
    full labour capacity and is of working age, ``default`` otherwise.
    """
    intervals = settings.PERIODIC_REVIEW_MONTHS[case.kind]
    able = has_member_able_to_work(case, on)
    return int(intervals["able_to_work"] if able else intervals["default"]), able


def _start_review_clock(case: Case, start_at: dt.datetime) -> Deadline | None:
    """Start the next periodic-review clock of a standing entitlement (低保/特困 only)."""
    if case.kind not in ENTITLEMENT_KINDS:
        return None
    start_day = timezone.localdate(start_at)
    months, able = review_interval_months(case, start_day)
    days = (_add_months(start_day, months) - start_day).days
    deadline = _start_clock(case, DeadlineKind.PERIODIC_REVIEW, DeadlineUnit.DAY, days,
                            REVIEW_CLAUSE, start_at)
    reason = "家庭有具备劳动能力的成员" if able else "家庭成员无劳动能力或情况较稳定"
    explanation = dict(deadline.explanation)
    explanation["review"] = {"months": months, "able_to_work": able}
    explanation["summary"] = (f"动态管理：每{months}个月复核一次（{reason}）。"
                              + explanation.get("summary", ""))
    deadline.explanation = explanation
    deadline.save(update_fields=["explanation"])
    return deadline


@transaction.atomic
def case_periodic_review(*, case: Case, by, outcome: str, note: str = "",
                         amount: Decimal | None = None, reason: str = "",
                         override_reason: str = "") -> Case:
    """Record a periodic review (动态管理) of an approved household and act on it.

    The review clock is settled (on time or late), the review is written to the trail, and
    the outcome is carried out: ``continue`` keeps the entitlement, ``adjust`` changes the
    amount through `case_adjust`, ``stop`` ends it through `case_terminate` (each with its
    notice, S16). Unless stopped, the next review clock starts.

    Args:
        case: an approved 低保 or 特困 case.
        by: the township's leader in charge.
        outcome: ``continue``, ``adjust`` or ``stop`` (`ReviewOutcome`).
        note: what the review found.
        amount: the new monthly amount (``adjust`` only; None for the calculation's).
        override_reason: why the new amount departs from the calculation (``adjust``).
        reason: the reason for an adjustment or stop (required for those).

    Returns:
        The case after the review.
    """
    case = _lock(case)
    _require(perms.can_decide(case, by), "只有本镇街分管领导才能录入动态管理复核结果。")
    if case.kind not in ENTITLEMENT_KINDS:
        raise CaseActionError("not_entitlement", "只有低保、特困案件需要动态管理复核。")
    if case.status != CaseStatus.APPROVED:
        raise CaseActionError(
            "not_allowed",
            f"案件当前状态为“{_state_label(case.status)}”，不能录入动态管理复核。")
    if outcome not in ReviewOutcome.LABELS:
        raise CaseActionError("outcome", "请选择复核结果：继续保障、调整保障金或停止保障。")
    if not (note or "").strip():
        raise CaseActionError("note", "请填写复核情况。")
    now = timezone.now()
    _settle_clocks(case, [DeadlineKind.PERIODIC_REVIEW], at=now)
    append_event(case, "periodic_review", actor=by, from_status=case.status,
                 to_status=case.status, note=note,
                 payload={"outcome": outcome, "outcome_label": ReviewOutcome.LABELS[outcome],
                          "amount": amount, "reason": reason})
    if outcome == ReviewOutcome.ADJUST:
        case = case_adjust(case=case, by=by, amount=amount, reason=reason,
                           override_reason=override_reason)
    elif outcome == ReviewOutcome.STOP:
        return case_terminate(case=case, by=by, reason=reason)
    _start_review_clock(case, now)
    return case


# --- 急难型临时救助 (S11) ----------------------------------------------------------------------

@transaction.atomic
def case_give_aid(*, case: Case, by, amount: Decimal, reason: str, cause: str = "",
                  method: str = "", handling_opinion: str = "") -> Case:
    """Aid given first (先行救助, within 24 hours); the 5-working-day registration clock
    starts (S11). Cause category, 救助方式 and the 经办意见 go on the registration table."""
    case = _lock(case)
    case.aid_amount = Decimal(amount) if amount is not None else None
    case.aid_reason = reason or ""
    case.aid_cause = cause or case.aid_cause
    case.aid_method = method or case.aid_method
    case.handling_opinion = (handling_opinion or "").strip() or case.handling_opinion
    now = timezone.now()
    case.aid_given_at = now
    case, _ = _transition(case, "give_aid", by, note=reason,
                          payload={"amount": case.aid_amount})
    _settle_clocks(case, [DeadlineKind.EMERGENCY_AID], at=now)
    _start_clock(case, DeadlineKind.EMERGENCY_REGISTRATION, DeadlineUnit.WORKDAY,
                 settings.EMERGENCY_REGISTRATION_WORKDAYS, "S11", now)
    return case


@transaction.atomic
def case_register_emergency(*, case: Case, by, reason: str, amount: Decimal,
                            paperwork_complete: bool, cause: str = "", method: str = "",
                            handling_opinion: str = "", leader_opinion: str = "") -> Case:
    """Register recipient, reason and amount and confirm signatures and seals (S11); cause
    category, 救助方式, 经办意见 and the leader's 审批意见 complete the registration table (a
    value left empty keeps the one entered at aid)."""
    case = _lock(case)
    case.aid_reason = reason or ""
    case.aid_cause = cause or case.aid_cause
    case.aid_method = method or case.aid_method
    case.handling_opinion = (handling_opinion or "").strip() or case.handling_opinion
    case.leader_opinion = (leader_opinion or "").strip() or case.leader_opinion
    case.aid_amount = Decimal(amount) if amount is not None else None
    case.paperwork_complete = bool(paperwork_complete)
    now = timezone.now()
    case.decided_at = now
    case, _ = _transition(case, "register_emergency", by, note=reason,
                          payload={"amount": case.aid_amount})
    _settle_clocks(case, [DeadlineKind.EMERGENCY_REGISTRATION], at=now)
    _issue(case, DocumentKind.TEMP_REGISTRATION, by)
    return case


# --- Documents -------------------------------------------------------------------------------

def _issue(case: Case, kind: str, by, extra: dict | None = None):
    """Issue a standardized document inside the transition's transaction (S13)."""
    from documents.services import document_issue  # documents builds on cases: import late

    return document_issue(case=case, kind=kind, by=by, extra=extra)


def validation_message(exc: ValidationError) -> str:
    return "；".join(exc.messages)
