"""Clock supervision pages: clocks at risk or breached, the district's breaches per township,
and the periodic review (动态管理) form.

Every state shown here is computed from the database when the page is read (the same rule as
the sweep, `cases.sweep.at_risk_q` / `breached_q`); the pages work with the worker or Redis
down, and say so when reminders are lagging behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Concat, Left, StrIndex
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from cases import scoping, search, services
from cases.calendar import WorkCalendar, display_calendar
from cases.deadline_state import clock_rows, clock_state, time_left_label
from cases.errors import CaseActionError
from cases.models import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    OrgChange,
    Township,
    Village,
)
from cases.sweep import Cutoffs, at_risk_cutoffs, at_risk_q, breached_q, running_q
from cases.workflow import CaseStatus

STATES = {"at_risk": "临期", "breached": "已超期"}


class _Workdays:
    """Working days in (start, end] for the rows of one page: each pair of days is counted
    once (the calendar counts by per-year running totals, not day by day)."""

    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        self.counts: dict[tuple[dt.date, dt.date], int] = {}

    def count(self, start: dt.date, end: dt.date) -> int:
        key = (start, end)
        if key not in self.counts:
            self.counts[key] = self.calendar.count_workdays(start, end, provisional=True)
        return self.counts[key]


def _left_label(deadline: Deadline, now: dt.datetime, workdays: _Workdays) -> str:
    return time_left_label(deadline, now, workdays.count)


# The list counts at most this many clocks; the state counts of a larger scope are cached.
COUNT_CAP = 1_000
COUNTS_SECONDS = 60


def _latest_due(cutoffs: Cutoffs) -> dt.datetime:
    """The latest due moment of a clock breached (before `now`) or at risk (an hour clock up
    to `cutoffs.hours`, another before `cutoffs.workdays`): the outer bound of `at_risk_q`."""
    return max(cutoffs.now, cutoffs.hours, cutoffs.workdays)


class CappedPaginator(Paginator):
    """Counts at most `COUNT_CAP` + 1 clocks: the page is read in due order from the index,
    a full count would read every clock of the township. `counted`, if given, is the same
    clocks as the list, read another way for the count."""

    def __init__(self, object_list, per_page, *, counted=None):
        super().__init__(object_list, per_page)
        self.counted = object_list if counted is None else counted

    @cached_property
    def count(self) -> int:
        return self.counted.order_by()[:COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP


def _moved_villages(*, village_codes, township_codes=()) -> QuerySet[OrgChange]:
    """Reassignments of the villages (codes, or a subquery of them) or out of the townships
    (codes), as `cases.org.village_reassign` records them: the old value starts with the
    former township's code."""
    touched = Q(unit_code__in=village_codes)
    for code in township_codes:
        touched |= Q(old_value__startswith=f"{code} ")
    return OrgChange.objects.filter(touched, action=OrgChange.Action.REASSIGN)


def _scoped_clocks(user, latest_due: dt.datetime, townships: list[Township],
                   township: int | None):
    """Running clocks of the user's cases (`scoping.cases_visible_to`: those of the villages
    in scope; of `township` only, if given); the same clocks as far as they may be shown,
    read another way to be counted; and a key naming the scope for the cached counts.

    The page reads the clocks in due order and looks each case up: for a user of whole
    townships none of whose villages was ever moved in or out (one statement on the
    reassignments tells) by the user's townships, which then hold exactly the cases of the
    user's villages (a case keeps the township its village was in when it was opened,
    `Case.township`, S1); otherwise (an assistant's villages, a village moved) by the
    village list.

    The count reads the cases through `case_township_next_due_idx` (township, next_due_at)
    instead of every clock of the district by case: the clocks shown are due by
    `latest_due`, so their cases' nearest open due moment (`Case.next_due_at`) is no later;
    a village list is given the townships its villages are and were in. Neither condition
    is put on the page's own query: the planner would take them as independent of the
    village list and of the clocks' due moments, expect a few rows and sort them all. Nor
    on the count of the whole district: it stops after `COUNT_CAP` + 1 clocks read by case,
    which costs the same in a district of any size, while the cases of every township due
    by `latest_due` grow with it.

    None of this changes which clocks are shown or counted
    (tests/cases/test_deadline_scope.py). `townships` are the user's townships (every one
    for district staff), read for the township filter.
    """
    clocks = Deadline.objects.filter(running_q())
    if township is not None:
        clocks = clocks.filter(case__township_id=township)
    due_by = Q(case__next_due_at__lte=latest_due)
    if scoping.sees_whole_district(user):
        return clocks, clocks if township is None else clocks.filter(due_by), "all"
    ids = sorted(t.pk for t in townships)
    if ids and not scoping.assistant_village_ids(user) and not _moved_villages(
            village_codes=Village.objects.filter(township_id__in=ids).values("code"),
            township_codes=sorted(t.code for t in townships)).exists():
        clocks = clocks.filter(case__township_id__in=ids)
        return clocks, clocks.filter(due_by), f"t{','.join(map(str, ids))}"
    places = list(scoping.villages_for(user).values_list("pk", "township_id", "code"))
    villages = sorted(pk for pk, _, _ in places)
    held = {township for _, township, _ in places}
    if places:
        former = _moved_villages(village_codes=[code for _, _, code in places]).annotate(
            code=Left("old_value", StrIndex(Concat("old_value", Value(" ")), Value(" ")) - 1))
        held |= set(Township.objects.filter(code__in=former.values("code"))
                    .values_list("pk", flat=True))
    digest = hashlib.sha256(",".join(map(str, villages)).encode()).hexdigest()[:16]
    clocks = clocks.filter(case__village_id__in=villages)
    return clocks, clocks.filter(due_by, case__township_id__in=sorted(held)), f"v{digest}"


