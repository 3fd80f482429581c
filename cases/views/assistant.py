"""The village assistant's home page (我的村居), made for a phone on a slow line.

One column and three short lists, each for the assistant's own villages only: households
waiting for a home visit (S4), board sheets to post and confirm (S6), and cases in publicity
whose objections the assistant may record (S10). Every item links to the page that does the
work; this page only finds it. The number of queries does not grow with the number of rows,
and each list is capped so the page stays small.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import scoping, search
from cases.audit_access import log_access
from cases.models import AccessLog, Case, HomeVisit, Objection
from cases.permissions import Role
from cases.workflow import CaseStatus
from publicity.models import PublicityBatch

# Rows shown per list; the rest are counted ("还有N件") and found on the full lists.
LIST_LIMIT = 20
# States in which a home visit is recorded (核对与入户调查, and during a recheck).
VISIT_STATES = (CaseStatus.INVESTIGATING, CaseStatus.RECHECK)
SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "cases" / "sw.js"


def visits_to_do(village_ids: list[int]):
    """Cases of the villages in the investigation stage with no home visit recorded yet."""
    return (Case.objects.filter(village_id__in=village_ids, status__in=VISIT_STATES)
            .filter(~Exists(HomeVisit.objects.filter(case=OuterRef("pk"))))
            .select_related("applicant", "village", "household")
            .order_by("accepted_at", "pk"))


def boards_running(village_ids: list[int], now):
    """Board sheets of the villages still to be posted or whose period has not ended:
    unconfirmed ones first."""
    return (PublicityBatch.objects.filter(Q(ends_at__gte=now) | Q(confirmed_at__isnull=True),
                                          village_id__in=village_ids)
            .select_related("village")
            .annotate(n=Count("entries"))
            .order_by(F("confirmed_at").asc(nulls_first=True), "posted_on", "pk"))


def cases_in_publicity(village_ids: list[int]):
    """Cases on display in the villages, where an objection may still be recorded."""
    return (Case.objects.filter(village_id__in=village_ids, status=CaseStatus.IN_PUBLICITY)
            .select_related("applicant", "village", "publicity_entry")
            .annotate(n_objections=Count("objections", filter=Q(
                objections__kind=Objection.Kind.PUBLICITY)))
            .order_by(F("publicity_entry__ends_at").asc(nulls_first=True), "pk"))


def _capped(queryset) -> tuple[list, int]:
    """The first `LIST_LIMIT` rows and how many more there are: two queries, however many
    rows there are."""
    total = queryset.count()
    return list(queryset[:LIST_LIMIT]), max(total - LIST_LIMIT, 0)


@require_GET
def assistant_home(request: HttpRequest) -> HttpResponse:
    """我的村居: what is waiting in the assistant's villages."""
    user = request.user
    if not scoping.has_role(user, Role.ASSISTANT):
        raise PermissionDenied("本页面供村(社区)协理员使用。")
    villages = list(scoping.villages_for(user).order_by("code"))
    village_ids = [v.pk for v in villages]
    now = timezone.now()
    visits, visits_more = _capped(visits_to_do(village_ids))
    boards, boards_more = _capped(boards_running(village_ids, now))
    on_display, on_display_more = _capped(cases_in_publicity(village_ids))
    log_access(request, AccessLog.Action.VIEW, "assistant_home",
               detail=f"我的村居：{len(visits)}户待入户，{len(on_display)}户公示中")
    return render(request, "cases/assistant/home.html", {
        "villages": villages,
        "visits": visits, "visits_more": visits_more,
        "boards": boards, "boards_more": boards_more,
        "on_display": on_display, "on_display_more": on_display_more,
        "now": now,
        # The case whose visit was just saved: the page drops its draft from the phone.
        "saved_case": _saved_case(request),
    })


def _saved_case(request: HttpRequest) -> int | None:
    return search.id_param(request, "saved")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The phone's service worker (`cases/static/cases/sw.js`), served at the site root so
    its scope covers 我的村居 and the home-visit pages (a script under /static/ could only
    control /static/). Like every page it needs a login: it is registered from signed-in
    pages, and an update check after the session ended is redirected to the login page,
    which the browser counts as a failed update and keeps the worker it has."""
    body = SERVICE_WORKER.read_bytes()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response
