"""The deadline sweep: close ended publicity, mark clocks breached, escalated and at risk, remind.

Run every two minutes by Celery beat (`cases.tasks.sweep_deadlines_task`), and by hand with
`sweep_deadlines()`. What is due is decided by set-based queries on ``(status, due_at)``; the
only Python loop runs over the clocks that change state in this sweep, never over all cases.

Safe to run twice, or on two workers at once, and after a crash:

* Each batch of clocks is selected with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL), so
  two sweeps take disjoint rows; it is marked (``breached_at`` / ``escalated_at`` /
  ``at_risk_at`` = now) and its reminders and outbox rows are written **in the same
  transaction**. A worker killed mid-batch commits nothing of that batch; the next sweep
  finds the same rows unmarked and does the whole batch again. A committed batch is never
  taken again (its marks are set).
* Every reminder is unique per clock, kind, due moment and person (a constraint): even a sweep
  that somehow saw a clock twice could not write a second reminder.
* Each expired publicity is closed through `services.case_close_publicity` in its own
  transaction, with the case row locked (``SKIP LOCKED``: another worker's case is left to it)
  and the leader's reminder written in that transaction.

Pages never depend on the sweep: `at_risk_q` and `breached_q` state the same rule as the
read-time `cases.deadline_state.clock_state`, and the views filter with them directly.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import django.dispatch
from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.calendar import WorkCalendar
from cases.deadline_state import AT_RISK_HOURS, AT_RISK_WORKDAYS
from cases.models import Case, Deadline, DeadlineKind, DeadlineStatus, DeadlineUnit
from cases.models import NotificationKind as K
from cases.notifications import Recipients, deadline_drafts, publicity_drafts, write
from cases.workflow import CaseStatus

logger = logging.getLogger("cases.sweep")

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A clock left open on a case that has ended (e.g. a review clock of a terminated
# entitlement) is not a duty any more: it is neither shown as due nor reminded.
ENDED_CASE_STATUSES = [CaseStatus.TERMINATED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN,
                       CaseStatus.CLOSED]

# What the reminders need to know about a clock: read in the same query that locks it.
ROW_FIELDS = ("pk", "kind", "unit", "clause", "start_at", "due_at", "case_id", "case__number",
              "case__kind", "case__township_id", "case__township__name", "case__village__name",
              "case__created_by_id", "case__village_id")

# Sent inside a batch's transaction, after its marks and reminders are written and before it
# commits (``stage``: a `NotificationKind` value or "publicity"; ``ids``: deadline or case
# ids). For monitoring, and for tests that crash a worker at exactly that point.
batch_marked = django.dispatch.Signal()


# --- The rule, as queries ---------------------------------------------------------------------

@dataclass(frozen=True)
class Cutoffs:
    """Clocks due before these moments are at risk (hour clocks: at or before `hours`)."""

    now: dt.datetime
    hours: dt.datetime
    workdays: dt.datetime


def at_risk_cutoffs(now: dt.datetime, *, calendar: WorkCalendar | None = None) -> Cutoffs:
    """The at-risk limits at `now`: 6 hours ahead; and the start of the 4th working day.

    A day clock is at risk when at most 3 working days are left (`count_workdays(today,
    due_day) <= 3`), i.e. when its due day comes before the 4th working day after today.
    A year whose holiday schedule is unknown counts Monday to Friday here (provisionally),
    so an unconfirmed calendar never hides a risk.
    """
    today = timezone.localdate(now)
    fourth = (calendar or WorkCalendar()).add_workdays(today, AT_RISK_WORKDAYS + 1,
                                                       provisional=True)
    return Cutoffs(now=now, hours=now + dt.timedelta(hours=AT_RISK_HOURS),
                   workdays=dt.datetime.combine(fourth, dt.time.min, tzinfo=SHANGHAI))


def running_q() -> Q:
    """Clocks that still run: open, on a case that has not ended; a notice's delivery clock
    (S16) runs on an ended case too (a rejection or termination notice ends the case and must
    still reach the applicant)."""
    return Q(status=DeadlineStatus.OPEN) & (~Q(case__status__in=ENDED_CASE_STATUSES)
                                            | Q(kind=DeadlineKind.DELIVERY))


def breached_q(now: dt.datetime) -> Q:
    """Open clocks past their due moment."""
    return Q(status=DeadlineStatus.OPEN, due_at__lt=now)


def at_risk_q(cutoffs: Cutoffs) -> Q:
    """Open clocks not yet breached with at most 3 working days (6 hours) left."""
    hour = Q(unit=DeadlineUnit.HOUR)
    # The outer bound ends the index range on due_at (the cut-offs alone sit inside the OR,
    # and every future clock would be read).
    return Q(status=DeadlineStatus.OPEN, due_at__gte=cutoffs.now,
             due_at__lte=max(cutoffs.hours, cutoffs.workdays)) & (
        (hour & Q(due_at__lte=cutoffs.hours)) | (~hour & Q(due_at__lt=cutoffs.workdays)))


def escalation_q(now: dt.datetime) -> Q:
    """24-hour emergency clocks (S11) running for 12 hours or more, not yet breached."""
    return Q(status=DeadlineStatus.OPEN, kind=DeadlineKind.EMERGENCY_AID,
             unit=DeadlineUnit.HOUR, due_at__gte=now,
             start_at__lte=now - dt.timedelta(hours=settings.EMERGENCY_ESCALATION_HOURS))


# --- The sweep --------------------------------------------------------------------------------

@dataclass
class SweepResult:
    publicity_closed: int = 0
    breached: int = 0
    escalated: int = 0
    at_risk: int = 0
    reminders: int = 0

    def __str__(self) -> str:
        return (f"公示期满办结{self.publicity_closed}件，标记超期{self.breached}个、"
                f"急难升级{self.escalated}个、临期{self.at_risk}个，写入提醒{self.reminders}条")


def _mark(stage: str, condition: Q, update: dict, recipients: Recipients,
          batch: int) -> tuple[int, int]:
    """Mark the clocks matching `condition` batch by batch; each batch commits with its
    reminders. Returns (clocks marked, reminders written)."""
    marked = written = 0
    while True:
        with transaction.atomic():
            rows = list(
                Deadline.objects.filter(condition)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("due_at", "pk").values(*ROW_FIELDS)[:batch])
            if not rows:
                break
            ids = [row["pk"] for row in rows]
            Deadline.objects.filter(pk__in=ids).update(**update)
            written += write(deadline_drafts(stage, rows, recipients))
            batch_marked.send(sender=Deadline, stage=stage, ids=ids)
        marked += len(rows)
        if len(rows) < batch:
            break
    return marked, written


def close_expired_publicity(*, recipients: Recipients | None = None) -> tuple[int, int]:
    """Close every publicity whose 7 days are over (S6): no objection → 待领导审批 (S7), an
    objection → 待民主评议 (S10), through the workflow's service; the leaders are told.

    Returns:
        (cases closed, reminders written).
    """
    from cases import services
    from cases.errors import CaseActionError

    recipients = recipients or Recipients()
    now = timezone.now()
    pks = list(Case.objects.filter(
        status=CaseStatus.IN_PUBLICITY, deadlines__kind=DeadlineKind.PUBLICITY,
        deadlines__status=DeadlineStatus.OPEN, deadlines__due_at__lte=now,
    ).order_by("pk").values_list("pk", flat=True).distinct())
    closed = written = 0
    for pk in pks:
        with transaction.atomic():
            case = (Case.objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, status=CaseStatus.IN_PUBLICITY).first())
            if case is None:  # another worker is closing it, or it has moved on
                continue
            deadline = (case.deadlines.filter(kind=DeadlineKind.PUBLICITY,
                                              status=DeadlineStatus.OPEN)
                        .order_by("-start_at", "-pk").first())
            objections = case.objections.filter(kind="publicity").count()
            try:
                case = services.case_close_publicity(case=case, by=None)
            except CaseActionError as exc:
                logger.warning("案件%s公示期满未能自动办结：%s", case.number, exc.message)
                continue
            written += write(publicity_drafts(case, deadline, objections=objections,
                                              recipients=recipients))
            batch_marked.send(sender=Case, stage="publicity", ids=[pk])
        closed += 1
    return closed, written


def sweep_deadlines(*, batch: int | None = None) -> SweepResult:
    """One sweep: close ended publicity, then mark breached, escalated and at-risk clocks.

    Publicity goes first so that a period that has just ended is closed, not reported as
    breached. A clock found already past due is marked breached (and at risk, if it never
    was) and gets the breach reminders only.
    """
    batch = batch or settings.DEADLINE_SWEEP_BATCH
    recipients = Recipients()
    result = SweepResult()
    result.publicity_closed, written = close_expired_publicity(recipients=recipients)
    result.reminders += written

    now = timezone.now()
    stamp = Value(now, output_field=DateTimeField())
    running = running_q()
    result.breached, written = _mark(
        K.BREACHED, running & breached_q(now) & Q(breached_at__isnull=True),
        {"breached_at": now, "at_risk_at": Coalesce("at_risk_at", stamp)}, recipients, batch)
    result.reminders += written
    result.escalated, written = _mark(
        K.ESCALATED, running & escalation_q(now)
        & Q(breached_at__isnull=True, escalated_at__isnull=True),
        {"escalated_at": now}, recipients, batch)
    result.reminders += written
    result.at_risk, written = _mark(
        K.AT_RISK, running & at_risk_q(at_risk_cutoffs(now))
        & Q(breached_at__isnull=True, at_risk_at__isnull=True),
        {"at_risk_at": now}, recipients, batch)
    result.reminders += written
    if result.publicity_closed or result.breached or result.escalated or result.at_risk:
        logger.info("时限巡检：%s。", result)
    return result
