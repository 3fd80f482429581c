"""Evidence recorded on a case through the API: the home visit (入户调查, S4).

The body is checked by the case page's own form (`cases.forms_case.HomeVisitForm`) and
recorded by the same service (`services.home_visit_record`), so what the page refuses — a
single investigator, a date before the acceptance or after today — is refused here in the
same words, as a 400 (a 403 when the user may not record visits of the case).
"""

from django.http import HttpRequest
from ninja import Path, Router, Status

from cases import scoping, services
from cases.api import schemas as s
from cases.api.errors import FormRefused
from cases.api.params import MAX_ID
from cases.forms_case import HomeVisitForm

router = Router(tags=["案件办理"])
ERRORS = {400: s.ErrorOut, 403: s.ErrorOut, 404: s.ErrorOut}


@router.post("/cases/{case_id}/home-visits/", response={201: s.HomeVisitOut, **ERRORS},
             url_name="case_home_visit", operation_id="case_home_visit", summary="录入入户调查")
def case_home_visit(request: HttpRequest, payload: s.HomeVisitIn,
                    case_id: int = Path(..., ge=1, le=MAX_ID)):
    """录入入户调查：调查日期须在案件受理之日至今天之间，调查人员至少两人；与案件页面同一服务办理。"""
    case = scoping.case_for_user(request.user, case_id)
    form = HomeVisitForm(data={"visited_on": payload.visited_on.isoformat(),
                               "investigators": "\n".join(payload.investigators),
                               "findings": payload.findings})
    if not form.is_valid():
        raise FormRefused(form)
    visit = services.home_visit_record(case=case, by=request.user, **form.cleaned_data)
    return Status(201, {"id": visit.pk, "case_id": case.pk, "visited_on": visit.visited_on,
                        "investigators": visit.investigators, "findings": visit.findings})
