"""Per-township, per-month aggregates behind the bureau's dashboard, and their refresh.

The refresh (a Celery beat task every few minutes, and `manage.py refresh_dashboard`) reads
the cases applied for or decided in the last `DASHBOARD_MONTHS` calendar months (Asia/Shanghai)
and the approval tables reported in them, and rewrites those months' rows in one transaction.
The dashboard reads these few rows (12 townships × 12 months) instead of the case history.

What is counted
---------------
- applications: cases by `applied_at`;
- approvals: cases signed off (approved, later suspended or terminated) or emergency aid
  registered (`closed`), by `decided_at`; rejections: `rejected`, by `decided_at`;
- approved amount: the monthly amounts approved for 低保/特困 (元/月), by `decided_at`;
- working days from application to decision (low-income, 特困 and expenditure-type temporary
  assistance only: the kinds with the 20-working-day limit, S4/S12), counted on the official
  calendar (`cases.calendar`, the day of application not counted) as a histogram, so medians
  over several months or townships stay exact; publicity is not deducted here;
- approval tables reported to the district (`documents.DistrictReport.reported_at`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.calendar import WorkCalendar
from cases.deadlines import SHANGHAI
from cases.models import Case, Township
from cases.workflow import TWENTY_DAY_KINDS, CaseKind, CaseStatus
from oversight.models import DashboardRefresh, TownshipMonthStat

DASHBOARD_MONTHS = 12
DECISION_LIMIT_WORKDAYS = 20
APPROVAL_STATUSES = (CaseStatus.APPROVED, CaseStatus.SUSPENDED, CaseStatus.TERMINATED,
                     CaseStatus.CLOSED)
REJECTION_STATUSES = (CaseStatus.REJECTED,)
DECIDED_STATUSES = APPROVAL_STATUSES + REJECTION_STATUSES
AMOUNT_KINDS = (CaseKind.DIBAO, CaseKind.TEKUN)
KEEP_REFRESH_RECORDS = 200


# --- Months -----------------------------------------------------------------------------------

def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def last_months(today: dt.date, n: int = DASHBOARD_MONTHS) -> list[dt.date]:
    """The first days of the last `n` calendar months, oldest first, this month last."""
    this = month_start(today)
    return [add_months(this, i) for i in range(-n + 1, 1)]


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


# --- Working-day histograms -------------------------------------------------------------------

def median_of(histogram: dict) -> Decimal | None:
    """The median of a {value: count} histogram (keys may be strings, as JSON stores them)."""
    items = sorted((int(k), int(v)) for k, v in histogram.items() if int(v) > 0)
    total = sum(v for _, v in items)
    if not total:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    lower = upper = None
    seen = 0
    for value, count in items:
        if lower is None and seen + count > lower_rank:
            lower = value
        if seen + count > upper_rank:
            upper = value
            break
        seen += count
    return (Decimal(lower) + Decimal(upper)) / 2


def merge_histograms(histograms: Iterable[dict]) -> dict[int, int]:
    merged: Counter[int] = Counter()
    for histogram in histograms:
        for k, v in (histogram or {}).items():
            merged[int(k)] += int(v)
    return dict(merged)


class WorkdayIndex:
    """Working days between two dates by a running count over a date range (one pass over
    the calendar, then O(1) per case). Years without an entered schedule count Monday–Friday,
    as the clocks do (provisional)."""

    def __init__(self, first: dt.date, last: dt.date, calendar: WorkCalendar | None = None):
        self.calendar = calendar or WorkCalendar()
        self.first, self.last = first, last
        self.calendar.preload(first, last)
        self._cumulative: dict[dt.date, int] = {}
        running, day = 0, first
        while day <= last:
            if day != first and self.calendar.day(day, provisional=True).is_workday:
                running += 1
            self._cumulative[day] = running
            day += dt.timedelta(days=1)

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]."""
        if end <= start:
            return 0
        if start in self._cumulative and end in self._cumulative:
            return self._cumulative[end] - self._cumulative[start]
        return self.calendar.count_workdays(start, end, provisional=True)


# --- The refresh ------------------------------------------------------------------------------

