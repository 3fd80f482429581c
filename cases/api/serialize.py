"""Model rows → the API's dicts. Explicit, so that no field leaves the system by accident."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case as SqlCase
from django.db.models import CharField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.names import person_name
from cases.models import Deadline, DeadlineKind, DeadlineStatus, DeadlineUnit
from cases.models.events import EVENT_LABELS
from cases.sweep import at_risk_cutoffs, at_risk_q, breached_q
from cases.workflow import CaseKind, CaseStatus


def place(obj) -> dict:
    return {"id": obj.pk, "code": obj.code, "name": obj.name}


def person(p) -> dict | None:
    if p is None:
        return None
    return {"id": p.pk, "name": p.name, "masked_id": p.masked_id}


def household(h) -> dict:
    return {
        "id": h.pk, "township": place(h.village.township), "village": place(h.village),
        "address": h.address, "hukou_type": h.hukou_type, "head": person(h.head),
        "member_count": getattr(h, "member_count", 0), "updated_at": h.updated_at,
    }


def member(m) -> dict:
    return {**person(m.person), "relationship": m.relationship,
            "relationship_label": m.get_relationship_display(), "gender": m.person.gender,
            "birth_date": m.person.birth_date}


def case_brief(c) -> dict:
    return {
        "id": c.pk, "number": c.number, "kind": c.kind, "kind_label": CaseKind(c.kind).label,
        "status": c.status, "status_label": CaseStatus(c.status).label,
        "applied_at": c.applied_at,
    }


def case(c) -> dict:
    return {
        **case_brief(c), "township": place(c.township), "village": place(c.village),
        "household_id": c.household_id, "applicant": person(c.applicant),
        "accepted_at": c.accepted_at, "decided_at": c.decided_at,
        "next_due_at": getattr(c, "next_due", None),
    }


# --- Clocks -----------------------------------------------------------------------------------

def with_state(deadlines: QuerySet[Deadline], now: dt.datetime | None = None) -> QuerySet:
    """Annotate each clock's read-time state in SQL (the rule of `cases.deadline_state`)."""
    now = now or timezone.now()
    return deadlines.annotate(state=SqlCase(
        When(status=DeadlineStatus.MET, then=Value("met")),
        When(status=DeadlineStatus.MET_LATE, then=Value("met_late")),
        When(status=DeadlineStatus.CANCELLED, then=Value("cancelled")),
        When(status=DeadlineStatus.PAUSED, then=Value("paused")),
        When(breached_q(now), then=Value("breached")),
        When(at_risk_q(at_risk_cutoffs(now)), then=Value("at_risk")),
        default=Value("ok"), output_field=CharField(),
    ))


def deadline(d: Deadline) -> dict:
    return {
        "id": d.pk, "case_id": d.case_id, "case_number": d.case.number, "kind": d.kind,
        "kind_label": DeadlineKind(d.kind).label, "clause": d.clause, "unit": d.unit,
        "unit_label": DeadlineUnit(d.unit).label, "amount": d.amount, "start_at": d.start_at,
        "due_at": d.due_at, "calendar_confirmed": d.calendar_confirmed, "status": d.status,
        "status_label": DeadlineStatus(d.status).label, "state": getattr(d, "state", ""),
        "settled_at": d.settled_at,
    }


STATE_FILTERS = {
    "breached": lambda now: breached_q(now),
    "at_risk": lambda now: at_risk_q(at_risk_cutoffs(now)),
    "paused": lambda now: Q(status=DeadlineStatus.PAUSED),
}


# --- Trail and documents ----------------------------------------------------------------------

def actor_name(user) -> str:
    return person_name(user, default="系统")


def event(e) -> dict:
    return {"seq": e.seq, "at": e.at, "action": e.action,
            "action_label": EVENT_LABELS.get(e.action, e.action), "actor": actor_name(e.actor),
            "from_status": e.from_status, "to_status": e.to_status, "note": e.note}


def document(d) -> dict:
    try:
        superseded = d.superseded_by is not None
    except type(d).superseded_by.RelatedObjectDoesNotExist:
        superseded = False
    return {
        "id": d.pk, "kind": d.kind, "title": d.title, "number": d.number, "case_id": d.case_id,
        "household_id": d.household_id, "township": d.township.name, "issued_at": d.issued_at,
        "pages": d.pages, "size": d.size, "sha256": d.sha256, "superseded": superseded,
        "pdf_url": reverse("api:document_pdf", kwargs={"document_id": d.pk}),
    }
