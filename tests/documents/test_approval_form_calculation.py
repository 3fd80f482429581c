"""The 审核审批表 shows what the leader decided: the calculation line by line (each member's
counted income and its source, the standard and its date, persons covered, the gap, every
check with its value and limit) and the override with its reason (S7, S18)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case, calculate, confirm_posting
from cases.verification.assessment import AssetFacts
from documents.kinds import DocumentKind
from documents.models import IssuedDocument
from tests.documents.conftest import pdf_text, stored_bytes

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 0))


def _signed(household, staff, **proposal):
    """Calculated, proposed and publicized before T0, signed off at T0: the table's text."""
    start = T0 - dt.timedelta(days=10)
    with time_machine.travel(start, tick=False):
        case = build_case("investigating", household=household, days_ago=1, **staff)
    with time_machine.travel(start, tick=False):
        assessment = calculate(case, by=staff["clerk"], **proposal.pop("calc", {}))
        services.case_propose_approval(case=case, by=staff["clerk"], opinion="同意。",
                                       **proposal)
        confirm_posting(case, by=staff["clerk"])
    with time_machine.travel(T0, tick=False):
        services.case_close_publicity(case=case, by=None)
        services.case_sign_off(case=case, by=staff["leader"])
    table = IssuedDocument.objects.get(case=case, kind=DocumentKind.APPROVAL_FORM)
    return assessment, pdf_text(stored_bytes(table))


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.clause("S18")
def test_the_approval_table_prints_every_line_of_the_calculation(household, staff):
    assessment, text = _signed(household, staff)
    result = assessment.result
    for line in result["lines"]:
        assert _flat(line["label"]) in text and _flat(line["value"]) in text, line
        assert _flat(line["formula"]) in text, line
    for income in result["income_lines"]:
        assert _flat(income["source"]) in text and income["monthly"] in text
    for check in result["reasons"]:
        assert _flat(check["text"]) in text, check
    for standard in result["standards_used"]:
        assert _flat(standard["label"]) in text and _flat(standard["since"]) in text
    assert f"保障人数{assessment.covered_persons}人" in text
    assert result["per_capita_income"] in text and "与计算结果不一致" not in text


@pytest.mark.clause("S18")
def test_the_approval_table_prints_an_override_with_its_reason(household, staff):
    assessment, text = _signed(household, staff, amount=Decimal("852.00"),
                               override_reason="存款为大病医疗专款，经集体研究同意。",
                               calc={"assets": AssetFacts(financial=Decimal("342656.00"))})
    assert not assessment.eligible
    assert "与计算结果不一致" in text and "计算结果：不符合条件" in text
    assert "存款为大病医疗专款，经集体研究同意。" in text and "852.00元" in text
    assert "超过限额" in text  # the failed asset check, with its value and limit


@pytest.mark.clause("S18")
def test_a_check_under_an_unknown_exclusion_rule_prints_as_to_be_confirmed(household, staff):
    """Guards the outcome column of the table's checks: a car found under a rule whose Lanshan
    value is unknown is neither 符合 nor 不符合 but 待确认, as on the calculation page."""
    assessment, text = _signed(household, staff, calc={"assets": AssetFacts(cars=1)})
    unknown = [r for r in assessment.result["reasons"] if r.get("unknown")]
    assert unknown, "the seeded vehicle rule is unknown: the car is a check to be confirmed"
    for check in unknown:
        assert "待确认" + _flat(check["text"]) in text, check
