"""Clock supervision pages: clocks at risk or breached, the district's breaches per township,
and the periodic review (动态管理) form.

Every state shown here is computed from the database when the page is read (the same rule as
the sweep, `cases.sweep.at_risk_q` / `breached_q`); the pages work with the worker or Redis
down, and say so when reminders are lagging behind.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import scoping, services
from cases.calendar import WorkCalendar
from cases.deadline_state import clock_rows, clock_state
from cases.errors import CaseActionError
from cases.models import Deadline, DeadlineKind, DeadlineStatus, DeadlineUnit, Township
from cases.sweep import at_risk_cutoffs, at_risk_q, breached_q, running_q
from cases.workflow import CaseStatus

STATES = {"at_risk": "临期", "breached": "已超期"}


def _left_label(deadline: Deadline, now: dt.datetime, calendar: WorkCalendar) -> str:
    if deadline.unit == DeadlineUnit.HOUR:
        hours = (deadline.due_at - now).total_seconds() / 3600
        return f"剩余{hours:.1f}小时" if hours >= 0 else f"已超{-hours:.1f}小时"
    today, due_day = timezone.localdate(now), timezone.localdate(deadline.due_at)
    if due_day >= today:
        return f"剩余{calendar.count_workdays(today, due_day, provisional=True)}个工作日"
    return f"已超{calendar.count_workdays(due_day, today, provisional=True)}个工作日"


@require_GET
def deadline_list(request: HttpRequest) -> HttpResponse:
    """Clocks at risk or breached in the user's townships (the whole district for the bureau),
    most overdue first."""
    now = timezone.now()
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    township = request.GET.get("township", "")
    breached, at_risk = breached_q(now), at_risk_q(at_risk_cutoffs(now))
    clocks = Deadline.objects.filter(running_q(),
                                     case__in=scoping.cases_visible_to(request.user))
    townships = scoping.townships_for(request.user).order_by("code")
    if township.isdigit():
        clocks = clocks.filter(case__township_id=int(township))
    if kind in DeadlineKind.values:
        clocks = clocks.filter(kind=kind)
    counts = clocks.aggregate(
        breached=Count("pk", filter=breached), at_risk=Count("pk", filter=at_risk),
        unreminded=Count("pk", filter=breached & Q(breached_at__isnull=True)))
    if state == "breached":
        clocks = clocks.filter(breached)
    elif state == "at_risk":
        clocks = clocks.filter(at_risk)
    else:
        clocks = clocks.filter(breached | at_risk)
    clocks = clocks.select_related("case", "case__township", "case__village",
                                   "case__applicant").order_by("due_at", "pk")
    page = Paginator(clocks, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    calendar = WorkCalendar()
    rows = []
    for deadline in page:
        code, label = clock_state(deadline, now, calendar)
        rows.append({"deadline": deadline, "state": code, "state_label": label,
                     "left": _left_label(deadline, now, calendar)})
    query = {k: v for k, v in (("state", state), ("kind", kind), ("township", township)) if v}
    return render(request, "cases/deadline_list.html", {
        "page": page, "rows": rows, "state": state, "kind": kind, "township": township,
        "states": STATES, "kinds": DeadlineKind.choices, "townships": townships,
        "counts": counts, "now": now,
        "querystring": "&".join(f"{k}={v}" for k, v in query.items()),
    })


@require_GET
def deadline_district(request: HttpRequest) -> HttpResponse:
    """For the district bureau: breached (and at-risk) clocks per township, by clock."""
    if not scoping.sees_whole_district(request.user):
        raise PermissionDenied("仅区民政局可查看全区时限统计。")
    now = timezone.now()
    breached, at_risk = breached_q(now), at_risk_q(at_risk_cutoffs(now))
    kinds = [k for k in DeadlineKind if k != DeadlineKind.PUBLICITY]
    annotations = {
        "breached": Count("pk", filter=breached),
        "at_risk": Count("pk", filter=at_risk),
        "unreminded": Count("pk", filter=breached & Q(breached_at__isnull=True)),
    }
    for k in kinds:
        annotations[f"breached_{k.value}"] = Count("pk", filter=breached & Q(kind=k))
    per_township = {
        row["case__township_id"]: row for row in
        Deadline.objects.filter(running_q()).filter(breached | at_risk)
        .values("case__township_id").annotate(**annotations).order_by()
    }
    rows, totals = [], dict.fromkeys(annotations, 0)
    for t in Township.objects.order_by("code"):
        found = per_township.get(t.pk, {})
        row = {"township": t, **{key: found.get(key, 0) for key in annotations}}
        row["by_kind"] = [row[f"breached_{k.value}"] for k in kinds]
        for key in annotations:
            totals[key] += row[key]
        rows.append(row)
    rows.sort(key=lambda r: (-r["breached"], -r["at_risk"], r["township"].code))
    totals["by_kind"] = [totals[f"breached_{k.value}"] for k in kinds]
    return render(request, "cases/deadline_district.html", {
        "rows": rows, "totals": totals, "kinds": kinds, "now": now,
    })


# --- Periodic review (动态管理) -----------------------------------------------------------------

class PeriodicReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="复核结果", widget=forms.RadioSelect,
        choices=[(k, v) for k, v in services.ReviewOutcome.LABELS.items()])
    note = forms.CharField(label="复核情况", widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(label="调整后保障金额(元/月)", required=False,
                                min_value=Decimal("0.01"), max_digits=10, decimal_places=2,
                                help_text="仅在“调整保障金”时填写。")
    reason = forms.CharField(label="调整或停止的理由", required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="调整保障金或停止保障时必须填写，将写入告知书。")

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome == services.ReviewOutcome.ADJUST and not data.get("amount"):
            self.add_error("amount", "调整保障金时请填写调整后的金额。")
        if outcome in (services.ReviewOutcome.ADJUST, services.ReviewOutcome.STOP) and \
                not (data.get("reason") or "").strip():
            self.add_error("reason", "调整保障金或停止保障时必须写明理由。")
        return data


def case_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the periodic review of an approved household: continue, adjust or stop."""
    case = scoping.case_for_user(request.user, pk)
    if request.method == "POST":
        form = PeriodicReviewForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.case_periodic_review(case=case, by=request.user,
                                              outcome=d["outcome"], note=d["note"],
                                              amount=d.get("amount"), reason=d["reason"])
            except CaseActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "动态管理复核结果已录入。")
                return redirect(case)
    else:
        form = PeriodicReviewForm()
    review_clocks = [row for row in clock_rows(case)
                     if row.deadline.kind == DeadlineKind.PERIODIC_REVIEW]
    months, able = (services.review_interval_months(case, timezone.localdate())
                    if case.kind in settings.PERIODIC_REVIEW_MONTHS else (None, False))
    response = render(request, "cases/case_review.html", {
        "case": case, "form": form, "review_clocks": review_clocks,
        "open_review": any(r.deadline.status == DeadlineStatus.OPEN for r in review_clocks),
        "can_review": case.status == CaseStatus.APPROVED, "months": months,
        "able_to_work": able, "members": case.household.current_members(),
    })
    if request.method == "POST":
        response.status_code = 400
    return response
