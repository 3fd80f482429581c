"""Clocks of the cases in the user's scope (read)."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from cases import scoping
from cases.api import serialize
from cases.api.params import DeadlineQuery, page_of
from cases.api.schemas import DeadlinePage, ErrorOut
from cases.models import Deadline

router = Router(tags=["办理时限"])


@router.get("/deadlines/", response={200: DeadlinePage, 400: ErrorOut, 403: ErrorOut},
            url_name="deadline_list", operation_id="deadline_list", summary="办理时限")
def deadline_list(request: HttpRequest, query: Query[DeadlineQuery]):
    """Clocks of the cases the user may see, earliest due first; `state` as on the
    supervision page (breached, at_risk) or paused."""
    now = timezone.now()
    clocks = Deadline.objects.filter(case__in=scoping.cases_visible_to(request.user))
    if query.status:
        clocks = clocks.filter(status=query.status)
    if query.kind:
        clocks = clocks.filter(kind=query.kind)
    if query.case:
        clocks = clocks.filter(case_id=query.case)
    if query.state:
        clocks = clocks.filter(serialize.STATE_FILTERS[query.state](now))
    clocks = serialize.with_state(clocks.select_related("case"), now).order_by("due_at", "pk")
    count, rows = page_of(clocks, query)
    return {"count": count, "page": query.page, "page_size": query.page_size,
            "results": [serialize.deadline(d) for d in rows]}
