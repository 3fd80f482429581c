"""What the bureau's dashboard shows, read in a fixed number of queries.

Historical figures come from `TownshipMonthStat` (12 townships × 12 months, refreshed in the
background by `oversight.aggregates.refresh_dashboard`). The live figures — open cases by
state, cases with a clock at risk / breached, approval tables not yet acknowledged — are one
grouped query each, answered from indexes (the first two recomputed once a minute and cached,
see `live_counts`): `Case(township, status, …)` for the open cases,
`Case(township, next_due_at, …)` bounded by the at-risk cut-off for the clocks (the case's
nearest open due moment, so no join over every open clock), and
`DistrictReport(acknowledged_at, …)` for the inbox.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from cases.calendar import missing_calendar_message
from cases.models import Case, Township
from cases.sweep import at_risk_cutoffs
from cases.workflow import LIVE_STATUSES, OPEN_STATUSES, CaseStatus
from oversight.aggregates import (
    DASHBOARD_MONTHS,
    DECISION_LIMIT_WORKDAYS,
    last_months,
    median_of,
    merge_histograms,
)
from oversight.models import DashboardRefresh, TownshipMonthStat

LIVE_CACHE_KEY = "oversight:live-counts:v2"
# Kept a little longer than the beat's one-minute warm-up, so a request always finds them.
LIVE_CACHE_SECONDS = 90

# Open states in the order of the procedure.
OPEN_STATES = [s for s in CaseStatus if s in OPEN_STATUSES]


@dataclass
class Totals:
    applications: int = 0
    approvals: int = 0
    rejections: int = 0
    approved_amount: Decimal = Decimal("0")
    timed_decisions: int = 0
    over_limit: int = 0
    reports_received: int = 0
    histogram: Counter = field(default_factory=Counter)

    def add(self, stat: TownshipMonthStat) -> None:
        self.applications += stat.applications
        self.approvals += stat.approvals
        self.rejections += stat.rejections
        self.approved_amount += stat.approved_amount
        self.timed_decisions += stat.timed_decisions
        self.over_limit += stat.over_limit
        self.reports_received += stat.reports_received
        for days, count in (stat.workdays_histogram or {}).items():
            self.histogram[int(days)] += int(count)

    @property
    def median_workdays(self) -> Decimal | None:
        return median_of(self.histogram)  # ≤ a few dozen distinct values: cheap

    @property
    def median_over_limit(self) -> bool:
        median = self.median_workdays
        return median is not None and median > DECISION_LIMIT_WORKDAYS


@dataclass
class TownshipRow:
    township: Township
    totals: Totals
    open_by_state: list[int]
    open_total: int
    at_risk: int
    breached: int
    reports_unacknowledged: int
    overridden: int = 0


@dataclass
class MonthPoint:
    month: dt.date
    totals: Totals


@dataclass
class Dashboard:
    rows: list[TownshipRow]
    district: TownshipRow
    trend: list[MonthPoint]
    open_states: list[CaseStatus]
    refreshed_at: dt.datetime | None
    live_at: dt.datetime
    refresh_duration_ms: int | None
    calendar_warning: str | None
    now: dt.datetime
    months: list[dt.date]
    limit: int = DECISION_LIMIT_WORKDAYS


def live_counts(township_ids: list[int], *, now: dt.datetime | None = None,
                use_cache: bool = True) -> dict:
    """Open cases by township and state, and cases with a clock at risk / breached by
    township: computed at most once a minute and shared by every request.

    Both are counts over every open case (index-only scans, `township_id IN (…)` on the
    `(township, status, …)` and `(township, next_due_at, …)` indexes) and grow with the
    district: about 35 + 15 ms at 300,000 households. The beat task `oversight.warm_live_counts`
    recomputes them every minute (``use_cache=False``), so a request reads them from the cache;
    a request that finds none (worker down) computes them itself.

    Returns:
        {"at": moment computed, "townships": ids, "open": {(township, state): n},
        "clocks": {township: (at_risk, breached)},
        "overrides": {township: live cases whose amount departs from the calculation}}
    """
    if use_cache:
        cached = cache.get(LIVE_CACHE_KEY)
        if cached is not None and cached.get("townships") == list(township_ids):
            return cached
    now = now or timezone.now()
    open_counts = {
        (row["township_id"], row["status"]): row["n"]
        for row in Case.objects.filter(township_id__in=township_ids,
                                       status__in=list(OPEN_STATUSES))
        .values("township_id", "status").annotate(n=Count("pk")).order_by()
    }
    # Cases whose nearest open clock (`Case.next_due_at`, kept by the services) is past due,
    # or due before the 4th working day from today (the sweep's at-risk cut-off).
    cutoff = at_risk_cutoffs(now).workdays
    clocks = {
        row["township_id"]: (row["at_risk"], row["breached"]) for row in
        Case.objects.filter(township_id__in=township_ids, next_due_at__lt=cutoff)
        .values("township_id")
        .annotate(breached=Count("pk", filter=Q(next_due_at__lt=now)),
                  at_risk=Count("pk", filter=Q(next_due_at__gte=now)))
        .order_by()
    }
    # Live cases (open or in payment) whose amount departs from its calculation
    # (`Case.amount_overridden`, partial index): the bureau sees them per township.
    overrides = dict(
        Case.objects.filter(township_id__in=township_ids, amount_overridden=True,
                            status__in=list(LIVE_STATUSES))
        .values("township_id").annotate(n=Count("pk")).values_list("township_id", "n")
        .order_by())
    data = {"at": now, "townships": list(township_ids), "open": open_counts, "clocks": clocks,
            "overrides": overrides}
    cache.set(LIVE_CACHE_KEY, data, LIVE_CACHE_SECONDS)
    return data


def build_dashboard(*, now: dt.datetime | None = None) -> Dashboard:
    from documents.models import DistrictReport

    now = now or timezone.now()
    today = timezone.localdate(now)
    months = last_months(today, DASHBOARD_MONTHS)
    townships = list(Township.objects.order_by("code"))

    per_township = {t.pk: Totals() for t in townships}
    per_month = {m: Totals() for m in months}
    for stat in TownshipMonthStat.objects.filter(month__gte=months[0], month__lte=months[-1]):
        if stat.township_id in per_township:
            per_township[stat.township_id].add(stat)
        per_month[stat.month].add(stat)

    live = live_counts([t.pk for t in townships], now=now)
    open_counts, clocks = live["open"], live["clocks"]
    unacknowledged = dict(
        DistrictReport.objects.filter(acknowledged_at__isnull=True)
        .values("township_id").annotate(n=Count("pk")).values_list("township_id", "n")
        .order_by())

    rows = []
    for t in townships:
        by_state = [open_counts.get((t.pk, s.value), 0) for s in OPEN_STATES]
        at_risk, breached = clocks.get(t.pk, (0, 0))
        rows.append(TownshipRow(
            township=t, totals=per_township[t.pk], open_by_state=by_state,
            open_total=sum(by_state), at_risk=at_risk, breached=breached,
            reports_unacknowledged=unacknowledged.get(t.pk, 0),
            overridden=live.get("overrides", {}).get(t.pk, 0),
        ))
    district_totals = Totals()
    for point in per_month.values():
        district_totals.applications += point.applications
        district_totals.approvals += point.approvals
        district_totals.rejections += point.rejections
        district_totals.approved_amount += point.approved_amount
        district_totals.timed_decisions += point.timed_decisions
        district_totals.over_limit += point.over_limit
        district_totals.reports_received += point.reports_received
    district_totals.histogram = Counter(merge_histograms(p.histogram for p in per_month.values()))
    district = TownshipRow(
        township=None, totals=district_totals,
        open_by_state=[sum(r.open_by_state[i] for r in rows) for i in range(len(OPEN_STATES))],
        open_total=sum(r.open_total for r in rows), at_risk=sum(r.at_risk for r in rows),
        breached=sum(r.breached for r in rows),
        reports_unacknowledged=sum(r.reports_unacknowledged for r in rows),
        overridden=sum(r.overridden for r in rows))
    last = DashboardRefresh.objects.order_by("-finished_at", "-pk").first()
    return Dashboard(
        rows=rows, district=district,
        trend=[MonthPoint(m, per_month[m]) for m in months], open_states=OPEN_STATES,
        refreshed_at=last.finished_at if last else None, live_at=live["at"],
        refresh_duration_ms=last.duration_ms if last else None,
        calendar_warning=missing_calendar_message(today), now=now, months=months)


__all__ = ["Dashboard", "build_dashboard"]
