"""The district bureau's inbox of approval tables (S18)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases import scoping
from cases.errors import CaseActionError
from cases.permissions import Role
from documents.district import district_report_acknowledge, district_reports_visible_to


@require_GET
def district_reports(request: HttpRequest) -> HttpResponse:
    reports = district_reports_visible_to(request.user)
    state = request.GET.get("state", "")
    if state == "pending":
        reports = reports.filter(acknowledged_at__isnull=True)
    elif state == "done":
        reports = reports.filter(acknowledged_at__isnull=False)
    page = Paginator(reports.order_by("-reported_at", "-pk"),
                     settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "documents/district_reports.html", {
        "page": page, "state": state,
        "can_acknowledge": scoping.has_role(request.user, Role.BUREAU),
    })


@require_POST
def district_report_ack(request: HttpRequest, pk: int) -> HttpResponse:
    report = district_reports_visible_to(request.user).filter(pk=pk).first()
    if report is None:
        raise Http404("未找到该报送记录。")
    try:
        district_report_acknowledge(report=report, by=request.user)
    except CaseActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已签收审核审批表 {report.document.number}。")
    return redirect("district_reports")
