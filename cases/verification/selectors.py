"""Reads for the verification pages, the report snapshot and the bureau's access-log review."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import (
    AssetKind,
    Case,
    Relationship,
    VerificationAccess,
    VerificationReport,
    VerificationRequest,
    VerificationSource,
)

R = VerificationRequest.Status


def current_members(case: Case) -> list:
    """The household's current members, head first (as on the forms)."""
    rows = list(case.household.current_members().order_by("id"))
    rows.sort(key=lambda m: m.relationship != Relationship.HEAD)
    return rows


def requests_of(case: Case) -> QuerySet[VerificationRequest]:
    return (case.verification_requests.select_related("person", "requested_by", "authorization")
            .prefetch_related("results").order_by("person_id", "source", "-requested_at"))


@dataclass
class Cell:
    source: str
    label: str
    latest: VerificationRequest | None = None  # latest answered
    pending: VerificationRequest | None = None
    results: list = field(default_factory=list)

    @property
    def found(self) -> bool:
        return any(r.found for r in self.results)


def matrix(case: Case) -> list[dict]:
    """Per member, per source: the latest answered request with its results, and whether a
    request is pending."""
    by_key: dict[tuple[int, str], Cell] = {}
    for r in requests_of(case):
        cell = by_key.setdefault((r.person_id, r.source), Cell(r.source, r.get_source_display()))
        if r.status == R.PENDING and cell.pending is None:
            cell.pending = r
        elif r.status == R.ANSWERED and cell.latest is None:
            cell.latest = r
            cell.results = list(r.results.all())
    rows = []
    for m in current_members(case):
        cells = [by_key.get((m.person_id, s.value)) or Cell(s.value, s.label)
                 for s in VerificationSource]
        rows.append({"membership": m, "person": m.person, "cells": cells})
    return rows


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def snapshot_for(case: Case) -> dict:
    """What a compiled verification report freezes: every member's latest answer from every
    source queried, the income found, the asset counts, and what is missing or pending.

    Facts only (只核对不认定): whether an income counts is decided by the assessment.
    """
    now = timezone.now()
    members = []
    income_lines = []
    totals = {"financial": Decimal("0"), "homes": 0, "commercial": 0, "cars": 0,
              "exempt_vehicles": 0, "businesses": 0, "state_paid": 0}
    monthly = Decimal("0")
    pending = []
    not_queried = []
    answered = 0
    for row in matrix(case):
        person = row["person"]
        sources = []
        for cell in row["cells"]:
            if cell.pending is not None:
                pending.append({"person": person.name, "source": cell.label,
                                "request": cell.pending.number})
            if cell.latest is None:
                if cell.pending is None:
                    not_queried.append({"person": person.name, "source": cell.label})
                continue
            answered += 1
            records = []
            for res in cell.results:
                records.append({
                    "record_ref": res.record_ref, "found": res.found, "category": res.category,
                    "income_type": res.income_type,
                    "monthly_income": _money(res.monthly_income)
                    if res.monthly_income is not None else None,
                    "asset_kind": res.asset_kind,
                    "asset_kind_label": AssetKind(res.asset_kind).label if res.asset_kind else "",
                    "asset_value": _money(res.asset_value)
                    if res.asset_value is not None else None,
                    "quantity": res.quantity, "detail": res.detail,
                    "data_date": res.data_date.isoformat() if res.data_date else None,
                })
                if not res.found:
                    continue
                if res.monthly_income is not None:
                    monthly += res.monthly_income
                    income_lines.append({"person_id": person.pk, "person": person.name,
                                         "type_code": res.income_type,
                                         "monthly": _money(res.monthly_income),
                                         "source": cell.label, "category": res.category})
                count = res.quantity or 1
                if res.asset_kind == AssetKind.FINANCIAL and res.asset_value is not None:
                    totals["financial"] += res.asset_value
                elif res.asset_kind == AssetKind.HOME:
                    totals["homes"] += count
                elif res.asset_kind == AssetKind.COMMERCIAL:
                    totals["commercial"] += count
                elif res.asset_kind == AssetKind.CAR:
                    totals["cars"] += count
                elif res.asset_kind == AssetKind.EXEMPT_VEHICLE:
                    totals["exempt_vehicles"] += count
                elif res.asset_kind == AssetKind.BUSINESS:
                    totals["businesses"] += count
            if cell.source == VerificationSource.STATE_PAID and any(
                    res.found for res in cell.results):
                totals["state_paid"] += 1  # one member, however many records
            sources.append({
                "source": cell.source, "label": cell.label, "request": cell.latest.number,
                "requested_at": timezone.localtime(cell.latest.requested_at).isoformat(),
                "answered_at": timezone.localtime(cell.latest.answered_at).isoformat()
                if cell.latest.answered_at else None,
                "found": any(r["found"] for r in records), "records": records,
            })
        members.append({"person_id": person.pk, "name": person.name,
                        "id_number": person.id_number, "masked_id": person.masked_id,
                        "relationship": row["membership"].get_relationship_display(),
                        "sources": sources})
    totals["financial"] = _money(totals["financial"])
    return {
        "compiled_at": timezone.localtime(now).isoformat(),
        "case": case.number,
        "members": members,
        "income_lines": income_lines,
        "monthly_income": _money(monthly),
        "assets": totals,
        "answered": answered,
        "pending": pending,
        "not_queried": not_queried,
    }


