"""Document contexts built from the database: one builder per kind.

`build_context(kind, case=..., person=..., extra=..., by=...)` returns a plain dict that
`freeze()` turns into JSON-safe data (ISO dates, decimal strings). The issuing service renders
the frozen dict and stores it, so the stored context reproduces the document exactly.

`extra` carries what the database does not hold or what picks among several rows; its values
must be JSON-serialisable (ids, strings, numbers, ISO dates), because a correction rebuilds
the document from the same `extra`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.names import person_name
from cases.agents import case_agent
from cases.models import (
    Appraisal,
    Case,
    HomeVisit,
    Membership,
    Objection,
    Person,
    Relationship,
    Township,
    VerificationReport,
)
from cases.services import case_publicity_period
from cases.workflow import CaseKind
from documents import formatting, materials, remedies
from documents.kinds import ADVERSE_KINDS, DocumentKind

K = DocumentKind


class DocumentDataError(ValueError):
    """The data a document needs is missing or contradictory; the message says what (Chinese)."""


# --- Plain parts ----------------------------------------------------------------------------
def issuer_name(township: Township) -> str:
    """The issuing body as it signs: 临沂市兰山区兰山街道办事处, 临沂市兰山区枣园镇人民政府."""
    if township.kind == "subdistrict":
        return f"临沂市兰山区{township.name}办事处"
    if township.kind == "town":
        return f"临沂市兰山区{township.name}人民政府"
    return f"{township.name}管理委员会"


def _township(township: Township) -> dict:
    return {
        "code": township.code, "name": township.name, "issuer": issuer_name(township),
        "address": township.address, "hotline": township.hotline,
    }


def _named(entry) -> dict:
    """A participant/investigator entry, stored as a name or as {"name", "capacity"} (the
    appraisal form's shape; "role" is read too)."""
    if isinstance(entry, dict):
        role = entry.get("capacity") or entry.get("role") or ""
        return {"name": str(entry.get("name", "")), "role": str(role)}
    return {"name": str(entry), "role": ""}


def _person(person: Person, on: dt.date, relationship: str = "") -> dict:
    return {
        "id": person.pk,
        "name": person.name,
        "id_number": person.id_number,
        "masked_id": person.masked_id,
        "gender": person.get_gender_display(),
        "birth_date": person.birth_date,
        "age": person.age_on(on),
        "phone": person.phone,
        "hukou": person.get_hukou_type_display(),
        "health": person.get_health_display(),
        "disability": (person.get_disability_type_display() + person.get_disability_grade_display()
                       if person.disability_grade else "无"),
        "labour": person.get_labour_capacity_display(),
        "occupation": person.occupation,
        "relationship": relationship,
    }


def _members(case: Case, on: dt.date) -> list[dict]:
    rows = (Membership.objects.filter(household=case.household, ended_on__isnull=True)
            .select_related("person").order_by("id"))
    members = [_person(m.person, on, m.get_relationship_display()) for m in rows]
    # The head first, then in the order they were entered.
    members.sort(key=lambda m: m["relationship"] != Relationship.HEAD.label)
    return members


def _user(user) -> dict:
    if user is None:
        return {"name": "", "signature_src": ""}
    return {"id": user.pk, "name": person_name(user), "signature_src": ""}


def _case(case: Case) -> dict:
    return {
        "id": case.pk,
        "number": case.number,
        "kind": case.kind,
        "kind_label": case.get_kind_display(),
        "status": case.status,
        "applied_at": case.applied_at,
        "accepted_at": case.accepted_at,
        "decided_at": case.decided_at,
        "hardship": case.hardship,
        "proposed_amount": case.proposed_amount,
        "approved_amount": case.approved_amount,
        "covered_persons": case.covered_persons,
        "review_opinion": case.review_opinion,
        "decision_reason": case.decision_reason,
    }


def _household(case: Case) -> dict:
    household = case.household
    return {
        "id": household.pk,
        "address": household.address,
        "village": household.village.name,
        "village_short": household.village.short_name,
        "hukou": household.get_hukou_type_display(),
        "head": household.head.name if household.head else "",
        "bank_name": household.bank_name,
        "bank_account": household.bank_account,
    }


def _pick(queryset, key: str, extra: dict, label: str):
    """The row named by `extra[key]`, or the latest one; a Chinese error if there is none."""
    row = queryset.filter(pk=extra[key]).first() if extra.get(key) else queryset.last()
    if row is None:
        raise DocumentDataError(f"尚未录入{label}，不能出具本文书。")
    return row


def _per_capita(monthly_income, persons: int) -> Decimal | None:
    if monthly_income is None or not persons:
        return None
    return formatting.to_money(Decimal(monthly_income) / persons)


def _deadline(case: Case, kind: str):
    return case.deadlines.filter(kind=kind).order_by("-start_at").first()


# --- Builders, one per kind -----------------------------------------------------------------
Builder = Callable[..., dict]
BUILDERS: dict[DocumentKind, Builder] = {}


def builder(kind: DocumentKind) -> Callable[[Builder], Builder]:
    def wrap(fn: Builder) -> Builder:
        BUILDERS[kind] = fn
        return fn

    return wrap


@builder(K.APPLICATION)
def _application(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    """The members with the monthly income each declared (None: 未申报) and the total of
    what was declared."""
    declared = dict(case.declared_incomes.values_list("person_id", "monthly_amount"))
    members = [{**m, "declared_income": declared.get(m["id"])} for m in ctx["members"]]
    amounts = [m["declared_income"] for m in members if m["declared_income"] is not None]
    return {
        "reason": case.hardship,
        "members": members,
        "declared_total": sum(amounts, Decimal("0.00")) if amounts else None,
        "undeclared": sum(1 for m in members if m["declared_income"] is None),
    }


@builder(K.AUTHORIZATION)
def _authorization(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    if person is None:
        raise DocumentDataError("核对授权书按成年家庭成员逐人出具，请指定成员。")
    membership = case.household.memberships.filter(person=person, ended_on__isnull=True).first()
    if membership is None and person.pk != case.applicant_id:
        raise DocumentDataError(f"{person.name}不是该户在册成员，不能出具核对授权书。")
    relationship = membership.get_relationship_display() if membership else "申请人"
    return {
        "grantor": _person(person, ctx["today"], relationship),
        "departments": [
            "公安", "人力资源社会保障", "自然资源(不动产登记)", "住房城乡建设", "市场监督管理",
            "税务", "住房公积金管理", "车辆管理", "银行业金融机构", "证券、保险机构",
        ],
    }


@builder(K.DECLARATION)
def _declaration(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    return {}


DEFAULT_PROXY_MATTERS = "代为提出社会救助申请，代为签收有关文书，代为办理申请相关事项"


@builder(K.PROXY)
def _proxy(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    """The delegate recorded with the case (`cases.agents`). A 委托授权书 issued before
    delegates were recorded kept its delegate in `extra` (agent_name, …): a correction of one
    reads it from there."""
    agent = case_agent(case)
    if agent is not None:
        values = {"name": agent.name, "id_number": agent.id_number,
                  "relation": agent.relation, "phone": agent.phone}
    elif extra.get("agent_name"):
        values = {k: extra.get(f"agent_{k}", "") for k in ("name", "id_number", "relation",
                                                            "phone")}
    else:
        raise DocumentDataError("该申请没有委托他人代办，不出具委托授权书。")
    return {"agent": values, "matters": extra.get("matters") or DEFAULT_PROXY_MATTERS}


@builder(K.ONE_TIME_NOTICE)
def _one_time_notice(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    return {"materials": materials.materials_for(case.kind), "shared_label": materials.SHARED}


@builder(K.ACCEPTANCE)
def _acceptance(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    deadline = _deadline(case, "decision")
    return {
        "accepted_on": case.accepted_at or ctx["today"],
        "due_on": deadline.due_at if deadline else extra.get("due_on"),
        "time_limit": "20个工作日",
    }


@builder(K.HOME_VISIT)
def _home_visit(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    if extra.get("blank"):  # the form taken along on the visit, filled in by hand
        return {"visit": {"id": None, "visited_on": None, "investigators": [],
                          "findings": ""}, "blank": True}
    visit = _pick(HomeVisit.objects.filter(case=case).order_by("visited_on", "id"),
                  "home_visit_id", extra, "入户调查")
    return {
        "visit": {
            "id": visit.pk,
            "visited_on": visit.visited_on,
            "investigators": [_named(i) for i in visit.investigators],
            "findings": visit.findings,
        },
    }


def _report(report: VerificationReport, persons: int) -> dict:
    return {
        "id": report.pk,
        "is_recheck": report.is_recheck,
        "monthly_income": report.monthly_income,
        "per_capita_income": _per_capita(report.monthly_income, persons),
        "assets_note": report.assets_note,
        "conclusion": report.conclusion,
        "officer": _user(report.recorded_by)["name"],
        "recorded_at": report.recorded_at,
    }


@builder(K.VERIFICATION_REPORT)
def _verification_report(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    report = _pick(VerificationReport.objects.filter(case=case, is_recheck=False)
                   .select_related("recorded_by").order_by("recorded_at", "id"),
                   "report_id", extra, "家庭经济状况核对报告")
    return {"report": _report(report, len(ctx["members"]))}


@builder(K.RECHECK_REPORT)
def _recheck_report(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    report = _pick(VerificationReport.objects.filter(case=case, is_recheck=True)
                   .select_related("recorded_by").order_by("recorded_at", "id"),
                   "report_id", extra, "复核报告")
    original = (VerificationReport.objects.filter(case=case, is_recheck=False,
                                                  recorded_at__lte=report.recorded_at)
                .select_related("recorded_by").order_by("recorded_at", "id").last())
    objection = (Objection.objects.filter(case=case, kind=Objection.Kind.VERIFICATION,
                                          lodged_at__lte=report.recorded_at)
                 .order_by("lodged_at").last())
    persons = len(ctx["members"])
    values = {
        "report": _report(report, persons),
        "original": _report(original, persons) if original else None,
        "objection": ({"content": objection.content, "lodged_at": objection.lodged_at,
                       "channel": objection.get_channel_display()} if objection else None),
    }
    if case.kind == CaseKind.DIBAO:
        values["doc_title"] = "低保家庭经济状况复核报告"
    return values


def _latest_report(case: Case, persons: int) -> dict | None:
    report = (VerificationReport.objects.filter(case=case).select_related("recorded_by")
              .order_by("recorded_at", "id").last())
    return _report(report, persons) if report else None


def _standard_in_force(case: Case) -> str | None:
    """The monthly 低保 standard the decision used: from the latest assessment, else the
    dated standard in force on the decision day for the household's 户籍; blank if none."""
    from cases.verification.selectors import assessment_for_document
    from cases.verification.standards import MissingStandard, dibao_standard_on

    assessment = assessment_for_document(case)
    if assessment and assessment.get("standard"):
        return str(assessment["standard"])
    if case.kind != "dibao":
        return None
    day = timezone.localdate(case.decided_at) if case.decided_at else timezone.localdate()
    try:
        return str(dibao_standard_on(case.household.hukou_type, day).monthly)
    except MissingStandard:
        return None


def _decided_calculation(case: Case) -> tuple[dict | None, dict | None]:
    """The calculation the decided amount rests on (`Case.assessment`, else the latest one),
    and the override when the amount departs from it (`cases.proposal`)."""
    from cases.verification.selectors import assessment_document_data, assessment_for_document

    if case.assessment_id:
        calculation = assessment_document_data(case.assessment)
    else:
        calculation = assessment_for_document(case)
    override = None
    if case.amount_overridden and calculation is not None:
        override = {"reason": case.override_reason,
                    "calculated_amount": calculation["amount"] if calculation["eligible"]
                    else None,
                    "calculated_persons": calculation.get("covered_persons"),
                    "eligible": calculation["eligible"]}
    return calculation, override


@builder(K.APPROVAL_FORM)
def _approval_form(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    """The 审核审批表: every figure from the calculation the amount rests on, line by line,
    and the override with its reason when the amount departs from it."""
    period = case_publicity_period(case)
    appraisal = Appraisal.objects.filter(case=case).order_by("held_on", "id").last()
    calculation, override = _decided_calculation(case)
    return {
        "report": _latest_report(case, len(ctx["members"])),
        "calculation": calculation,
        "override": override,
        "standard": extra.get("standard") or (calculation or {}).get("standard")
        or _standard_in_force(case),
        "amount": case.approved_amount or case.proposed_amount,
        "covered_persons": case.covered_persons or len(ctx["members"]),
        "publicity": ({"start": period.first_day, "end": period.last_day}
                      if period else None),
        "appraisal": ({"held_on": appraisal.held_on, "outcome": appraisal.get_outcome_display()}
                      if appraisal else None),
        "decided_on": case.decided_at or ctx["today"],
    }


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@builder(K.APPROVAL_NOTICE)
def _approval_notice(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    amount = case.approved_amount or case.proposed_amount
    if amount is None:
        raise DocumentDataError("尚未核定保障金额，不能出具批准通知书。")
    decided = formatting.to_date(case.decided_at) or ctx["today"]
    return {
        "amount": amount,
        "covered_persons": case.covered_persons or len(ctx["members"]),
        "decided_on": decided,
        "starts_month": extra.get("starts_month") or _month_after(decided),
    }


def _remedies(ctx: dict) -> dict:
    return remedies.remedies_for(ctx["today"]).as_dict()


@builder(K.REJECTION)
def _rejection(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    reason = (extra.get("reason") or case.decision_reason or "").strip()
    if not reason:
        raise DocumentDataError("不予批准告知书必须写明不予批准的理由。")
    return {
        "reason": reason,
        "basis": extra.get("basis", ""),
        "decided_on": case.decided_at or ctx["today"],
        "remedies": _remedies(ctx),
    }


ADJUSTMENT_CHANGES = {"adjust": "调整", "suspend": "暂停发放", "terminate": "停止发放"}


@builder(K.ADJUSTMENT)
def _adjustment(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    """extra: change (adjust | suspend | terminate), old_amount, new_amount (adjust; default
    the case's approved amount, which the adjusting service has already set), effective_month
    ("2026-12"; default the month after the notice), reason (default the case's
    decision_reason)."""
    change = extra.get("change", "adjust")
    if change not in ADJUSTMENT_CHANGES:
        raise DocumentDataError("保障金变更类别应为调整、暂停发放或停止发放。")
    reason = (extra.get("reason") or case.decision_reason or "").strip()
    if not reason:
        raise DocumentDataError("低保金调整(停发)告知书必须写明理由。")
    old = extra.get("old_amount", case.approved_amount)
    new = extra.get("new_amount", case.approved_amount) if change == "adjust" else Decimal("0")
    if change == "adjust" and new in (None, ""):
        raise DocumentDataError("调整保障金须填写调整后金额。")
    if change == "adjust" and old not in (None, "") and \
            formatting.to_money(old) == formatting.to_money(new):
        raise DocumentDataError("调整前后的保障金额相同，无需出具调整告知书。")
    values = {
        "change": change,
        "change_label": ADJUSTMENT_CHANGES[change],
        "old_amount": old,
        "new_amount": new,
        "effective_month": extra.get("effective_month") or _month_after(ctx["today"]),
        "reason": reason,
        "remedies": _remedies(ctx),
    }
    if case.kind == CaseKind.TEKUN:
        values["doc_title"] = "特困人员救助供养金调整(停发)告知书"
    return values


@builder(K.TEMP_REGISTRATION)
def _temp_registration(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    amount = case.aid_amount or case.approved_amount or case.proposed_amount
    if amount is None:
        raise DocumentDataError("尚未填写救助金额，不能出具临时救助登记审批表。")
    return {
        "reported_at": case.reported_at,
        "aid_given_at": case.aid_given_at,
        "amount": amount,
        "reason": case.aid_reason or case.hardship,
        "emergency": case.kind == CaseKind.TEMP_EMERGENCY,
        # The registration table's entries (S11); the template prints "未填写" for an empty one.
        "cause": case.get_aid_cause_display() if case.aid_cause else "",
        "method": case.get_aid_method_display() if case.aid_method else "",
        "handling_opinion": case.handling_opinion,
        "leader_opinion": case.leader_opinion,
    }


@builder(K.APPRAISAL_RECORD)
def _appraisal_record(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    appraisal = _pick(Appraisal.objects.filter(case=case).order_by("held_on", "id"),
                      "appraisal_id", extra, "民主评议")
    objections = Objection.objects.filter(case=case, kind=Objection.Kind.PUBLICITY,
                                          lodged_at__date__lte=appraisal.held_on)
    return {
        "appraisal": {
            "id": appraisal.pk,
            "held_on": appraisal.held_on,
            "place": appraisal.place,
            "chair": appraisal.chair,
            "participants": [_named(p) for p in appraisal.participants],
            "votes_for": appraisal.votes_for,
            "votes_against": appraisal.votes_against,
            "votes_abstain": appraisal.votes_abstain,
            "outcome": appraisal.get_outcome_display(),
            "notes": appraisal.notes,
            "recorder": _user(appraisal.recorded_by)["name"],
        },
        "objections": [{"content": o.content, "lodged_at": o.lodged_at} for o in objections],
    }


@builder(K.DELIVERY_RECEIPT)
def _delivery_receipt(case: Case, ctx: dict, extra: dict, person, by) -> dict:
    from documents.models import IssuedDocument

    document = IssuedDocument.objects.filter(pk=extra.get("document_id"), case=case).first()
    if document is None:
        raise DocumentDataError("请指定要送达的文书。")
    return {
        "served": {"title": document.title, "number": document.number,
                   "issued_on": document.issued_at},
    }


# --- Entry point ----------------------------------------------------------------------------
def build_context(kind: DocumentKind | str, *, case: Case, person: Person | None = None,
                  extra: dict | None = None, by=None, today: dt.date | None = None) -> dict:
    """Everything `kind`'s template needs, from the database (not yet frozen).

    Args:
        kind: the document kind.
        case: the case the document belongs to.
        person: the member a per-member document is for (核对授权书).
        extra: kind-specific values (see each builder); JSON-serialisable.
        by: the user issuing (or printing) the document.
        today: the document's date; today by default.

    Returns:
        A dict with the common parts (township, case, applicant, household, members, today)
        and the kind's own values.
    """
    kind = DocumentKind(kind)
    extra = dict(extra or {})
    today = today or timezone.localdate()
    case = (Case.objects.select_related("township", "household__village", "household__head",
                                        "assessment", "applicant", "created_by")
            .get(pk=case.pk))
    ctx: dict = {
        "kind": kind.value,
        "doc_title": kind.title,
        "today": today,
        "issued_on": today,
        "township": _township(case.township),
        "case": _case(case),
        "applicant": _person(case.applicant, today, "申请人"),
        "household": _household(case),
        "members": _members(case, today),
        "sealed": kind.spec.sealed,
        "signature_block": kind.spec.signature_block,
        "seal_src": "",
        "issued_by": _user(by),
        "leader": {"name": "", "signature_src": ""},
        "number": "",
        "code": "",
        "code_display": "",
        "verify_url": "",
        "show_issuer_head": kind.spec.to_applicant,
    }
    ctx.update(BUILDERS[kind](case, ctx, extra, person, by))
    if kind in ADVERSE_KINDS and "remedies" not in ctx:  # pragma: no cover - guarded above
        ctx["remedies"] = _remedies(ctx)
    return ctx


def apply_seal_and_signature(ctx: dict, *, township: Township, leader=None) -> dict:
    """Put the township's seal image and the leader's signature image on an issued document.

    Only at issuance: a printout for signature carries neither. Missing images leave the
    empty block to stamp or sign.
    """
    from documents.models import SignatureImage, TownshipSeal

    kind = DocumentKind(ctx["kind"])
    if kind.spec.sealed:
        seal = TownshipSeal.objects.filter(township=township, is_active=True).first()
        if seal is not None and seal.image:
            ctx["seal_src"] = _file_uri(seal.image)
    if kind.spec.leader_signs and leader is not None:
        ctx["leader"] = _user(leader)
        image = SignatureImage.objects.filter(user=leader, is_active=True).first()
        if image is not None and image.image:
            ctx["leader"]["signature_src"] = _file_uri(image.image)
    return ctx


def _file_uri(field) -> str:
    from pathlib import Path

    return Path(field.path).resolve().as_uri()


def leader_for(by, extra: dict):
    """Who signs as 分管领导: `extra["leader_id"]`, or the issuer when they hold the role."""
    from cases import scoping
    from cases.permissions import Role

    if extra.get("leader_id"):
        return get_user_model().objects.filter(pk=extra["leader_id"]).first()
    if by is not None and scoping.has_role(by, Role.LEADER):
        return by
    return None


# --- Freezing -------------------------------------------------------------------------------
def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not serialisable in a document context: {type(value).__name__}")


def freeze(ctx: dict) -> dict:
    """The context as JSON data (dates ISO, money as decimal strings): what is rendered and
    stored."""
    return json.loads(json.dumps(ctx, default=_default, ensure_ascii=False))
