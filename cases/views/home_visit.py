"""The home-visit page (入户调查, S4), made for a phone at the door: one column, the camera as
the photo input, photos shrunk in the browser before upload, and the typed text kept on the
phone until the visit is saved — so a slow or broken connection loses nothing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cases import scoping, services
from cases.errors import CaseActionError
from cases.permissions import can_record_home_visit
from cases.verification import relatives, selectors
from cases.verification.forms import HomeVisitForm
from cases.workflow import CaseStatus


def home_visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = scoping.case_for_user(request.user, pk)
    if not can_record_home_visit(case, request.user):
        raise PermissionDenied("您不能录入该案件的入户调查。")
    members = [m.person for m in selectors.current_members(case)]
    open_for_visit = case.status in (CaseStatus.INVESTIGATING, CaseStatus.RECHECK)
    form = HomeVisitForm(request.POST or None, request.FILES or None, members=members,
                         initial={"members_present": members})
    first, last = services.home_visit_period(case)
    form.limit_dates(first, last)
    if request.method == "POST" and open_for_visit and form.is_valid():
        try:
            visit = services.home_visit_record(case=case, by=request.user,
                                               **form.service_params())
        except CaseActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"入户调查已保存（照片{visit.photos.count()}张）。")
            return redirect("home_visit_done", pk=case.pk)
    return render(request, "cases/home_visit/form.html", {
        "case": case, "form": form, "open_for_visit": open_for_visit,
        "flags": relatives.flags_for(case),
        "conflict": relatives.conflict_message(case, request.user),
    }, status=400 if form.errors else 200)


def home_visit_done(request: HttpRequest, pk: int) -> HttpResponse:
    """After saving: the visits of the case, short, so the phone can go to the next house."""
    case = scoping.case_for_user(request.user, pk)
    visits = case.home_visits.prefetch_related("photos").order_by("-visited_on", "-id")
    return render(request, "cases/home_visit/done.html", {"case": case, "visits": visits})
