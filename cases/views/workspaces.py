"""Workspaces made for one kind of day: the leader's sign-off queue, with the emergencies
on their clocks (S11) above it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cases import payee, scoping, search, services
from cases.list_fields import encrypted_fields
from cases.models import Appraisal, Case, HomeVisit, Objection, Person, VerificationReport
from cases.permissions import Role
from cases.views.clerk import emergency_waiting
from cases.workflow import CaseStatus

MAX_QUEUE_PAGE = 10_000  # a page number past this is read as the last one asked for
QUEUE_PAGE_SIZE = 25  # cases with their evidence per page: the template is most of the time


def _queue(townships: list[int]):
    """The cases awaiting the sign-off of the user's townships (the township that approves,
    S1), nearest decision deadline first (S4), read in order through the index (township,
    status, next_due_at, -applied_at, -id)."""
    return (Case.objects
            .filter(status=CaseStatus.AWAITING_SIGN_OFF, township_id__in=townships)
            .select_related("applicant", "village", "assessment")
            .defer(*encrypted_fields(Person, "applicant__"))  # the queue shows names only
            # Into lists (to_attr): a prefetch into the related managers builds a queryset
            # per case and relation, 100 of them for a page.
            .prefetch_related(
                Prefetch("verification_reports", to_attr="report_list",
                         queryset=VerificationReport.objects.order_by("recorded_at")),
                Prefetch("home_visits", to_attr="visit_list",
                         queryset=HomeVisit.objects.order_by("visited_on")
                         .defer(*encrypted_fields(HomeVisit))),
                Prefetch("objections", to_attr="objection_list",
                         queryset=Objection.objects.order_by("lodged_at")),
                Prefetch("appraisals", to_attr="appraisal_list",
                         queryset=Appraisal.objects.order_by("held_on")))
            .order_by(F("next_due_at").asc(nulls_last=True), "-applied_at", "-id"))


@require_http_methods(["GET", "POST"])
def leader_queue(request: HttpRequest) -> HttpResponse:
    """Cases whose publicity has ended, with the evidence on one page; sign off one or many.

    Batch sign-off is a loop of the single service: each case is its own transition, event
    and documents, and a refusal of one does not stop the others. A case whose amount departs
    from its calculation is refused in a batch (`case_sign_off(batch=True)`): it is signed on
    its own page. Each row shows the calculation the amount rests on, line by line.
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
                services.case_sign_off(case=case, by=request.user, batch=True)
            except services.CaseActionError as exc:
                refused.append(f"{case.number}：{exc.message}")
            else:
                done.append(case.number)
        if done:
            messages.success(request, f"已审批同意{len(done)}件：{'、'.join(done)}。")
        for line in refused:
            messages.error(request, line)
        return redirect("leader_queue")
    # Pages without a count (it would read every awaiting case of the township): one row more
    # than the page tells whether there is a next one.
    number = min(search.id_param(request, "page") or 1, MAX_QUEUE_PAGE)
    start = (number - 1) * QUEUE_PAGE_SIZE
    townships = list(scoping.townships_for(request.user).values_list("pk", flat=True))
    rows = list(_queue(townships)[start:start + QUEUE_PAGE_SIZE + 1])
    emergencies = emergency_waiting(Case.objects.filter(township_id__in=townships),
                                    timezone.now())
    return render(request, "cases/leader_queue.html", {
        "emergencies": emergencies,
        "cases": rows[:QUEUE_PAGE_SIZE], "number": number,
        "has_next": len(rows) > QUEUE_PAGE_SIZE, "page_size": QUEUE_PAGE_SIZE,
        # Payee-account changes waiting for a leader of these townships (cases.payee).
        "account_changes_waiting": payee.pending_in(townships).count()})
