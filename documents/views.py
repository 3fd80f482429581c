"""Document pages: staff downloads and exports (scoped, logged) and the public check page.

Staff may download a document only if they may see its household (`cases.scoping`); anyone
else gets a 404 that does not reveal whether it exists. Every download and export is written
to the look-up log. The check page is public and shows no personal data.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from cases import scoping
from cases.audit_access import log_access
from cases.models import AccessLog, Case
from documents import archive, bundle
from documents.models import IssuedDocument
from documents.selectors import household_archive
from documents.services import normalize_code


def _file_response(content: bytes, filename: str, content_type: str, *,
                   attachment: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(attachment, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored PDF of one issued document, exactly as issued."""
    document = IssuedDocument.objects.filter(
        pk=pk, household__in=scoping.households_visible_to(request.user),
    ).first()
    if document is None:
        raise Http404("未找到该文书，或您无权查看。")
    log_access(request, AccessLog.Action.PRINT, "document", document.pk,
               detail=document.number)
    response = FileResponse(document.pdf.open("rb"), content_type="application/pdf",
                            filename=document.filename)
    response["Cache-Control"] = "private, no-store"
    return response


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