def assets_note(snapshot: dict) -> str:
    """The report's one-paragraph summary of the assets found."""
    a = snapshot["assets"]
    parts = [f"存款等金融资产合计{a['financial']}元"]
    for key, label, unit in (("homes", "住房", "套"), ("commercial", "商业用房", "处"),
                             ("cars", "机动车", "辆"), ("exempt_vehicles", "摩托车等", "辆"),
                             ("businesses", "市场主体登记", "个"),
                             ("state_paid", "财政供养人员", "人")):
        if key in a:  # reports compiled before the item existed lack it
            parts.append(f"{label}{a[key]}{unit}")
    text = "，".join(parts) + "。"
    if snapshot["pending"]:
        text += f"另有{len(snapshot['pending'])}项核对请求尚未反馈。"
    return text


def reports_of(case: Case) -> QuerySet[VerificationReport]:
    return case.verification_reports.select_related("recorded_by", "previous").order_by(
        "version", "recorded_at")


def snapshot_changes(report: VerificationReport) -> list[dict]:
    """What changed in the totals against the previous version (for a recheck report)."""
    prev = report.previous
    if prev is None:
        return []
    labels = [("monthly_income", "家庭月收入(元)")]
    rows = []
    old = prev.snapshot or {}
    new = report.snapshot or {}
    old_income = old.get("monthly_income", f"{prev.monthly_income:.2f}")
    new_income = new.get("monthly_income", f"{report.monthly_income:.2f}")
    if old_income != new_income:
        rows.append({"label": labels[0][1], "old": old_income, "new": new_income})
    for key, label in (("financial", "金融资产(元)"), ("homes", "住房(套)"),
                       ("commercial", "商业用房(处)"), ("cars", "机动车(辆)"),
                       ("businesses", "市场主体(个)"), ("state_paid", "财政供养人员(人)")):
        a = (old.get("assets") or {}).get(key)
        b = (new.get("assets") or {}).get(key)
        if a is not None and b is not None and a != b:
            rows.append({"label": label, "old": a, "new": b})
    return rows


# --- The bureau's access-log review ---------------------------------------------------------
def access_log(*, user_id: int | None = None, date_from: dt.date | None = None,
               date_to: dt.date | None = None, only_refused: bool = False
               ) -> QuerySet[VerificationAccess]:
    qs = VerificationAccess.objects.select_related("user", "case", "person")
    if user_id:
        qs = qs.filter(user_id=user_id)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min,
                                                  tzinfo=tz))
    if only_refused:
        qs = qs.filter(allowed=False)
    return qs.order_by("-at", "-id")


# Thresholds of the unusual-pattern flags (settings may override them).
DAILY_PERSONS_LIMIT = 40
WORK_HOURS = (7, 20)


@dataclass
class DayFlag:
    user: object
    day: dt.date
    lookups: int
    cases: int
    queries: int
    queried_cases: int
    refused: int
    persons: int
    off_hours: int
    reasons: list[str]


