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
from django.views.decorators.http import require_GET, require_POST

from cases import scoping
from cases.audit_access import log_access
from cases.models import AccessLog, Case
from cases.permissions import Role
from documents import archive, batch, bundle
from documents.context import build_context, freeze
from documents.delivery import PhoneRecord, delivery_record
from documents.forms import DeliveryForm
from documents.kinds import APPLICANT_NOTICE_KINDS, DocumentKind
from documents.models import IssuedDocument
from documents.render import render_pdf
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


def _visible_case(user, pk: int) -> Case:
    case = Case.objects.filter(pk=pk, household__in=scoping.households_visible_to(user)).first()
    if case is None:
        raise Http404("未找到该案件，或您无权查看。")
    return case


@require_GET
def case_home_visit_form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The blank 入户调查表 (S4), pre-filled with the household, to take along on the visit.

    A printout, not an issued document: the filled-in table is issued when the visit is
    recorded (`cases.services.home_visit_record`)."""
    case = _visible_case(request.user, pk)
    log_access(request, AccessLog.Action.PRINT, "home_visit_form", case.pk)
    kind = DocumentKind.HOME_VISIT
    content = render_pdf(kind, freeze(build_context(kind, case=case, extra={"blank": True},
                                                    by=request.user)))
    return _file_response(content, f"入户调查表_{case.number}.pdf", "application/pdf",
                          attachment=False)


@require_GET
def document_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The 送达回证 of a notice (S16): the one issued with it, else an unnumbered printout."""
    document = _visible_document(request.user, pk)
    if document.kind not in APPLICANT_NOTICE_KINDS:
        raise Http404("该文书无需送达。")
    receipt = document.receipts.order_by("-issued_at", "-id").first()
    log_access(request, AccessLog.Action.PRINT, "delivery_receipt", document.pk,
               detail=receipt.number if receipt else document.number)
    if receipt is not None:
        with receipt.pdf.open("rb") as fh:
            content = fh.read()
        name = receipt.filename
    else:
        kind = DocumentKind.DELIVERY_RECEIPT
        content = render_pdf(kind, freeze(build_context(
            kind, case=document.case, extra={"document_id": document.pk}, by=request.user)))
        name = f"送达回证_{document.number}.pdf"
    return _file_response(content, name, "application/pdf", attachment=False)


@require_POST
def documents_batch_print(request: HttpRequest) -> HttpResponse:
    """Several cases' documents as one PDF (a POST of checked cases from the leader queue,
    the case list or the notices to deliver); only cases of the user's places, at most
    `batch.BATCH_LIMIT`. `scope=deliver` prints each case's notices still to deliver with
    their 送达回证; otherwise each case's current documents."""
    ids = request.POST.getlist("case")
    scope = request.POST.get("scope", "")
    try:
        found = batch.batch_documents(user=request.user, case_ids=ids, scope=scope)
    except DocumentError as exc:
        messages.error(request, exc.message)
        return render(request, "documents/pages/batch_print.html",
                      {"back": _safe_back(request), "limit": batch.BATCH_LIMIT}, status=400)
    log_access(request, AccessLog.Action.PRINT, "batch_print", "",
               detail="、".join(c.number for c in found.cases)[:200])
    name = f"批量打印_{timezone.localdate():%Y%m%d}_{len(found.cases)}件.pdf"
    return _file_response(batch.batch_pdf(found.documents), name, "application/pdf",
                          attachment=True)


def _safe_back(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return ""


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
