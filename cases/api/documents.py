"""Issued documents of the households in the user's scope: metadata and the stored PDF."""

from django.http import FileResponse, Http404, HttpRequest
from ninja import Path, Query, Router

from cases import scoping
from cases.api import serialize
from cases.api.params import MAX_ID, DocumentQuery, page_of
from cases.api.schemas import DocumentOut, DocumentPage, ErrorOut
from cases.audit_access import log_access
from cases.models import AccessLog
from documents.models import IssuedDocument

router = Router(tags=["文书"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def documents_visible_to(user):
    """The same rule as the download page: documents of households the user may see."""
    return IssuedDocument.objects.filter(
        household__in=scoping.households_visible_to(user),
    ).select_related("township", "superseded_by")


def _document(user, document_id: int) -> IssuedDocument:
    document = documents_visible_to(user).filter(pk=document_id).first()
    if document is None:
        raise Http404("未找到该文书，或您无权查看。")
    return document


@router.get("/documents/", response={200: DocumentPage, **ERRORS}, url_name="document_list",
            operation_id="document_list", summary="文书列表")
def document_list(request: HttpRequest, query: Query[DocumentQuery]):
    documents = documents_visible_to(request.user)
    if query.kind:
        documents = documents.filter(kind=query.kind)
    if query.case:
        documents = documents.filter(case_id=query.case)
    if query.household:
        documents = documents.filter(household_id=query.household)
    count, rows = page_of(documents.order_by("-issued_at", "-pk"), query)
    return {"count": count, "page": query.page, "page_size": query.page_size,
            "results": [serialize.document(d) for d in rows]}


@router.get("/documents/{document_id}/", response={200: DocumentOut, **ERRORS},
            url_name="document_detail", operation_id="document_detail", summary="文书信息")
def document_detail(request: HttpRequest, document_id: int = Path(..., ge=1, le=MAX_ID)):
    return serialize.document(_document(request.user, document_id))


PDF_RESPONSE = {"responses": {"200": {
    "description": "出具时保存的PDF原件",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


@router.get("/documents/{document_id}/pdf/", response={**ERRORS}, url_name="document_pdf",
            operation_id="document_pdf", summary="文书PDF", openapi_extra=PDF_RESPONSE)
def document_pdf(request: HttpRequest, document_id: int = Path(..., ge=1, le=MAX_ID)):
    """The stored PDF exactly as issued; written to the look-up log like a page download."""
    document = _document(request.user, document_id)
    log_access(request, AccessLog.Action.PRINT, "document", document.pk,
               detail=f"API {document.number}"[:200])
    response = FileResponse(document.pdf.open("rb"), content_type="application/pdf",
                            filename=document.filename)
    response["Cache-Control"] = "private, no-store"
    return response
