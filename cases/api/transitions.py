"""Workflow moves: POST /api/cases/{id}/transitions/{action}/, one endpoint per action.

Each endpoint takes the fields of the action's form on the case page, validates them with
that same form (`cases.views.cases.ACTIONS`) and runs the same service, so the API can do
nothing the page cannot and refuses in the same words: a refused move is a 400 (a 403 when
the user may not make it) with the service's Chinese message.
"""

# No `from __future__ import annotations` here: the endpoints are built in a loop, and
# django-ninja reads each one's body type from its real (not stringified) annotation.

import base64
import binascii

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from ninja import Path, Router

from cases import forms_case as f
from cases import scoping
from cases.api import schemas as s
from cases.api.case_views import case_detail_data
from cases.api.errors import FormRefused
from cases.api.params import MAX_ID
from cases.errors import CaseActionError
from cases.models import Case
from cases.views.cases import ACTIONS
from cases.workflow import CaseWorkflow

router = Router(tags=["案件办理"])
ERRORS = {400: s.ErrorOut, 403: s.ErrorOut, 404: s.ErrorOut}

# The request body of each action form (same field names, so `form.cleaned_data` is what the
# page would have passed to the service).
BODIES: dict[type, type[s.Schema]] = {
    f.NoteForm: s.NoteIn,
    f.WithdrawForm: s.WithdrawIn,
    f.ReasonForm: s.ReasonIn,
    f.RecheckForm: s.RecheckIn,
    f.ProposeApprovalForm: s.ProposeApprovalIn,
    f.AdjustForm: s.AdjustIn,
    f.GiveAidForm: s.GiveAidIn,
    f.RegisterEmergencyForm: s.RegisterEmergencyIn,
    f.AppraisalForm: s.AppraisalIn,
}


FILE_FIELDS = {"scan_base64": "scan"}  # body field (Base64) -> the form's file field


def form_files(payload: s.Schema) -> dict:
    """The body's Base64 files as the form's uploads (a file the page would post)."""
    files = {}
    for name, field in FILE_FIELDS.items():
        value = getattr(payload, name, None)
        if value:
            try:
                content = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CaseActionError(field, "扫描件须为Base64编码的PDF、JPG或PNG文件。") from exc
            files[field] = SimpleUploadedFile(
                getattr(payload, "scan_name", "scan") or "scan", content)
    return files


def form_data(payload: s.Schema) -> dict[str, str]:
    """The body as the form would receive it from the page (strings, one line per person)."""
    data = {}
    for name, value in payload.model_dump().items():
        if value is None or name in FILE_FIELDS or name == "scan_name":
            continue
        if isinstance(value, bool):
            data[name] = "on" if value else ""
        elif name == "participants":
            data[name] = "\n".join(f"{p['name']}，{p['capacity']}".rstrip("，")
                                   for p in value)
        else:
            data[name] = str(value)
    return data


def _label(name: str) -> str:
    method = getattr(CaseWorkflow, name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        return name
    for t in meta.transitions.values():
        return t.custom.get("label", name)
    return name


def _make_endpoint(name: str):
    spec = ACTIONS[name]
    body = BODIES[spec.form]

    def endpoint(request: HttpRequest, payload, case_id: int = Path(..., ge=1, le=MAX_ID)):
        case = scoping.case_for_user(request.user, case_id)
        form = spec.form(data=form_data(payload), files=form_files(payload))
        if not form.is_valid():
            raise FormRefused(form)
        spec.run(case, request.user, form.cleaned_data)
        case = Case.objects.select_related(
            "household", "applicant", "township", "village", "created_by").get(pk=case.pk)
        return case_detail_data(case, request.user)

    endpoint.__annotations__["payload"] = body
    endpoint.__name__ = f"case_{name}"
    endpoint.__doc__ = (f"{_label(name)}：请求体与案件页面上该操作的表单字段相同，"
                        "由同一服务办理；不允许时返回 400/403 及中文说明。")
    router.post(f"/cases/{{case_id}}/transitions/{name}/", response={200: s.CaseDetail, **ERRORS},
                url_name=f"case_{name}", operation_id=f"case_{name}",
                summary=_label(name))(endpoint)


for _name in ACTIONS:
    _make_endpoint(_name)
