"""Households in the user's scope (read-only)."""

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Path, Query, Router

from cases import scoping, search
from cases.api import serialize
from cases.api.params import MAX_ID, HouseholdQuery, page_of
from cases.api.schemas import ErrorOut, HouseholdDetail, HouseholdPage
from cases.audit_access import log_access
from cases.models import AccessLog
from cases.views.households import _search

router = Router(tags=["家庭"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/households/", response={200: HouseholdPage, **ERRORS}, url_name="household_list",
            operation_id="household_list", summary="家庭列表")
def household_list(request: HttpRequest, query: Query[HouseholdQuery]):
    """Households the user may see, newest change first; `q` searches like the home page."""
    q = query.q.strip()
    households = _search(scoping.households_visible_to(request.user), q)
    if query.village:
        households = households.filter(village__code=query.village)
    households = households.select_related("village__township", "head").annotate(
        member_count=Count("memberships", filter=Q(memberships__ended_on__isnull=True)),
    ).order_by("-updated_at", "-id")
    count, rows = page_of(households, query)
    if q:
        log_access(request, AccessLog.Action.SEARCH, "household",
                   detail=search.log_term(q, "API检索"))
    return {"count": count, "page": query.page, "page_size": query.page_size,
            "results": [serialize.household(h) for h in rows]}


@router.get("/households/{household_id}/", response={200: HouseholdDetail, **ERRORS},
            url_name="household_detail", operation_id="household_detail", summary="家庭详情")
def household_detail(request: HttpRequest, household_id: int = Path(..., ge=1, le=MAX_ID)):
    household = scoping.household_for_user(request.user, household_id)
    log_access(request, AccessLog.Action.VIEW, "household", household.pk, detail="API")
    members = list(household.current_members())
    household.member_count = len(members)
    cases = household.cases.order_by("-applied_at", "-id")
    return {**serialize.household(household),
            "members": [serialize.member(m) for m in members],
            "cases": [serialize.case_brief(c) for c in cases]}
