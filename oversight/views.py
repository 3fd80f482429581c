"""The bureau's dashboard (全区总览), its Excel download, and the spot-check pages (抽查)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cases.errors import CaseActionError
from oversight import access, services
from oversight.charts import Series, bar_chart, line_chart
from oversight.dashboard import build_dashboard
from oversight.excel import dashboard_workbook
from oversight.forms import AnswerForm, CloseForm, DrawForm, FindingForm
from oversight.models import Finding

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_dashboard(user) -> None:
    if not access.can_view_dashboard(user):
        raise PermissionDenied("仅区民政局工作人员可查看全区总览。")


@require_GET
def bureau_dashboard(request: HttpRequest) -> HttpResponse:
    """Per-township figures, trends as server-drawn SVG, live open cases and clocks."""
    _require_dashboard(request.user)
    board = build_dashboard()
    labels = [f"{m.month}月" for m in board.months]
    volume = bar_chart("全区每月申请与决定（件）", labels, [
        Series("申请", [p.totals.applications for p in board.trend], "#2563eb"),
        Series("批准", [p.totals.approvals for p in board.trend], "#059669"),
        Series("不予批准", [p.totals.rejections for p in board.trend], "#d97706"),
    ])
    speed = line_chart("申请至决定用时中位数（工作日）", labels, [
        Series("全区中位数", [p.totals.median_workdays for p in board.trend], "#7f1d1d"),
    ], limit=board.limit, limit_label=f"时限{board.limit}个工作日")
    return render(request, "oversight/dashboard.html", {
        "board": board, "charts": [volume, speed],
        "may_spot_check": access.can_run_spot_checks(request.user),
    })


@require_GET
def bureau_dashboard_excel(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request.user)
    board = build_dashboard()
    response = HttpResponse(dashboard_workbook(board), content_type=XLSX)
    name = f"dashboard-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def bureau_dashboard_refresh(request: HttpRequest) -> HttpResponse:
    """Queue a refresh of the aggregates now (the beat schedule runs it every 5 minutes)."""
    _require_dashboard(request.user)
    from oversight.tasks import refresh_dashboard_task

    refresh_dashboard_task.delay()
    messages.success(request, "已提交统计数据更新，稍后刷新本页即可看到最新数据。")
    return redirect("bureau_dashboard")


# --- Spot checks --------------------------------------------------------------------------

@require_GET
def spot_check_list(request: HttpRequest) -> HttpResponse:
    checks = (access.spot_checks_visible_to(request.user)
              .select_related("township", "created_by")
              .annotate(n_items=Count("items"),
                        n_problems=Count("items", filter=Q(items__finding=Finding.PROBLEM)))
              .order_by("-created_at", "-pk"))
    return render(request, "oversight/spot_check_list.html", {
        "checks": checks[:200], "may_spot_check": access.can_run_spot_checks(request.user),
    })


def spot_check_new(request: HttpRequest) -> HttpResponse:
    if not access.can_run_spot_checks(request.user):
        raise PermissionDenied("仅区民政局工作人员可以开展抽查。")
    form = DrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check = services.spot_check_draw(
                township=data["township"], decided_from=data["decided_from"],
                decided_to=data["decided_to"], size=data["size"], percent=data["percent"],
                seed=data["seed"], by=request.user)
        except CaseActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已抽取{check.items.count()}件案件。")
            return redirect(check)
    return render(request, "oversight/spot_check_new.html", {"form": form})


@require_GET
def spot_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = access.spot_check_for_user(request.user, pk)
    items = list(check.items.select_related("case", "case__village", "found_by",
                                            "answered_by").order_by("position"))
    may_review = access.can_run_spot_checks(request.user) and check.status == "open"
    may_answer = access.can_answer(check, request.user) and check.status == "open"
    reproduce = services.spot_check_reproduce(check) if request.GET.get("reproduce") else None
    return render(request, "oversight/spot_check_detail.html", {
        "check": check, "items": items, "may_review": may_review, "may_answer": may_answer,
        "events": check.events.select_related("actor", "item").order_by("at", "pk"),
        "reproduce": reproduce, "finding_choices": Finding.choices,
        "problems": sum(1 for i in items if i.finding == Finding.PROBLEM),
        "close_form": CloseForm(),
    })


def _apply(request: HttpRequest, action, success: str) -> None:
    """Run a spot-check service: a refusal of role is a 403, any other refusal a message."""
    try:
        action()
    except CaseActionError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


@require_POST
def spot_check_finding(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.item_for_user(request.user, pk)
    form = FindingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择抽查结果：正常或有问题。")
        return redirect(item.spot_check)
    _apply(request, lambda: services.spot_check_record_finding(
        item=item, finding=form.cleaned_data["finding"], text=form.cleaned_data["text"],
        by=request.user), f"已记录第{item.position}件的抽查结果。")
    return redirect(item.spot_check)


@require_POST
def spot_check_answer(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.item_for_user(request.user, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写答复内容。")
        return redirect(item.spot_check)
    _apply(request, lambda: services.spot_check_answer(
        item=item, text=form.cleaned_data["text"], by=request.user),
        f"已答复第{item.position}件的抽查结果。")
    return redirect(item.spot_check)


@require_POST
def spot_check_close(request: HttpRequest, pk: int) -> HttpResponse:
    check = access.spot_check_for_user(request.user, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写抽查结论。")
        return redirect(check)
    _apply(request, lambda: services.spot_check_close(
        check=check, conclusion=form.cleaned_data["conclusion"], by=request.user), "抽查已结束。")
    return redirect(check)
