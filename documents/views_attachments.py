"""Attachment pages: a household's scans and photos, the upload form and the download.

Only staff who may see the household reach either page; anyone else gets a 404 that does not
reveal whether it exists. Every download is written to the look-up log.
"""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cases import scoping
from cases.audit_access import log_access
from cases.errors import CaseActionError
from cases.models import AccessLog
from documents.attachments import attachment_add, can_upload
from documents.models import Attachment, AttachmentKind


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label="材料类型", choices=AttachmentKind.choices)
    case = forms.ModelChoiceField(label="所属案件", queryset=None, required=False,
                                  empty_label="（不关联案件）")
    file = forms.FileField(label="文件", widget=forms.FileInput(
        attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = household.cases.order_by("-pk")
        self.fields["case"].label_from_instance = lambda case: case.number


@require_http_methods(["GET", "POST"])
def household_attachments(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's attachments, and the form to upload one more."""
    household = scoping.household_for_user(request.user, pk)
    allowed = can_upload(request.user, household)
    form = AttachmentForm(request.POST or None, request.FILES or None, household=household)
    status = 200
    if request.method == "POST":
        status = 400
        if not allowed:
            status = 403
            messages.error(request, "您无权为该家庭上传材料。")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                attachment_add(household=household, uploaded_file=data["file"],
                               kind=data["kind"], by=request.user, case=data["case"],
                               note=data["note"])
            except CaseActionError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, "材料已上传。")
                return redirect("household_attachments", pk=household.pk)
    log_access(request, AccessLog.Action.VIEW, "household_attachments", household.pk)
    attachments = household.attachments.select_related("uploaded_by", "case")
    return render(request, "documents/attachments.html", {
        "household": household, "form": form, "allowed": allowed, "attachments": attachments,
    }, status=status)


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored file (images as re-encoded), for staff who may see the household."""
    attachment = Attachment.objects.filter(
        pk=pk, household__in=scoping.households_visible_to(request.user),
    ).first()
    if attachment is None:
        raise Http404("未找到该材料，或您无权查看。")
    log_access(request, "view", "attachment", attachment.pk)
    stored = PurePath(attachment.file.name)
    stem = PurePath(attachment.original_name).stem or stored.stem
    name = f"{stem}{stored.suffix}"
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            filename=name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