def _counts(clocks, breached, at_risk, key: str, *, small: bool) -> dict[str, int]:
    """Clocks breached, at risk, and breached without a reminder. Read live for a scope of at
    most `COUNT_CAP` clocks at risk or breached; for a larger one, cached `COUNTS_SECONDS`."""
    def read():
        return clocks.aggregate(
            breached=Count("pk", filter=breached), at_risk=Count("pk", filter=at_risk),
            unreminded=Count("pk", filter=breached & Q(breached_at__isnull=True)))
    if small:
        return read()
    key = f"deadline_list:counts:{key}"
    counts = cache.get(key)
    if counts is None:
        counts = read()
        cache.set(key, counts, COUNTS_SECONDS)
    return counts


@require_GET
def deadline_list(request: HttpRequest) -> HttpResponse:
    """Clocks at risk or breached in the user's townships (the whole district for the bureau),
    most overdue first."""
    now = timezone.now()
    state = search.term(request, "state")
    kind = search.term(request, "kind")
    township = search.term(request, "township", max_length=20)
    calendar = display_calendar()  # display only: the page cache's overrides and years
    cutoffs = at_risk_cutoffs(now, calendar=calendar)
    breached, at_risk = breached_q(now), at_risk_q(cutoffs)
    townships = list(scoping.townships_for(request.user).order_by("code"))
    clocks, counted, scope_key = _scoped_clocks(
        request.user, _latest_due(cutoffs), townships,
        search.id_value(township))
    of_kind = Q(kind=kind) if kind in DeadlineKind.values else Q()
    listed = {"breached": breached, "at_risk": at_risk}.get(state, breached | at_risk)
    clocks = clocks.filter(of_kind, listed).select_related(
        "case", "case__township", "case__village", "case__applicant").order_by("due_at", "pk")
    paginator = CappedPaginator(clocks, settings.LIST_PAGE_SIZE,
                                counted=counted.filter(of_kind, listed))
    shown = counted.filter(of_kind, breached | at_risk)
    everything = paginator if state not in STATES else CappedPaginator(
        shown, settings.LIST_PAGE_SIZE)
    counts = _counts(shown, breached, at_risk, f"{scope_key}:{township}:{kind}",
                     small=not everything.capped)
    page = paginator.get_page(request.GET.get("page"))
    workdays = _Workdays(calendar)
    rows = []
    for deadline in page:
        code, label = clock_state(deadline, now, calendar)
        rows.append({"deadline": deadline, "state": code, "state_label": label,
                     "left": _left_label(deadline, now, workdays)})
    query = {k: v for k, v in (("state", state), ("kind", kind), ("township", township)) if v}
    return render(request, "cases/deadline_list.html", {
        "page": page, "rows": rows, "state": state, "kind": kind, "township": township,
        "states": STATES, "kinds": DeadlineKind.choices, "townships": townships,
        "counts": counts, "now": now, "count_cap": COUNT_CAP,
        "querystring": "&".join(f"{k}={v}" for k, v in query.items()),
    })


@require_GET
def deadline_district(request: HttpRequest) -> HttpResponse:
    """For the district bureau: breached (and at-risk) clocks per township, by clock."""
    if not scoping.sees_whole_district(request.user):
        raise PermissionDenied("仅区民政局可查看全区时限统计。")
    now = timezone.now()
    calendar = display_calendar()  # display only: the page cache's overrides and years
    breached, at_risk = breached_q(now), at_risk_q(at_risk_cutoffs(now, calendar=calendar))
    kinds = [k for k in DeadlineKind if k != DeadlineKind.PUBLICITY]
    annotations = {
        "breached": Count("pk", filter=breached),
        "at_risk": Count("pk", filter=at_risk),
        "unreminded": Count("pk", filter=breached & Q(breached_at__isnull=True)),
    }
    for k in kinds:
        annotations[f"breached_{k.value}"] = Count("pk", filter=breached & Q(kind=k))
    # Every clock at risk or breached in the district is counted, so the cases' nearest due
    # moment (as on the township list) would not end the read early: reading every
    # township's cases due by then and looking their clocks up one by one costs about as
    # much as reading the clocks.
    shown = Deadline.objects.filter(running_q()).filter(breached | at_risk)

    def read():
        return {row["case__township_id"]: row for row in
                shown.values("case__township_id").annotate(**annotations).order_by()}
    # A district with more than `COUNT_CAP` clocks at risk or breached: read at most once
    # every `COUNTS_SECONDS` (a GROUP BY over all of them); a smaller one is read live.
    if not CappedPaginator(shown, settings.LIST_PAGE_SIZE).capped:
        per_township = read()
    else:
        per_township = cache.get("deadline_district:per_township")
        if per_township is None:
            per_township = read()
            cache.set("deadline_district:per_township", per_township, COUNTS_SECONDS)
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
                                help_text="仅在“调整保障金”时填写；留空则按最新的保障金额计算结果。")
    override_reason = forms.CharField(
        label="与计算结果不一致的理由", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="调整后金额与保障金额计算结果不一致时必须填写；该案件将被标注，不能批量审批。")
    reason = forms.CharField(label="调整或停止的理由", required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="调整保障金或停止保障时必须填写，将写入告知书。")

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
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
                                              amount=d.get("amount"), reason=d["reason"],
                                              override_reason=d.get("override_reason", ""))
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
