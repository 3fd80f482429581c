"""Verification pages: the officer's verification page (queries, results, reports), result
import, watermarked print and export, authorization scans, the assessment page, the bureau's
access-log review, and relatives of staff (近亲属备案).

Every page that shows verification data goes through `cases.verification.access.guard`,
which refuses (and logs the refusal) or logs the look-up once.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.names import person_name
from cases import scoping, search
from cases.audit_access import log_access
from cases.errors import CaseActionError
from cases.models import (
    AccessLog,
    Case,
    HomeVisitPhoto,
    Person,
    StaffPost,
    VerificationReport,
    VerificationRequest,
)
from cases.permissions import Role, can_record_authorization
from cases.verification import access, export, relatives, selectors
from cases.verification import services as vs
from cases.verification import sources as adapters
from cases.verification.forms import (
    AssessmentForm,
    AuthorizationScanForm,
    CancelForm,
    CompileForm,
    ImportForm,
    QueryForm,
    RelativeForm,
)
from cases.verification.importer import MAX_BYTES as IMPORT_MAX_BYTES
from cases.verification.importer import ImportFailed, results_import
from lanshan_aid.client_address import client_ip

A = access.A


def _refused(request: HttpRequest, message: str, case: Case | None = None) -> HttpResponse:
    return render(request, "cases/verification/refused.html",
                  {"message": message, "case": case}, status=403)


def _members(case: Case) -> list[Person]:
    return [m.person for m in selectors.current_members(case)]


# --- The officer's verification page ---------------------------------------------------------
def verification_case(request: HttpRequest, pk: int) -> HttpResponse:
    """Members × sources, requests and results, the reports, and the query and compile forms."""
    case = scoping.case_for_user(request.user, pk)
    try:
        access.guard(case, request.user, A.VIEW, purpose="查看核对结果",
                     source="全部", ip=client_ip(request))
    except CaseActionError as exc:
        return _refused(request, exc.message, case)
    return render(request, "cases/verification/case.html", _case_context(request, case))


def _case_context(request, case, query_form=None, compile_form=None) -> dict:
    members = Person.objects.filter(pk__in=[p.pk for p in _members(case)])
    can_query = not access.refusal(case, request.user, A.QUERY)
    enabled = adapters.enabled_adapters()
    return {
        "case": case,
        "rows": selectors.matrix(case),
        "sources": adapters.VS.choices,
        "reports": selectors.reports_of(case),
        "pending": case.verification_requests.filter(
            status=VerificationRequest.Status.PENDING).select_related("person"),
        "can_query": can_query,
        "query_form": query_form or QueryForm(members=members, adapters=enabled,
                                              prefix="q"),
        "compile_form": compile_form or CompileForm(prefix="c"),
        "cancel_form": CancelForm(prefix="x"),
        "flags": relatives.flags_for(case),
        "watermark": export.watermark(request.user),
    }


@require_POST
def verification_query(request: HttpRequest, pk: int) -> HttpResponse:
    case = scoping.case_for_user(request.user, pk)
    members = Person.objects.filter(pk__in=[p.pk for p in _members(case)])
    form = QueryForm(request.POST, members=members, adapters=adapters.enabled_adapters(),
                     prefix="q")
    if form.is_valid():
        d = form.cleaned_data
        try:
            created = vs.verification_query(
                case=case, by=request.user, sources=d["sources"], purpose=d["purpose"],
                persons=list(d["persons"]) or None, channel=d["channel"],
                ip=client_ip(request))
        except CaseActionError as exc:
            messages.error(request, exc.message)
        else:
            answered = sum(1 for r in created
                           if r.status == VerificationRequest.Status.ANSWERED)
            messages.success(request, f"已发起{len(created)}项核对请求"
                             + (f"，{answered}项已反馈。" if answered else
                                "，请下载核对申请表提交市核对平台。"))
        return redirect("verification_case", pk=case.pk)
    try:
        access.guard(case, request.user, A.VIEW, purpose="查看核对结果", source="全部",
                     ip=client_ip(request))
    except CaseActionError as exc:
        return _refused(request, exc.message, case)
    messages.error(request, "请检查填写的内容。")
    return render(request, "cases/verification/case.html",
                  _case_context(request, case, query_form=form), status=400)


@require_POST
def verification_compile(request: HttpRequest, pk: int) -> HttpResponse:
    case = scoping.case_for_user(request.user, pk)
    form = CompileForm(request.POST, prefix="c")
    if not form.is_valid():
        messages.error(request, "请填写核对结论。")
        return redirect("verification_case", pk=case.pk)
    try:
        report = vs.report_compile(case=case, by=request.user,
                                   conclusion=form.cleaned_data["conclusion"],
                                   ip=client_ip(request))
    except CaseActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已生成家庭经济状况{'复查' if report.is_recheck else '核对'}"
                                  f"报告第{report.version}版。")
    return redirect("verification_case", pk=case.pk)


@require_POST
def verification_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    vr = get_object_or_404(VerificationRequest, pk=pk)
    case = scoping.case_for_user(request.user, vr.case_id)
    form = CancelForm(request.POST, prefix="x")
    if not form.is_valid():
        messages.error(request, "请填写作废原因。")
    else:
        try:
            vs.verification_request_cancel(request=vr, by=request.user,
                                           reason=form.cleaned_data["reason"],
                                           ip=client_ip(request))
        except CaseActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"核对请求{vr.number}已作废。")
    return redirect("verification_case", pk=case.pk)


def verification_request_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The pending requests as the workbook the city platform takes (an export: logged)."""
    case = scoping.case_for_user(request.user, pk)
    try:
        access.guard(case, request.user, A.EXPORT, purpose="导出核对申请表（报送市核对平台）",
                     ip=client_ip(request))
    except CaseActionError as exc:
        return _refused(request, exc.message, case)
    pending = (case.verification_requests.filter(status=VerificationRequest.Status.PENDING,
                                                 channel=adapters.PlatformFileSource.code)
               .select_related("person", "authorization", "requested_by").order_by("number"))
    content = adapters.PlatformFileSource.request_sheet(
        list(pending), watermark=export.watermark(request.user))
    return _download(content, f"核对申请表-{case.number}.xlsx")


