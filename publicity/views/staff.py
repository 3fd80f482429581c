"""Staff pages of the publicity work, scoped by `publicity.access` / `cases.scoping`: a user
outside a village's township (or, for an assistant, outside their villages) gets a 404.

Batch list and sheet, board sheet download (A4/A3), the export marked 公开版, the assistant's
posting confirmation, objections recorded by staff and their handling, the appraisal form.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import scoping
from cases.audit_access import log_access
from cases.errors import CaseActionError
from cases.models import AccessLog, Objection
from cases.workflow import CaseStatus
from publicity import access, printing, selectors, services
from publicity.disclosure import Medium, cn_date, disclose_batch
from publicity.forms import AppraisalForm, HandlingForm, PostingConfirmForm, StaffObjectionForm
from publicity.models import AppraisalRecord


@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    """Board sheets of the user's villages, newest first."""
    batches = access.batches_visible_to(request.user).select_related(
        "village", "township", "confirmed_by").annotate(n=Count("entries")).order_by(
        "-posted_on", "-pk")
    page = Paginator(batches, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "publicity/staff/batch_list.html",
                  {"page": page, "now": timezone.now()})


def _public_url(request, batch) -> str:
    return request.build_absolute_uri(reverse("public_village", args=[batch.village.code]))


@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access.batch_for_user(request.user, pk)
    log_access(request, AccessLog.Action.VIEW, "publicity_batch", batch.pk)
    return render(request, "publicity/staff/batch_detail.html", _detail_context(request, batch))


def _detail_context(request, batch, confirm_form=None) -> dict:
    user = request.user
    entries = batch.entries.select_related("case__applicant").order_by("seq")
    objections = list(selectors.batch_objections(batch))
    can_handle = {o.pk: access.can_handle_objection(o.case, user) for o in objections}
    return {
        "batch": batch,
        "entries": entries,
        "objections": [{"o": o, "detail": getattr(o, "publicity_detail", None),
                        "can_handle": can_handle[o.pk], "form": HandlingForm(prefix=f"h{o.pk}")}
                       for o in objections],
        "public_url": _public_url(request, batch),
        "confirm_form": (confirm_form or PostingConfirmForm())
        if access.can_confirm_posting(batch, user) else None,
        "now": timezone.now(),
        "in_publicity": CaseStatus.IN_PUBLICITY,
        "awaiting_appraisal": CaseStatus.AWAITING_APPRAISAL,
    }


