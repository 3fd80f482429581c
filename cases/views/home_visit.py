"""The home-visit page (入户调查, S4), made for a phone at the door: one column, the camera as
the photo input, photos shrunk in the browser before upload, and the typed text kept on the
phone until the visit is saved — so a slow or broken connection loses nothing.

Without a network the page still opens (the service worker, `cases/static/cases/sw.js`, keeps
a copy) and a visit with its photos waits on the phone (`phone.js`, IndexedDB) until it can be
sent. The phone sends it to this same view with the header ``X-Phone-Queue: 1`` and gets JSON
back instead of a page: saved, already received (a resend), or refused with the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.names import person_name
from cases import scoping, services
from cases.errors import CaseActionError
from cases.permissions import Role, can_record_home_visit
from cases.verification import relatives, selectors
from cases.verification.forms import HomeVisitForm
from cases.workflow import CaseStatus

QUEUE_HEADER = "X-Phone-Queue"


def _queued(request: HttpRequest) -> bool:
    """Is this a visit sent by the phone's offline queue (answered in JSON)?"""
    return request.method == "POST" and request.headers.get(QUEUE_HEADER) == "1"


def home_visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = scoping.case_for_user(request.user, pk)
    queued = _queued(request)
    if not can_record_home_visit(case, request.user):
        if queued:
            return JsonResponse({"status": "refused", "message": "您不能录入该案件的入户调查。"},
                                status=403)
        raise PermissionDenied("您不能录入该案件的入户调查。")
    members = [m.person for m in selectors.current_members(case)]
    open_for_visit = case.status in (CaseStatus.INVESTIGATING, CaseStatus.RECHECK)
    user = request.user
    form = HomeVisitForm(request.POST or None, request.FILES or None, members=members,
                         initial={"members_present": members,
                                  "investigator_1": person_name(user),
                                  "seen_visit": case.home_visits.aggregate(
                                      n=Max("pk"))["n"] or 0})
    first, last = services.home_visit_period(case)
    form.limit_dates(first, last)
    # A visit kept offline is sent even when the case has moved on since: the service
    # refuses it with the reason, which the phone shows beside the visit it keeps.
    if request.method == "POST" and (open_for_visit or queued) and form.is_valid():
        try:
            visit = services.home_visit_record(case=case, by=request.user,
                                               **form.service_params())
        except CaseActionError as exc:
            if queued:
                received = exc.code == "already_received"
                return JsonResponse(
                    {"status": "already_received" if received else "refused",
                     "message": exc.message}, status=200 if received else 409)
            form.add_error(None, exc.message)
        else:
            text = f"入户调查已保存（{case.applicant.name}，照片{visit.photos.count()}张）。"
            if queued:
                return JsonResponse({"status": "saved", "message": text, "visit": visit.pk},
                                    status=201)
            messages.success(request, text)
            if scoping.has_role(request.user, Role.ASSISTANT):
                # Back to 我的村居 for the next house; `saved` lets the page drop the draft.
                return redirect(f"{reverse('assistant_home')}?saved={case.pk}")
            return redirect("home_visit_done", pk=case.pk)
    if queued:
        errors = [e for errs in form.errors.values() for e in errs]
        return JsonResponse({"status": "refused", "message": "；".join(errors)}, status=400)
    return render(request, "cases/home_visit/form.html", {
        "case": case, "form": form, "open_for_visit": open_for_visit,
        "flags": relatives.flags_for(case),
        "conflict": relatives.conflict_message(case, request.user),
        "is_assistant": scoping.has_role(request.user, Role.ASSISTANT),
    }, status=400 if form.errors else 200)


def home_visit_done(request: HttpRequest, pk: int) -> HttpResponse:
    """After saving: the visits of the case, short, so the phone can go to the next house."""
    case = scoping.case_for_user(request.user, pk)
    visits = case.home_visits.prefetch_related("photos").order_by("-visited_on", "-id")
    return render(request, "cases/home_visit/done.html", {
        "case": case, "visits": visits,
        "is_assistant": scoping.has_role(request.user, Role.ASSISTANT)})
