"""The 申请书 lists each member with the monthly income declared with the application, 未申报
for a member who declared nothing (never a blank), and the household total: on the issued
form, on the case's printout and on the bundle printed from the acceptance draft."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import transaction

from cases.incomes import declared_incomes_record
from cases.models import Case, DeclaredIncome
from documents.bundle import bundle_pdf, draft_bundle_pdf
from documents.kinds import DocumentKind
from tests.documents.conftest import APPLICANT, CHILD, SPOUSE, issue, pdf_text, stored_bytes

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S15")]


def _undeclared_cells(text: str) -> int:
    """How many cells read 未申报 (the total's "N人未申报" aside); only the 申请书 has any."""
    return len(re.findall(r"(?<!人)未申报", text))


def _declare(case, people, by, **amounts):
    with transaction.atomic():
        declared_incomes_record(case=case, incomes={people[k]: v for k, v in amounts.items()},
                                by=by)


def test_the_issued_application_prints_each_declared_income_and_the_total(case, people,
                                                                        clerk_a):
    _declare(case, people, clerk_a, applicant="1234.5", spouse="0", child=None)
    text = pdf_text(stored_bytes(issue(case, K.APPLICATION, clerk_a)))
    assert "月收入（元）" in text
    assert f"{people['applicant'].id_number}" in text
    assert "1,234.50元" in text and "0.00元" in text
    assert _undeclared_cells(text) == 1, "the child declared nothing: 未申报, not a blank"
    assert "家庭月收入合计（申报；1人未申报，未计入）" in text
    assert text.count("1,234.50元") == 2, "the applicant's row and the total"
    for name in (APPLICANT, SPOUSE, CHILD):
        assert name in text


def test_an_application_without_declarations_prints_undeclared_everywhere(case, clerk_a):
    text = pdf_text(stored_bytes(issue(case, K.APPLICATION, clerk_a)))
    assert _undeclared_cells(text) == 4, "three members and the total"
    assert "家庭月收入合计（申报）" in text and "未计入" not in text


def test_the_case_printout_shows_the_declared_incomes(case, people, clerk_a):
    _declare(case, people, clerk_a, applicant="800", spouse="650.75")
    text = pdf_text(bundle_pdf(case, by=clerk_a))
    assert "800.00元" in text and "650.75元" in text and _undeclared_cells(text) == 1
    assert "家庭月收入合计（申报；1人未申报，未计入）" in text and "1,450.75元" in text


def test_the_draft_bundle_prints_the_declared_incomes_and_saves_nothing(household, people,
                                                                        clerk_a):
    before = (Case.objects.count(), DeclaredIncome.objects.count())
    content = draft_bundle_pdf(
        by=clerk_a, household=household, new_household=None, kind="dibao",
        applicant_id_number=people["applicant"].id_number, hardship="生活困难。", agent=None,
        declared_incomes={people["applicant"].id_number: "2100.00",
                          people["child"].id_number: None})
    text = pdf_text(content)
    assert "2,100.00元" in text and _undeclared_cells(text) == 2  # the spouse and the child
    assert "家庭月收入合计（申报；2人未申报，未计入）" in text
    assert text.count("2,100.00元") == 2, "the applicant's row and the total"
    assert (Case.objects.count(), DeclaredIncome.objects.count()) == before
    assert Decimal("2100.00") not in DeclaredIncome.objects.values_list("monthly_amount",
                                                                        flat=True)
