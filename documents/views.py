"""Document pages: staff downloads and exports (scoped, logged) and the public check page.

Staff may download a document only if they may see its household (`cases.scoping`); anyone
else gets a 404 that does not reveal whether it exists. Every download and export is written
to the look-up log. The check page is public and shows no personal data.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from cases import scoping
from cases.audit_access import log_access
from cases.models import AccessLog, Case
from cases.permissions import Role
from documents import archive, bundle
from documents.delivery import PhoneRecord, delivery_record
from documents.forms import DeliveryForm
from documents.kinds import APPLICANT_NOTICE_KINDS
from documents.models import IssuedDocument
from documents.selectors import household_archive
from documents.services import DocumentError, normalize_code

# Who records deliveries: the township's staff and the village's assistant (not the bureau).
DELIVERY_ROLES = (Role.CLERK, Role.LEADER, Role.VERIFIER, Role.ASSISTANT)


def _file_response(content: bytes, filename: str, content_type: str, *,
                   attachment: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(attachment, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored PDF of one issued document, exactly as issued."""
    document = _visible_document(request.user, pk)
    log_access(request, AccessLog.Action.PRINT, "document", document.pk,
               detail=document.number)
    response = FileResponse(document.pdf.open("rb"), content_type="application/pdf",
                            filename=document.filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _visible_document(user, pk: int) -> IssuedDocument:
    document = IssuedDocument.objects.filter(
        pk=pk, household__in=scoping.households_visible_to(user),
    ).select_related("case", "household").first()
    if document is None:
        raise Http404("未找到该文书，或您无权查看。")
    return document


def document_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a delivery of a notice to the applicant, with the phone record if it failed."""
    document = _visible_document(request.user, pk)
    if document.kind not in APPLICANT_NOTICE_KINDS:
        raise Http404("该文书无需送达。")
    allowed = scoping.has_role(request.user, *DELIVERY_ROLES)
    form = DeliveryForm(request.POST or None, request.FILES or None,
                        initial={"address": document.household.address})
    if request.method == "POST" and allowed and form.is_valid():
        data = form.cleaned_data
        phone = None
        if form.has_phone_record():
            phone = PhoneRecord(phone_number=data["phone_number"], called_at=data["called_at"],
                                called_by=request.user, spoke_with=data["spoke_with"],
                                content=data["content"])
        try:
            delivery_record(
                document=document, method=data["method"], attempted_at=data["attempted_at"],
                by=request.user, outcome=data["outcome"], recipient=data["recipient"],
                recipient_relation=data["recipient_relation"], address=data["address"],
                failure_reason=data["failure_reason"], witnesses=data["witnesses"],
                tracking_number=data["tracking_number"], receipt_scan=data["receipt_scan"],
                note=data["note"], phone=phone,
            )
        except DocumentError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "送达记录已保存。")
            return redirect("document_deliver", pk=document.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "documents/pages/deliver.html", {
        "document": document, "form": form, "allowed": allowed,
        "deliveries": document.deliveries.select_related("staff").prefetch_related(
            "phone_notifications"),
    }, status=status)


@require_GET
def household_archive_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The household file's index (卷内目录) with links to each document."""
    household = scoping.household_for_user(request.user, pk)
    log_access(request, AccessLog.Action.VIEW, "household_archive", household.pk)
    return render(request, "documents/pages/archive.html", {
        "household": household, "entries": household_archive(household),
    })


@require_GET
def household_archive_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    household = scoping.household_for_user(request.user, pk)
    log_access(request, AccessLog.Action.EXPORT, "household_archive", household.pk,
               detail="合并PDF")
    name = f"一户一档_{household.pk}_{timezone.localdate():%Y%m%d}.pdf"
    return _file_response(archive.archive_pdf(household), name, "application/pdf",
                          attachment=True)


@require_GET
def household_archive_zip(request: HttpRequest, pk: int) -> HttpResponse:
    household = scoping.household_for_user(request.user, pk)
    log_access(request, AccessLog.Action.EXPORT, "household_archive", household.pk,
               detail="ZIP")
    name = f"一户一档_{household.pk}_{timezone.localdate():%Y%m%d}.zip"
    return _file_response(archive.archive_zip(household), name, "application/zip",
                          attachment=True)


@require_GET
def case_bundle_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The pre-filled signature bundle of one acceptance visit (S15), for printing."""
    case = Case.objects.filter(
        pk=pk, household__in=scoping.households_visible_to(request.user),
    ).first()
    if case is None:
        raise Http404("未找到该案件，或您无权查看。")
    log_access(request, AccessLog.Action.PRINT, "case_bundle", case.pk)
    return _file_response(bundle.bundle_pdf(case, by=request.user),
                          f"申请材料_{case.number}.pdf", "application/pdf", attachment=False)


# --- Public -------------------------------------------------------------------------------
@login_not_required
@require_GET
def verify_lookup(request: HttpRequest) -> HttpResponse:
    """The public form where a code printed on a document is typed in."""
    code = normalize_code(request.GET.get("code", ""))
    if code:
        return redirect("verify_document", code=code)
    return render(request, "documents/pages/verify.html", {"lookup": True})


@login_not_required
@require_GET
def document_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public check of a document's authenticity: kind, number, issuer, date, valid or not.

    No personal data: no names, ID numbers, amounts or case numbers.
    """
    document = (IssuedDocument.objects.filter(code=normalize_code(code))
                .select_related("township", "superseded_by").first())
    if document is None:
        response = render(request, "documents/pages/verify.html", {"not_found": True,
                                                                    "code": code[:20]})
        response.status_code = 404
        return response
    replacement = document.superseded_by if document.is_superseded else None
    return render(request, "documents/pages/verify.html", {"found": {
        "title": document.title,
        "number": document.number,
        "issuer": document.township.name,
        "issued_on": timezone.localdate(document.issued_at),
        "superseded": replacement is not None,
        "replacement_number": replacement.number if replacement else "",
        "replacement_on": timezone.localdate(replacement.issued_at) if replacement else None,
        "code_display": document.code_display,
    }})
