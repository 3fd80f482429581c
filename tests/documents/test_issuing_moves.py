"""Each document kind is issued by its move or printed from its page: the 入户调查表 (blank from
the case page before the visit, filled and issued when the visit is recorded), the 核对报告
(issued when the verification is recorded), the 民主评议记录 (issued when the appraisal is
recorded) and the 送达回证 (issued with each notice that must be delivered, printed from the
notice's delivery page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.demo_cases import build_case, demo_image
from cases.models import Appraisal
from cases.workflow import CaseStatus
from documents.kinds import DocumentKind
from documents.models import IssuedDocument
from tests.documents.conftest import pdf_text, stored_bytes
from tests.factories import HouseholdFactory, PersonFactory

K = DocumentKind
pytestmark = pytest.mark.django_db


def _case(state, village, staff):
    members = [PersonFactory(born=dt.date(1988, 5, 1)), PersonFactory(born=dt.date(1950, 1, 9))]
    return build_case(state, household=HouseholdFactory(village=village, members=members),
                      days_ago=1, **staff)


@pytest.mark.clause("S4")
def test_recording_the_visit_and_the_verification_issues_their_documents(village_a, staff):
    case = _case(CaseStatus.INVESTIGATING, village_a, staff)
    visit = IssuedDocument.objects.get(case=case, kind=K.HOME_VISIT)
    text = pdf_text(stored_bytes(visit))
    assert "入户调查登记表" in text and "住房简陋，无大额财产。" in text and "王强" in text
    assert visit.extra["home_visit_id"] == case.home_visits.get().pk
    report = IssuedDocument.objects.get(case=case, kind=K.VERIFICATION_REPORT)
    assert "家庭人均收入低于当地低保标准。" in pdf_text(stored_bytes(report))
    assert report.extra["report_id"] == case.verification_reports.get().pk


@pytest.mark.clause("S5")
def test_a_recheck_report_is_not_issued_again_as_a_verification_report(village_a, staff):
    case = _case(CaseStatus.RECHECK, village_a, staff)
    assert IssuedDocument.objects.filter(case=case, kind=K.VERIFICATION_REPORT).count() == 1


@pytest.mark.clause("S10")
def test_recording_the_appraisal_issues_the_appraisal_record(village_a, staff):
    case = _case(CaseStatus.AWAITING_APPRAISAL, village_a, staff)
    services.case_record_appraisal(
        case=case, by=staff["clerk"], held_on=timezone.localdate(), place="村委会会议室",
        chair="张书记", participants=[{"name": f"代表{i}", "capacity": "村民代表"}
                                      for i in range(5)],
        votes_for=5, votes_against=0, votes_abstain=0, outcome=Appraisal.Outcome.SUPPORTED,
        recorder="李会计",
        scan=SimpleUploadedFile("评议记录.png", demo_image(), content_type="image/png"))
    record = IssuedDocument.objects.get(case=case, kind=K.APPRAISAL_RECORD)
    text = pdf_text(stored_bytes(record))
    assert "民主评议记录" in text and "张书记" in text and "村委会会议室" in text


@pytest.mark.clause("S4")
def test_the_blank_home_visit_form_prints_from_the_case_page(client, village_a, staff,
                                                             clerk_b):
    case = _case(CaseStatus.RECEIVED, village_a, staff)
    client.force_login(staff["clerk"])
    url = reverse("case_home_visit_form_pdf", args=[case.pk])
    assert url in client.get(reverse("case_visits", args=[case.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "入户调查登记表" in text and case.applicant.name in text
    assert "字第" not in text  # a printout, not a numbered document
    assert not IssuedDocument.objects.filter(case=case, kind=K.HOME_VISIT).exists()
    client.force_login(clerk_b)
    assert client.get(url).status_code == 404


@pytest.mark.clause("S16")
def test_the_delivery_page_prints_the_receipt_issued_with_the_notice(client, village_a, staff):
    case = _case(CaseStatus.REJECTED, village_a, staff)
    notice = IssuedDocument.objects.get(case=case, kind=K.REJECTION)
    receipt = notice.receipts.get()
    client.force_login(staff["clerk"])
    url = reverse("document_receipt_pdf", args=[notice.pk])
    assert url in client.get(reverse("document_deliver", args=[notice.pk])).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response.content == stored_bytes(receipt)
    text = pdf_text(response.content)
    assert "送达回证" in text and notice.number in text and receipt.number in text


@pytest.mark.clause("S16")
def test_a_notice_without_an_issued_receipt_prints_one_unnumbered(client, village_a, staff):
    case = _case(CaseStatus.APPROVED, village_a, staff)
    notice = IssuedDocument.objects.get(case=case, kind=K.APPROVAL_NOTICE)
    client.force_login(staff["clerk"])
    response = client.get(reverse("document_receipt_pdf", args=[notice.pk]))
    text = pdf_text(response.content)
    assert response.status_code == 200 and "送达回证" in text and notice.number in text
    assert "送字第" not in text
    form = IssuedDocument.objects.get(case=case, kind=K.HOME_VISIT)  # not a notice
    assert client.get(reverse("document_receipt_pdf", args=[form.pk])).status_code == 404
