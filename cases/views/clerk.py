"""The window clerk's workspace (工作台): the work to do today in the clerk's townships.

Open cases by state, the clocks nearest their due moment (their state computed at read time by
the sweep's own rule, `cases.sweep.at_risk_q` / `breached_q`), the cases waiting for the clerk,
unread reminders, and one search box that hands over to the existing case and household
searches. Every list is bounded; the number of queries does not grow with the cases.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases import scoping
from cases.calendar import WorkCalendar, display_calendar
from cases.deadline_state import time_left_label
from cases.emergency import EMERGENCY_GROUPS, NEXT_STEPS
from cases.list_fields import encrypted_fields
from cases.models import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    DeadlineUnit,
    HomeVisit,
    Person,
    VerificationReport,
)
from cases.notifications import unread_count
from cases.permissions import Role
from cases.sweep import at_risk_cutoffs, running_q
from cases.workflow import OPEN_STATUSES, CaseStatus

LIST_LIMIT = 10


def _clock_row(deadline: Deadline, now: dt.datetime, cutoffs, calendar: WorkCalendar) -> dict:
    """State and time left of one running clock, by the sweep's rule and one shared calendar."""
    if deadline.due_at < now:
        state, label = "breached", "已超期"
    elif (deadline.unit == DeadlineUnit.HOUR and deadline.due_at <= cutoffs.hours) or (
            deadline.unit != DeadlineUnit.HOUR and deadline.due_at < cutoffs.workdays):
        state, label = "at_risk", "临期"
    else:
        state, label = "ok", "计时中"
    left = time_left_label(deadline, now, lambda a, b: calendar.count_workdays(
        a, b, provisional=True))
    return {"deadline": deadline, "case": deadline.case, "state": state, "state_label": label,
            "left": left}


def _waiting(cases, now: dt.datetime) -> list[dict]:
    """Cases waiting for the window clerk's next move, one bounded list per move."""
    publicity_over = Exists(Deadline.objects.filter(
        case=OuterRef("pk"), kind=DeadlineKind.PUBLICITY, due_at__lte=now))
    publicity_running = Exists(Deadline.objects.filter(
        case=OuterRef("pk"), kind=DeadlineKind.PUBLICITY, due_at__gt=now))
    groups = [
        ("accept", "已接收、待受理", "核对授权书齐全后受理，出具受理通知书。",
         cases.filter(status=CaseStatus.RECEIVED), CaseStatus.RECEIVED),
        ("propose", "核对和入户调查已完成、待提出审核意见", "填写拟保障金额和审核意见，转入公示。",
         cases.filter(status=CaseStatus.INVESTIGATING)
         .filter(Exists(VerificationReport.objects.filter(case=OuterRef("pk"),
                                                         is_recheck=False)))
         .filter(Exists(HomeVisit.objects.filter(case=OuterRef("pk")))),
         CaseStatus.INVESTIGATING),
        ("publicity", "公示期满、待结束公示", "确认公示结果，无异议的报分管领导审批。",
         cases.filter(status=CaseStatus.IN_PUBLICITY).filter(publicity_over)
         .exclude(publicity_running), CaseStatus.IN_PUBLICITY),
        ("appraisal", "公示有异议、待录入民主评议", "组织民主评议并录入评议结果。",
         cases.filter(status=CaseStatus.AWAITING_APPRAISAL), CaseStatus.AWAITING_APPRAISAL),
    ]
    out = []
    for code, title, hint, queryset, status in groups:
        rows = list(queryset.select_related("applicant", "village")
                    .order_by("applied_at", "pk")[:LIST_LIMIT + 1])
        out.append({"code": code, "title": title, "hint": hint, "status": status.value,
                    "cases": rows[:LIST_LIMIT], "more": len(rows) > LIST_LIMIT})
    return out