@dataclass
class _Cell:
    applications: int = 0
    approvals: int = 0
    rejections: int = 0
    approved_amount: Decimal = Decimal("0")
    histogram: Counter = field(default_factory=Counter)
    reports_received: int = 0


def _month_of(moment: dt.datetime) -> dt.date:
    return month_start(moment.astimezone(SHANGHAI).date())


@dataclass
class RefreshResult:
    months: int
    rows: int
    duration_ms: int


def refresh_dashboard(*, today: dt.date | None = None,
                      months: int = DASHBOARD_MONTHS) -> RefreshResult:
    """Recompute the last `months` months of `TownshipMonthStat` and record the run.

    Idempotent: the months' rows are replaced in one transaction, so a concurrent or repeated
    run leaves the same rows, and the dashboard never sees a half-written month.
    """
    from documents.models import DistrictReport

    started = timezone.now()
    clock = time.monotonic()
    today = today or timezone.localdate()
    month_list = last_months(today, months)
    since = local_midnight(month_list[0])
    cells: dict[tuple[int, dt.date], _Cell] = defaultdict(_Cell)

    for row in (Case.objects.filter(applied_at__gte=since)
                .annotate(month=TruncMonth("applied_at", tzinfo=SHANGHAI))
                .values("township_id", "month").annotate(n=Count("pk")).order_by()):
        cells[(row["township_id"], _as_date(row["month"]))].applications += row["n"]

    decided = (Case.objects.filter(decided_at__gte=since, status__in=DECIDED_STATUSES)
               .values_list("township_id", "kind", "status", "applied_at", "decided_at",
                            "approved_amount")
               .order_by())
    index: WorkdayIndex | None = None
    for township_id, kind, status, applied_at, decided_at, amount in decided.iterator(
            chunk_size=5000):
        cell = cells[(township_id, _month_of(decided_at))]
        if status in REJECTION_STATUSES:
            cell.rejections += 1
        else:
            cell.approvals += 1
            if kind in AMOUNT_KINDS and amount is not None:
                cell.approved_amount += amount
        if kind in TWENTY_DAY_KINDS and applied_at is not None:
            if index is None:
                index = WorkdayIndex(month_list[0] - dt.timedelta(days=120), today)
            applied = applied_at.astimezone(SHANGHAI).date()
            cell.histogram[index.between(applied, decided_at.astimezone(SHANGHAI).date())] += 1

    for row in (DistrictReport.objects.filter(reported_at__gte=since)
                .annotate(month=TruncMonth("reported_at", tzinfo=SHANGHAI))
                .values("township_id", "month").annotate(n=Count("pk")).order_by()):
        cells[(row["township_id"], _as_date(row["month"]))].reports_received += row["n"]

    now = timezone.now()
    rows = []
    for township_id in Township.objects.order_by("pk").values_list("pk", flat=True):
        for month in month_list:
            cell = cells.get((township_id, month)) or _Cell()
            histogram = {str(k): v for k, v in sorted(cell.histogram.items())}
            rows.append(TownshipMonthStat(
                township_id=township_id, month=month, applications=cell.applications,
                approvals=cell.approvals, rejections=cell.rejections,
                approved_amount=cell.approved_amount,
                timed_decisions=sum(cell.histogram.values()),
                median_workdays=median_of(histogram),
                over_limit=sum(v for k, v in cell.histogram.items()
                               if k > DECISION_LIMIT_WORKDAYS),
                workdays_histogram=histogram, reports_received=cell.reports_received,
                refreshed_at=now))
    with transaction.atomic():
        TownshipMonthStat.objects.filter(month__gte=month_list[0]).delete()
        TownshipMonthStat.objects.bulk_create(rows)
        duration_ms = int((time.monotonic() - clock) * 1000)
        DashboardRefresh.objects.create(started_at=started, finished_at=timezone.now(),
                                        months=months, rows=len(rows),
                                        duration_ms=duration_ms)
        stale = list(DashboardRefresh.objects.order_by("-finished_at", "-pk")
                     .values_list("pk", flat=True)[KEEP_REFRESH_RECORDS:])
        DashboardRefresh.objects.filter(pk__in=stale).delete()
    return RefreshResult(months=months, rows=len(rows), duration_ms=duration_ms)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).date() if timezone.is_aware(value) else value.date()
    return value
