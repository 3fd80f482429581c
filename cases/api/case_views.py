"""Cases in the user's scope (read): the list, one case with its clocks, trail, documents
and the moves the user may make."""

from django.db.models import F, Min, Q
from django.http import HttpRequest
from django.urls import reverse
from ninja import Path, Query, Router

from cases import scoping, search, services
from cases.api import serialize
from cases.api.params import MAX_ID, CaseQuery, page_of
from cases.api.schemas import ActionOut, CaseDetail, CasePage, ErrorOut, ObjectionIn
from cases.audit_access import log_access
from cases.deadlines import publicity_period
from cases.models import AccessLog, Case, DeadlineKind, DeadlineStatus
from cases.views.cases import SEARCH_PEOPLE_LIMIT
from documents.models import IssuedDocument

router = Router(tags=["案件"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def case_list_queryset(user, query: CaseQuery):
    cases = scoping.cases_visible_to(user).select_related("applicant", "village", "township")
    if query.status:
        cases = cases.filter(status=query.status)
    if query.kind:
        cases = cases.filter(kind=query.kind)
    if query.township:
        cases = cases.filter(township__code=query.township)
    if query.household:
        cases = cases.filter(household_id=query.household)
    q = query.q.strip()
    if q:
        match = (Q(number__icontains=q) | Q(applicant__name__startswith=q)
                 | Q(applicant__id_number=q.upper()))
        tail = search.id_tail(q)
        if tail:  # the last six characters of the applicant's ID number (cases in scope)
            match |= Q(applicant_id__in=search.people_with_id_tail(tail).order_by()
                       .values("pk")[:SEARCH_PEOPLE_LIMIT])
        cases = cases.filter(match)
    return cases.annotate(next_due=Min("deadlines__due_at", filter=Q(
        deadlines__status=DeadlineStatus.OPEN))).order_by(
        F("next_due").asc(nulls_last=True), "-applied_at", "-id")


@router.get("/cases/", response={200: CasePage, **ERRORS}, url_name="case_list",
            operation_id="case_list", summary="案件列表")
def case_list(request: HttpRequest, query: Query[CaseQuery]):
    """Cases the user may see, nearest open deadline first (as on the case list page)."""
    count, rows = page_of(case_list_queryset(request.user, query), query)
    if query.q.strip():
        log_access(request, AccessLog.Action.SEARCH, "case",
                   detail=search.log_term(query.q.strip(), "API检索"))
    return {"count": count, "page": query.page, "page_size": query.page_size,
            "results": [serialize.case(c) for c in rows]}


def actions_for(case, user) -> list[dict]:
    from cases.views.cases import ACTIONS

    return [{"name": a["name"], "label": a["label"], "clauses": list(a["clauses"]),
             "blocked_by": a["blocked_by"],
             "endpoint": reverse(f"api:case_{a['name']}", kwargs={"case_id": case.pk})}
            for a in services.available_actions(case, user) if a["name"] in ACTIONS]


def case_detail_data(case, user) -> dict:
    deadlines = serialize.with_state(case.deadlines.select_related("case")).order_by(
        "start_at", "pk")
    documents = IssuedDocument.objects.filter(case=case).select_related(
        "township", "superseded_by").order_by("issued_at", "pk")
    next_due = min((d.due_at for d in deadlines if d.status == DeadlineStatus.OPEN),
                   default=None)
    case.next_due = next_due
    publicity = next((d for d in reversed(list(deadlines)) if d.kind == DeadlineKind.PUBLICITY
                      and d.status != DeadlineStatus.CANCELLED), None)
    period = publicity_period(publicity.start_at, publicity.due_at) if publicity else None
    return {
        **serialize.case(case),
        "publicity": ({"posted_at": period.posted_at, "first_day": period.first_day,
                       "last_day": period.last_day, "ends_at": period.ends_at}
                      if period else None),
        "hardship": case.hardship, "proposed_amount": case.proposed_amount,
        "approved_amount": case.approved_amount, "covered_persons": case.covered_persons,
        "review_opinion": case.review_opinion, "decision_reason": case.decision_reason,
        "aid_amount": case.aid_amount,
        "assessment_id": case.assessment_id, "amount_overridden": case.amount_overridden,
        "override_reason": case.override_reason,
        "actions": actions_for(case, user),
        "deadlines": [serialize.deadline(d) for d in deadlines],
        "events": [serialize.event(e) for e in
                   case.events.select_related("actor").order_by("seq")],
        "documents": [serialize.document(d) for d in documents],
    }


@router.get("/cases/{case_id}/", response={200: CaseDetail, **ERRORS}, url_name="case_detail",
            operation_id="case_detail", summary="案件详情")
def case_detail(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)):
    """One case: clocks, trail, documents, and the moves this user may make from its state."""
    case = scoping.case_for_user(request.user, case_id)
    log_access(request, AccessLog.Action.VIEW, "case", case.pk, detail="API")
    return case_detail_data(case, request.user)


@router.get("/cases/{case_id}/actions/", response={200: list[ActionOut], **ERRORS},
            url_name="case_actions", operation_id="case_actions", summary="可执行的操作")
def case_actions(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)):
    """The moves this user may make now, with the conditions still missing for each."""
    case = scoping.case_for_user(request.user, case_id)
    return actions_for(case, request.user)


@router.post("/cases/{case_id}/objections/", response={200: CaseDetail, **ERRORS},
             url_name="case_objection", operation_id="case_objection",
             summary="登记公示异议")
def case_objection(request: HttpRequest, payload: ObjectionIn,
                   case_id: int = Path(..., ge=1, le=MAX_ID)):
    """Record an objection made during publicity in person, by phone or by letter, by the same
    service (and rule: only within the publicity period) as the case page and the public form;
    a refusal is a 400 with its Chinese message."""
    case = scoping.case_for_user(request.user, case_id)
    services.objection_record(case=case, by=request.user, content=payload.content,
                              channel=payload.channel, lodged_at=payload.lodged_at)
    case = Case.objects.select_related(
        "household", "applicant", "township", "village", "created_by").get(pk=case.pk)
    return case_detail_data(case, request.user)