def _download(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "no-store"
    return response


# --- Import ---------------------------------------------------------------------------------
def verification_import(request: HttpRequest) -> HttpResponse:
    """Upload the result file of the city platform; every error listed by row and column."""
    if not access.is_designated_officer(request.user):
        return _refused(request, "只有持有有效保密协议的核对专员才能导入核对结果。")
    errors = []
    outcome = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            # Read no more than one byte past the limit: the importer refuses the rest.
            content = upload.read(IMPORT_MAX_BYTES + 1)
            outcome = results_import(file_name=upload.name, content=content,
                                     by=request.user, ip=client_ip(request))
        except ImportFailed as exc:
            errors = [str(e) for e in exc.errors]
            messages.error(request, exc.message)
        except CaseActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, outcome.message)
    cases = Case.objects.filter(pk__in=outcome.case_ids) if outcome else Case.objects.none()
    return render(request, "cases/verification/import.html",
                  {"form": form, "errors": errors, "outcome": outcome, "cases": cases},
                  status=400 if errors else 200)


# --- Print and export (watermarked) ----------------------------------------------------------
def _report(request, pk) -> VerificationReport:
    report = get_object_or_404(VerificationReport.objects.select_related("case", "recorded_by",
                                                                         "previous"), pk=pk)
    scoping.case_for_user(request.user, report.case_id)
    return report


