"""The acceptance bundle: every form of one visit, pre-filled, in one PDF (S15, S14)."""

from __future__ import annotations

import pytest
from django.db import transaction

from documents.bundle import bundle_issue, bundle_parts, bundle_pdf, issued_pdf
from documents.kinds import DocumentKind
from tests.documents.conftest import APPLICANT, CASE_NUMBER, CHILD, SPOUSE, page_count, pdf_text

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S15")]


AGENT_ID = "371302199002022313"


def _delegate(case, clerk):
    from cases.agents import case_agent_record

    return case_agent_record(case=case, by=clerk, name="刘海燕", id_number=AGENT_ID,
                             relation="女儿", phone="13800000000")


def test_the_bundle_has_one_authorization_per_adult(case, people):
    parts = bundle_parts(case)
    assert [k for k, _ in parts] == [K.APPLICATION, K.AUTHORIZATION, K.AUTHORIZATION,
                                     K.DECLARATION, K.ONE_TIME_NOTICE]
    assert {p for k, p in parts if k == K.AUTHORIZATION} == {people["applicant"],
                                                              people["spouse"]}


def test_the_proxy_form_is_in_the_bundle_exactly_when_someone_is_delegated(case, clerk_a):
    assert K.PROXY not in [k for k, _ in bundle_parts(case)]
    _delegate(case, clerk_a)
    assert [k for k, _ in bundle_parts(case)] == [K.APPLICATION, K.AUTHORIZATION,
                                                  K.AUTHORIZATION, K.DECLARATION, K.PROXY,
                                                  K.ONE_TIME_NOTICE]
    text = pdf_text(bundle_pdf(case))
    assert "特委托受托人刘海燕代为办理" in text and AGENT_ID in text and "女儿" in text


def test_the_bundle_pdf_is_prefilled(case, people, clerk_a):
    _delegate(case, clerk_a)
    content = bundle_pdf(case)
    text = pdf_text(content)
    for title in ("社会救助申请书", "家庭经济状况核对授权书", "诚信声明及承诺书", "委托授权书",
                  "一次性告知书"):
        assert title in text, title
    assert text.count("家庭经济状况核对授权书") >= 2
    assert CASE_NUMBER in text and APPLICANT in text and SPOUSE in text and CHILD in text
    assert people["spouse"].id_number in text
    assert "无需提供(部门共享获取)" in text  # S14
    assert "查验码" not in text  # a printout for signature is not an issued document
    assert page_count(content) >= 6


def test_temporary_assistance_bundle_has_no_authorizations(case):
    case.kind = "temp_expenditure"
    assert K.AUTHORIZATION not in [k for k, _ in bundle_parts(case)]


def test_the_bundle_can_be_issued_and_printed_from_the_stored_files(case, clerk_a):
    with transaction.atomic():
        documents = bundle_issue(case=case, by=clerk_a)
    assert len(documents) == 5 and all(d.number for d in documents)
    assert K.PROXY not in {d.kind for d in documents}, "nobody delegated"
    text = pdf_text(issued_pdf(documents))
    assert all(d.number in text for d in documents)
