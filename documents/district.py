"""The district bureau's inbox of approval tables (S18): filed at sign-off, acknowledged by
the bureau. The townships decide (S1); the district receives the 审核审批表 and supervises."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from cases import scoping
from cases.errors import CaseActionError
from cases.models import Case
from cases.permissions import Role
from cases.trail import append_event
from documents.kinds import DocumentKind
from documents.models import DistrictReport, IssuedDocument


def district_report_file(*, document: IssuedDocument) -> DistrictReport:
    """Put a just-issued 审核审批表 in the district's inbox (inside the sign-off transaction)."""
    if document.kind != DocumentKind.APPROVAL_FORM:
        raise ValueError("only an approval table is reported to the district")
    report, created = DistrictReport.objects.get_or_create(
        document=document, defaults={"case": document.case, "township": document.case.township})
    if created:
        append_event(document.case, "district_report_filed",
                     payload={"document": document.pk, "number": document.number})
    return report


def district_reports_visible_to(user):
    """The bureau sees every township's tables; township staff see their own."""
    reports = DistrictReport.objects.select_related(
        "document", "case__applicant", "township", "acknowledged_by")
    if scoping.sees_whole_district(user):
        return reports
    return reports.filter(township__in=scoping.townships_for(user))


def district_report_acknowledge(*, report: DistrictReport, by) -> DistrictReport:
    """The bureau acknowledges receipt; once, and recorded on the case trail."""
    if not scoping.has_role(by, Role.BUREAU):
        raise CaseActionError("forbidden", "只有区民政局工作人员可以签收审核审批表。")
    with transaction.atomic():
        Case.objects.select_for_update(of=("self",)).get(pk=report.case_id)
        report = DistrictReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
        if report.acknowledged_at is not None:
            return report
        report.acknowledged_by = by
        report.acknowledged_at = timezone.now()
        report.save(update_fields=["acknowledged_by", "acknowledged_at"])
        append_event(report.case, "district_report_acknowledged", actor=by,
                     payload={"document": report.document_id})
    return report