def unusual_days(qs: QuerySet[VerificationAccess]) -> list[DayFlag]:
    """Days on which a user's look-ups look unusual, each with the reasons:

    * more queries than cases queried that day (the same case queried again and again);
    * refused attempts (no agreement, another township, a closed case …);
    * more distinct persons looked up than ``VERIFICATION_DAILY_PERSONS_LIMIT`` (default 40);
    * look-ups outside working hours (``VERIFICATION_WORK_HOURS``, default 7:00–20:00) or on a
      day that is not a working day.
    """
    from cases.calendar import CalendarUnknownYear, WorkCalendar

    persons_limit = getattr(settings, "VERIFICATION_DAILY_PERSONS_LIMIT", DAILY_PERSONS_LIMIT)
    start, end = getattr(settings, "VERIFICATION_WORK_HOURS", WORK_HOURS)
    tz = timezone.get_current_timezone()
    per_day = (qs.annotate(day=TruncDate("at", tzinfo=tz)).values("user_id", "day")
               .annotate(lookups=Count("id", filter=Q(allowed=True)),
                         cases=Count("case", distinct=True, filter=Q(allowed=True)),
                         queries=Count("id", filter=Q(action="query", allowed=True)),
                         queried_cases=Count("case", distinct=True,
                                             filter=Q(action="query", allowed=True)),
                         refused=Count("id", filter=Q(allowed=False)),
                         persons=Count("person", distinct=True, filter=Q(allowed=True)))
               .order_by("-day", "user_id"))
    rows = list(per_day)
    if not rows:
        return []
    times = defaultdict(int)
    calendar = WorkCalendar()  # one for the whole log: its overrides are read once
    for user_id, at in qs.filter(allowed=True).values_list("user_id", "at"):
        local = timezone.localtime(at)
        off = not (start <= local.hour < end)
        if not off:
            try:
                off = not calendar.is_workday(local.date())
            except CalendarUnknownYear:
                off = local.weekday() >= 5
        if off:
            times[(user_id, local.date())] += 1
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk({r["user_id"] for r in rows})
    flags = []
    for r in rows:
        reasons = []
        if r["queries"] > r["queried_cases"]:
            reasons.append(f"当日查询{r['queries']}次，多于所涉案件数{r['queried_cases']}件"
                           "（同一案件重复查询）")
        if r["refused"]:
            reasons.append(f"当日有{r['refused']}次被拒绝的查阅")
        if r["persons"] > persons_limit:
            reasons.append(f"当日查阅{r['persons']}人，超过{persons_limit}人")
        off = times.get((r["user_id"], r["day"]), 0)
        if off:
            reasons.append(f"非工作时间查阅{off}次")
        if reasons:
            flags.append(DayFlag(users.get(r["user_id"]), r["day"], r["lookups"], r["cases"],
                                 r["queries"], r["queried_cases"], r["refused"], r["persons"],
                                 off, reasons))
    return flags


# --- For the 审核审批表 ------------------------------------------------------------------------
def assessment_for_document(case: Case) -> dict | None:
    """The latest assessment of `case`, JSON-safe, for the approval form (审核审批表).

    Keys: ``version``, ``computed_at`` (ISO), ``on_date`` (ISO), ``report_version``, and the
    calculation itself (`cases.verification.assessment.Result.as_dict`): ``eligible``,
    ``amount``, ``amount_unit``, ``per_capita_income``, ``household_income``, ``standard``,
    ``counted_members``, ``covered_persons``, ``reasons``, ``lines``, ``income_lines``,
    ``standards_used``, ``rounding``. None when nothing has been computed.
    """
    latest = case.assessments.order_by("-version").select_related("report").first()
    if latest is None:
        return None
    return assessment_document_data(latest)


def assessment_document_data(latest) -> dict:
    """One assessment, JSON-safe, with the keys of `assessment_for_document`."""
    return {
        **latest.result,
        "version": latest.version,
        "computed_at": timezone.localtime(latest.computed_at).isoformat(timespec="seconds"),
        "on_date": latest.on_date.isoformat(),
        "report_version": latest.report.version if latest.report else None,
    }
