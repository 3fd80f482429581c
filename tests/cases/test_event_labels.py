"""Every event the code writes to the trail (办理轨迹) has a Chinese label.

The names are read from the code itself: the action argument of every `append_event(...)`
call, the move names and `action=` of every `_transition(...)`, the events the scale
generator writes, and every transition of the case workflow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.urls import reverse

from cases.models import Case
from cases.models.events import EVENT_LABELS

pytestmark = pytest.mark.clause("S17")

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("accounts", "cases", "documents", "publicity", "oversight")


def _strings(node: ast.AST | None) -> set[str]:
    if node is None:
        return set()
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def event_names_in(source: str, *, scale: bool = False) -> set[str]:
    names: set[str] = set()
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        callee = _callee(call)
        writes = callee in ("append_event", "_transition") or (scale and callee in
                                                                ("event", "move"))
        if not writes:
            continue
        if len(call.args) > 1:
            names |= _strings(call.args[1])
        names |= _strings(next((k.value for k in call.keywords if k.arg == "action"), None))
    return names


def event_names_in_code() -> set[str]:
    names: set[str] = set()
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            names |= event_names_in(path.read_text(encoding="utf-8"),
                                    scale=path.name == "scale.py")
    return names | {t.name for t in Case().get_all_status_transitions()}


def test_the_scan_reads_calls_and_conditional_names():
    src = ('append_event(case, "a" if x else "b", actor=by)\n'
           '_transition(case, "c", by, action="d")\n')
    assert event_names_in(src) == {"a", "b", "c", "d"}


def test_the_scan_finds_the_events_of_every_module():
    names = event_names_in_code()
    for known in ("created", "accept", "attachment_added", "delivery_receipt_attached",
                  "verification_requested", "publicity_started", "withdraw"):
        assert known in names
    assert len(names) > 40


def test_every_event_written_in_code_has_a_chinese_label():
    missing = sorted(n for n in event_names_in_code() if not EVENT_LABELS.get(n))
    assert missing == []


@pytest.mark.django_db
def test_trail_page_shows_labels_not_event_names(client, village_a, clerk_a, verifier_a,
                                                 leader_a):
    from django.db import transaction

    from cases.demo_cases import build_case
    from cases.trail import append_event
    from cases.workflow import CaseStatus
    from tests.factories import HouseholdFactory

    case = build_case(CaseStatus.INVESTIGATING, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        append_event(case, "attachment_added", actor=clerk_a)
        append_event(case, "delivery_receipt_attached", actor=clerk_a)
    client.force_login(clerk_a)
    html = client.get(reverse("case_trail", args=[case.pk])).content.decode()
    assert "上传申请材料" in html and "上传送达回证" in html
    assert "attachment_added" not in html and "delivery_receipt_attached" not in html