def verification_report_print(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    try:
        access.guard(report.case, request.user, A.PRINT, purpose="打印核对报告",
                     source="全部", ip=client_ip(request), detail=f"第{report.version}版")
    except CaseActionError as exc:
        return _refused(request, exc.message, report.case)
    now = timezone.now()
    return render(request, "cases/verification/report_print.html", {
        "report": report, "case": report.case, "snapshot": report.snapshot or {},
        "changes": selectors.snapshot_changes(report),
        "watermark": export.watermark(request.user, now), "tiles": range(24),
    })


def verification_report_export(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    try:
        access.guard(report.case, request.user, A.EXPORT, purpose="导出核对报告",
                     source="全部", ip=client_ip(request), detail=f"第{report.version}版")
    except CaseActionError as exc:
        return _refused(request, exc.message, report.case)
    content = export.report_xlsx(report, user=request.user)
    return _download(content, f"核对报告-{report.case.number}-第{report.version}版.xlsx")


# --- Authorization scans (S2) ---------------------------------------------------------------
def authorization_scans(request: HttpRequest, pk: int) -> HttpResponse:
    """Each adult member's authorization and its scan; the clerk uploads the signed forms."""
    case = scoping.case_for_user(request.user, pk)
    allowed = can_record_authorization(case, request.user)
    adults = case.adult_members()
    auths = {a.person_id: a for a in case.authorizations.all()}
    need = [p for p in adults if p.pk not in auths or not auths[p.pk].scan]
    people = Person.objects.filter(pk__in=[p.pk for p in need])
    form = None
    if allowed and need:
        form = AuthorizationScanForm(request.POST or None, request.FILES or None, people=people,
                                     prefix="a")
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("您不能录入该案件的核对授权书。")
        if form.is_valid():
            from cases import services

            d = form.cleaned_data
            try:
                services.authorization_record(case=case, person=d["person"],
                                              signed_on=d["signed_on"], by=request.user,
                                              scan=d["scan"])
            except CaseActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已录入{d['person'].name}的核对授权书扫描件。")
                return redirect("authorization_scans", pk=case.pk)
    rows = [{"person": p, "auth": auths.get(p.pk)} for p in adults]
    return render(request, "cases/verification/authorizations.html",
                  {"case": case, "rows": rows, "form": form,
                   "flags": relatives.flags_for(case)},
                  status=400 if form is not None and form.errors else 200)


# --- Assessment -----------------------------------------------------------------------------
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole calculation (latest version) and, for the reviewer, the form to recompute."""
    case = scoping.case_for_user(request.user, pk)
    members = _members(case)
    latest = case.assessments.order_by("-version").select_related("computed_by").first()
    report = vs.latest_report(case)
    can_compute = vs.can_assess(case, request.user) and case.status in vs.ASSESS_STATUSES
    initial_assets = {}
    if report is not None:
        a = vs.report_assets(report)
        initial_assets = {"financial": a.financial, "homes": a.homes,
                          "commercial": a.commercial, "cars": a.cars,
                          "exempt_vehicles": a.exempt_vehicles, "businesses": a.businesses,
                          "state_paid": a.state_paid}
    form = AssessmentForm(request.POST or None, case=case, members=members,
                          initial_assets=initial_assets, prefix="m") if can_compute else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("您不能计算该案件的保障金额。")
        if form.is_valid():
            try:
                result = vs.assessment_record(case=case, by=request.user,
                                              **form.service_params())
            except CaseActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已计算（第{result.version}版）："
                                          f"{'符合' if result.eligible else '不符合'}条件，"
                                          f"金额{result.amount}元。")
                return redirect("assessment", pk=case.pk)
    return render(request, "cases/verification/assessment.html", {
        "case": case, "latest": latest, "form": form, "report": report,
        "history": case.assessments.order_by("-version").select_related("computed_by"),
        "flags": relatives.flags_for(case),
    }, status=400 if form is not None and form.errors else 200)


# --- The bureau's access-log review ---------------------------------------------------------
def _bureau_only(user) -> None:
    if not (scoping.has_role(user, Role.BUREAU, Role.SYSADMIN, Role.AUDITOR)
            or getattr(user, "is_superuser", False)):
        raise PermissionDenied("只有区民政局工作人员可以查看此页面。")


def _date_param(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def access_log(request: HttpRequest) -> HttpResponse:
    """Every look-up at verification data, filtered by user and dates; unusual days flagged."""
    _bureau_only(request.user)
    user_id = search.id_param(request, "user")
    date_from = _date_param(search.term(request, "from", max_length=10))
    date_to = _date_param(search.term(request, "to", max_length=10))
    only_refused = request.GET.get("refused") == "1"
    qs = selectors.access_log(user_id=user_id, date_from=date_from, date_to=date_to,
                              only_refused=only_refused)
    page = Paginator(qs, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    flags = selectors.unusual_days(selectors.access_log(user_id=user_id, date_from=date_from,
                                                         date_to=date_to))
    users = get_user_model().objects.filter(verification_accesses__isnull=False).distinct() \
        .order_by("username")
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "cases/verification/access_log.html", {
        "page": page, "flags": flags, "users": users, "user_id": user_id,
        "params": params.urlencode(),
        "date_from": date_from, "date_to": date_to, "only_refused": only_refused,
    })


# --- Relatives of staff (近亲属备案) ----------------------------------------------------------
def relatives_page(request: HttpRequest) -> HttpResponse:
    """Declarations the user made or may see, and the form to declare one."""
    from cases.models import Township, Village

    user = request.user
    if not scoping.roles_of(user) and not user.is_superuser:
        raise PermissionDenied("您没有可用的角色。")
    townships = scoping.townships_for(user)
    villages = scoping.villages_for(user)
    if not townships.exists() and villages.exists():
        townships = Township.objects.filter(pk__in=villages.values("township_id"))
    initial = {"staff_name": person_name(user),
               "township": townships.first()}
    if scoping.has_role(user, Role.ASSISTANT):
        # An assistant declares for the post and village they work in (S20).
        own = scoping.villages_for(user).order_by("code").first()
        initial.update(post=StaffPost.ASSISTANT, village=own,
                       township=own.township if own else initial["township"])
    form = RelativeForm(request.POST or None, townships=townships,
                        villages=villages if villages.exists() else Village.objects.none(),
                        initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            relatives.relative_declare(
                by=user, staff_user=user if d["for_myself"] else None,
                staff_name=d["staff_name"], post=d["post"], township=d["township"],
                village=d.get("village"), relative_name=d["relative_name"],
                relative_id_number=d["relative_id_number"], relationship=d["relationship"],
                declared_on=d["declared_on"], note=d.get("note", ""))
        except CaseActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已备案。")
            return redirect("relatives")
    rows = relatives.declarations_visible_to(user).select_related(
        "township", "village").order_by("-declared_on", "-id")
    page = Paginator(rows, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/verification/relatives.html",
                  {"form": form, "page": page}, status=400 if form.errors else 200)


def relative_cases(request: HttpRequest) -> HttpResponse:
    """The district bureau's separate list of applications from declared relatives."""
    _bureau_only(request.user)
    cases = relatives.relative_cases().select_related("applicant", "township", "village") \
        .order_by("-applied_at", "-id")
    page = Paginator(cases, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    flags = relatives.flags_by_case(page)
    rows = [{"case": c, "flags": flags[c.pk]} for c in page]
    return render(request, "cases/verification/relative_cases.html",
                  {"page": page, "rows": rows})


# --- Home-visit photos ------------------------------------------------------------------------
def home_visit_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A home-visit photo, to users who may see the case."""
    photo = HomeVisitPhoto.objects.select_related("visit").filter(pk=pk).first()
    if photo is None:
        raise Http404("未找到该照片。")
    scoping.case_for_user(request.user, photo.visit.case_id)
    log_access(request, AccessLog.Action.VIEW, "home_visit_photo", photo.pk,
               detail=f"入户调查照片（案件{photo.visit.case_id}）")
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    # A personal file like any other: not kept by the browser or any proxy.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def verification_home(request: HttpRequest) -> HttpResponse:
    """The officer's start page: cases of their townships awaiting verification."""
    if not scoping.has_role(request.user, Role.VERIFIER):
        raise PermissionDenied("只有核对专员可以查看此页面。")
    agreement = access.current_agreement(request.user)
    cases = (scoping.cases_visible_to(request.user)
             .filter(status__in=list(access.QUERY_STATUSES))
             .select_related("applicant", "village").order_by("applied_at"))
    page = Paginator(cases, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/verification/home.html", {
        "agreement": agreement, "page": page,
        "import_url": reverse("verification_import"),
    })
