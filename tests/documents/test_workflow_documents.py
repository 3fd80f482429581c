"""The case services issue the documents of each step (S3, S5, S7, S8, S16) — through
`documents.services.document_issue`, inside the step's transaction."""

from __future__ import annotations

import pytest

from cases import services
from cases.demo_cases import build_case
from documents.kinds import DocumentKind
from documents.models import IssuedDocument
from documents.selectors import notices_undelivered
from documents.services import verify_documents
from tests.documents.conftest import pdf_text, stored_bytes

K = DocumentKind
pytestmark = pytest.mark.django_db


def _kinds(case) -> list[str]:
    return list(IssuedDocument.objects.filter(case=case).order_by("id")
                .values_list("kind", flat=True))


@pytest.mark.clause("S3")
def test_acceptance_issues_the_acceptance_notice(household, staff):
    case = build_case("investigating", household=household, **staff)
    # The verification report and the filled 入户调查表 follow from recording them (S4).
    assert _kinds(case) == [K.ACCEPTANCE, K.VERIFICATION_REPORT, K.HOME_VISIT]
    doc = IssuedDocument.objects.get(case=case, kind=K.ACCEPTANCE)
    assert case.number in pdf_text(stored_bytes(doc))


@pytest.mark.clause("S8")
def test_rejection_issues_a_notice_with_reasons_that_must_be_delivered(household, staff,
                                                                      township_a):
    case = build_case("rejected", household=household, **staff)
    assert _kinds(case) == [K.ACCEPTANCE, K.VERIFICATION_REPORT, K.HOME_VISIT, K.REJECTION,
                            K.DELIVERY_RECEIPT]
    notice = IssuedDocument.objects.get(case=case, kind=K.REJECTION)
    assert notice.receipts.get().kind == K.DELIVERY_RECEIPT
    text = pdf_text(stored_bytes(notice))
    assert "家庭人均收入高于低保标准" in text and "申请行政复议" in text
    assert list(notices_undelivered([township_a.pk], 0)) == [notice]


@pytest.mark.clause("S7")
def test_sign_off_issues_the_approval_table_and_notice(household, staff):
    case = build_case("approved", household=household, **staff)
    assert _kinds(case) == [K.ACCEPTANCE, K.VERIFICATION_REPORT, K.HOME_VISIT, K.APPROVAL_FORM,
                            K.APPROVAL_NOTICE]
    table = IssuedDocument.objects.get(case=case, kind=K.APPROVAL_FORM)
    assert "leader_a" in pdf_text(stored_bytes(table))  # signed by the leader who signed off
    assert verify_documents() == []


@pytest.mark.clause("S5")
def test_completing_a_recheck_issues_the_recheck_report(household, staff):
    case = build_case("recheck", household=household, **staff)
    case = services.case_complete_recheck(case=case, by=staff["verifier"])
    assert _kinds(case)[-1] == K.RECHECK_REPORT


@pytest.mark.clause("S16")
def test_suspension_issues_the_stoppage_notice(household, staff):
    case = build_case("suspended", household=household, **staff)
    notice = IssuedDocument.objects.filter(case=case, kind=K.ADJUSTMENT).get()
    text = pdf_text(stored_bytes(notice))
    assert "暂停发放保障金" in text and "外出务工" in text


@pytest.mark.clause("S16")
def test_adjustment_issues_a_notice_with_old_and_new_amounts(household, staff):
    from decimal import Decimal

    case = build_case("approved", household=household, **staff)
    old = case.approved_amount
    services.case_adjust(case=case, by=staff["leader"], amount=Decimal("500.00"),
                         reason="家庭成员就业，收入增加。", override_reason="按就业后收入核定。")
    notice = IssuedDocument.objects.filter(case=case, kind=K.ADJUSTMENT).get()
    assert f"由{old:,.2f}元调整为500.00元" in pdf_text(stored_bytes(notice))


@pytest.mark.clause("S11")
def test_emergency_registration_issues_the_temporary_assistance_form(household, staff):
    case = build_case("closed", household=household, **staff)
    assert _kinds(case) == [K.TEMP_REGISTRATION]
