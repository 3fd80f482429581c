"""Workspaces made for one kind of day: the leader's sign-off queue."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cases import scoping, services
from cases.models import Appraisal, Case, HomeVisit, Objection, VerificationReport
from cases.permissions import Role
from cases.workflow import CaseStatus

QUEUE_LIMIT = 100


def _queue(user):
    return (scoping.cases_visible_to(user)
            .filter(status=CaseStatus.AWAITING_SIGN_OFF,
                    township__in=scoping.townships_for(user))
            .select_related("applicant", "village", "household")
            .prefetch_related(
                Prefetch("verification_reports",
                         queryset=VerificationReport.objects.order_by("recorded_at")),
                Prefetch("home_visits", queryset=HomeVisit.objects.order_by("visited_on")),
                Prefetch("objections", queryset=Objection.objects.order_by("lodged_at")),
                Prefetch("appraisals", queryset=Appraisal.objects.order_by("held_on")))
            .order_by("applied_at", "pk"))


@require_http_methods(["GET", "POST"])
def leader_queue(request: HttpRequest) -> HttpResponse:
    """Cases whose publicity has ended, with the evidence on one page; sign off one or many.

    Batch sign-off is a loop of the single service: each case is its own transition, event
    and documents, and a refusal of one does not stop the others.
    """
    if not scoping.has_role(request.user, Role.LEADER):
        raise PermissionDenied("只有镇街分管领导可以审批。")
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("case") if v.isdigit()]
        if not ids:
            messages.error(request, "请至少选择一件案件。")
            return redirect("leader_queue")
        done, refused = [], []
        for case in Case.objects.filter(pk__in=ids).filter(
                pk__in=scoping.cases_visible_to(request.user).values("pk")):
            try:
                services.case_sign_off(case=case, by=request.user)
            except services.CaseActionError as exc:
                refused.append(f"{case.number}：{exc.message}")
            else:
                done.append(case.number)
        if done:
            messages.success(request, f"已审批同意{len(done)}件：{'、'.join(done)}。")
        for line in refused:
            messages.error(request, line)
        return redirect("leader_queue")
    cases = list(_queue(request.user)[:QUEUE_LIMIT])
    return render(request, "cases/leader_queue.html", {"cases": cases, "limit": QUEUE_LIMIT})