def emergency_waiting(cases, now: dt.datetime, *, calendar: WorkCalendar | None = None
                      ) -> list[dict]:
    """The emergencies of `cases` on their running clocks (S11), due first, each with its
    remaining time: reported and waiting for aid (24 hours), aided and waiting for the
    registration (5 working days). Shared by the clerk's 待我处理 and the leader's queue."""
    calendar = calendar or display_calendar()
    cutoffs = at_risk_cutoffs(now, calendar=calendar)
    # One statement for both lists: each clock kind ranked by due moment, LIST_LIMIT + 1 kept.
    wanted = Q()
    for _, _, status, kind in EMERGENCY_GROUPS:
        wanted |= Q(kind=kind, case__in=cases.filter(status=status))
    clocks = list(Deadline.objects.filter(running_q()).filter(wanted)
                  .select_related("case__applicant", "case__village")
                  .defer(*encrypted_fields(Person, "case__applicant__"))  # names only
                  .annotate(rank=Window(RowNumber(), partition_by=F("kind"),
                                        order_by=[F("due_at").asc(), F("pk").asc()]))
                  .filter(rank__lte=LIST_LIMIT + 1).order_by("due_at", "pk"))
    out = []
    for code, title, status, kind in EMERGENCY_GROUPS:
        rows = [d for d in clocks if d.kind == kind]
        out.append({"code": code, "title": title, "status": status.value,
                    "hint": NEXT_STEPS[status].text,
                    "rows": [_clock_row(d, now, cutoffs, calendar) for d in rows[:LIST_LIMIT]],
                    "more": len(rows) > LIST_LIMIT})
    return out


def _undelivered(townships, now: dt.datetime, cutoffs, calendar: WorkCalendar) -> list[dict]:
    """Notices of the townships not yet delivered (S16), nearest delivery due first, each with
    its delivery clock's state and time left worded as the clocks above; one row past the
    limit tells whether there are more."""
    from documents.selectors import notices_undelivered

    notices = list(notices_undelivered([t.pk for t in townships])
                   .select_related("case__applicant", "delivery_deadline__case")
                   .order_by(F("delivery_deadline__due_at").asc(nulls_last=True), "issued_at",
                             "pk")[:LIST_LIMIT + 1])
    rows = []
    for notice in notices:
        deadline = notice.delivery_deadline
        row = {"document": notice, "deadline": deadline, "state": "", "state_label": "",
               "left": ""}
        if deadline is not None and deadline.status == DeadlineStatus.OPEN:
            row.update({k: v for k, v in _clock_row(deadline, now, cutoffs, calendar).items()
                        if k in ("state", "state_label", "left")})
        rows.append(row)
    return rows


@require_GET
def clerk_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not scoping.has_role(user, Role.CLERK):
        raise PermissionDenied("工作台仅供镇街窗口受理员使用。")
    now = timezone.now()
    townships = list(scoping.townships_for(user).order_by("code"))
    cases = scoping.cases_visible_to(user).filter(township__in=[t.pk for t in townships])
    counts = {row["status"]: row["n"] for row in cases.filter(status__in=list(OPEN_STATUSES))
              .order_by().values("status").annotate(n=Count("pk"))}
    by_state = [{"status": s.value, "label": s.label, "count": counts[s.value]}
                for s in CaseStatus if counts.get(s.value)]
    calendar = display_calendar()  # display only: the page cache's overrides and years
    cutoffs = at_risk_cutoffs(now, calendar=calendar)
    clocks = (Deadline.objects.filter(running_q(), case__in=cases)
              .select_related("case__applicant", "case__village")
              .order_by("due_at", "pk")[:LIST_LIMIT])
    undelivered = _undelivered(townships, now, cutoffs, calendar)
    return render(request, "cases/clerk/home.html", {
        "townships": townships,
        "by_state": by_state,
        "open_total": sum(counts.values()),
        "clocks": [_clock_row(d, now, cutoffs, calendar) for d in clocks],
        "waiting": _waiting(cases, now),
        "emergencies": emergency_waiting(cases, now, calendar=calendar),
        "unread": unread_count(user),
        "undelivered": undelivered[:LIST_LIMIT],
        "undelivered_more": len(undelivered) > LIST_LIMIT,
        "delivery_days": settings.DELIVERY_WORKING_DAYS,
        "limit": LIST_LIMIT,
        "now": now,
    })