@require_GET
def board_pdf(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    """The board sheet to print and post (A4 or A3)."""
    batch = access.batch_for_user(request.user, pk)
    if size not in printing.SIZES:
        raise Http404("没有该纸张规格。")
    try:
        content = printing.board_pdf(batch, public_url=_public_url(request, batch), size=size)
    except CaseActionError as exc:  # no hotline on file: say where the bureau fills it in
        messages.error(request, exc.message)
        return redirect("publicity_batch_detail", pk=batch.pk)
    log_access(request, AccessLog.Action.PRINT, "publicity_batch", batch.pk,
               detail=f"公示表{size.upper()}")
    response = HttpResponse(content, content_type="application/pdf")
    name = f"gongshi-{batch.village.code}-{batch.posted_on:%Y%m%d}-{size}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_GET
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The sheet as CSV marked 公开版: the disclosure policy's export fields (masked names);
    after the period only the count."""
    batch = access.batch_for_user(request.user, pk)
    sheet = disclose_batch(batch, Medium.EXPORT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{sheet.township}{sheet.village}社会救助审批公示（公开版）"])
    period = (f"公示期：{cn_date(sheet.period_start)}至{cn_date(sheet.period_end)}"
              if sheet.period_start else "公示期：尚未张贴，自确认张贴之日的次日起算")
    writer.writerow([period,
                     f"共{sheet.count}户"])
    writer.writerow([label for _key, label in sheet.columns])
    for row in sheet.rows:
        writer.writerow(row.cells)
    log_access(request, AccessLog.Action.EXPORT, "publicity_batch", batch.pk, detail="公开版")
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"gongshi-public-{batch.village.code}-{batch.posted_on:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The village assistant confirms the posting with a photo of the board."""
    batch = access.batch_for_user(request.user, pk)
    form = PostingConfirmForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.batch_confirm_posting(
                batch=batch, by=request.user, photo=form.cleaned_data["photo"],
                posted_at=form.cleaned_data["posted_at"],
                place=form.cleaned_data["posted_place"])
        except CaseActionError as exc:
            if exc.code == "forbidden":
                messages.error(request, exc.message)
                return redirect(batch)
            form.add_error("photo" if exc.code == "photo" else None, exc.message)
        else:
            messages.success(request, "已确认张贴。")
            return redirect(batch)
    batch.refresh_from_db()
    response = render(request, "publicity/staff/batch_detail.html",
                      _detail_context(request, batch, confirm_form=form))
    response.status_code = 400
    return response


@require_GET
def batch_photo(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access.batch_for_user(request.user, pk)
    if not batch.board_photo:
        raise Http404("尚未上传公示栏照片。")
    return FileResponse(batch.board_photo.open("rb"), content_type="image/jpeg")


@require_http_methods(["GET", "POST"])
def objection_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Record an objection made by phone, in person or by letter (clerk or assistant)."""
    case = scoping.case_for_user(request.user, case_pk)
    if request.method == "POST":
        form = StaffObjectionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                detail = services.objection_record_for_case(
                    case=case, by=request.user, content=d["content"], channel=d["channel"],
                    lodged_at=d["lodged_at"], submitter_name=d["submitter_name"],
                    submitter_contact=d["submitter_contact"])
            except CaseActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已登记公示异议，回执号 {detail.receipt}。")
                entry = detail.entry
                return redirect(entry.batch if entry else case)
    else:
        form = StaffObjectionForm()
    return render(request, "publicity/staff/objection_form.html",
                  {"case": case, "form": form,
                   "may_record": access.can_record_objection(case, request.user)},
                  status=400 if request.method == "POST" else 200)


@require_POST
def objection_handle(request: HttpRequest, pk: int) -> HttpResponse:
    """Write how an objection was handled."""
    objection = Objection.objects.filter(
        pk=pk, case__in=scoping.cases_visible_to(request.user)).select_related("case").first()
    if objection is None:
        raise Http404("未找到该异议，或您无权查看。")
    form = HandlingForm(request.POST, prefix=f"h{objection.pk}")
    target = getattr(getattr(objection.case, "publicity_entry", None), "batch", None) \
        or objection.case
    if not form.is_valid():
        messages.error(request, "请填写处理情况（不超过2000字）。")
        return redirect(target)
    try:
        services.objection_handle(objection=objection, by=request.user,
                                  handling=form.cleaned_data["handling"])
    except CaseActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已登记处理情况。")
    return redirect(target)


@require_http_methods(["GET", "POST"])
def appraisal_new(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Record the democratic appraisal with the signed record's scan (S10)."""
    case = scoping.case_for_user(request.user, case_pk)
    if request.method == "POST":
        form = AppraisalForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.appraisal_record(
                    case=case, by=request.user, held_on=d["held_on"], place=d["place"],
                    chair=d["chair"], recorder=d["recorder"], participants=d["participants"],
                    votes_for=d["votes_for"], votes_against=d["votes_against"],
                    votes_abstain=d["votes_abstain"], outcome=d["outcome"],
                    minutes=d["minutes"], scan=d["scan"])
            except CaseActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "已录入民主评议，案件转分管领导审批。")
                return redirect(case)
    else:
        form = AppraisalForm(initial={"held_on": timezone.localdate()})
    objections = case.objections.filter(kind=Objection.Kind.PUBLICITY).order_by("lodged_at")
    return render(request, "publicity/staff/appraisal_form.html", {
        "case": case, "form": form, "objections": objections,
        "may_record": case.status == CaseStatus.AWAITING_APPRAISAL
        and access.can_record_appraisal(case, request.user),
    }, status=400 if request.method == "POST" else 200)


@require_GET
def appraisal_scan(request: HttpRequest, pk: int) -> HttpResponse:
    record = AppraisalRecord.objects.filter(
        pk=pk, appraisal__case__in=scoping.cases_visible_to(request.user)).first()
    if record is None:
        raise Http404("未找到该扫描件，或您无权查看。")
    log_access(request, AccessLog.Action.VIEW, "appraisal_scan", record.pk)
    return FileResponse(record.scan.open("rb"), content_type=record.scan_type)
