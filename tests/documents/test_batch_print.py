"""Batch printing: the checked cases' documents as one PDF, only the user's cases, at most
50 at a time; a case of another township refuses the whole request with a message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.demo_cases import build_case
from cases.models import Case
from cases.workflow import CaseStatus
from documents.batch import BATCH_LIMIT, batch_documents
from documents.kinds import DocumentKind
from documents.models import IssuedDocument
from documents.services import DocumentError
from tests.documents.conftest import page_count, pdf_text
from tests.factories import HouseholdFactory, PersonFactory

K = DocumentKind
URL = reverse("documents_batch_print")
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S18")]


def _case(state, village, clerk, verifier, leader) -> Case:
    members = [PersonFactory(born=dt.date(1988, 5, 1)), PersonFactory(born=dt.date(1950, 1, 9))]
    return build_case(state, household=HouseholdFactory(village=village, members=members),
                      clerk=clerk, verifier=verifier, leader=leader, days_ago=1)


@pytest.fixture
def two_cases(village_a, clerk_a, verifier_a, leader_a):
    return [_case(CaseStatus.REJECTED, village_a, clerk_a, verifier_a, leader_a),
            _case(CaseStatus.INVESTIGATING, village_a, clerk_a, verifier_a, leader_a)]


def _bare_cases(n: int, village, clerk) -> list[int]:
    """Cases with nothing issued: enough to test the limit without rendering."""
    ids = []
    for i in range(n):
        household = HouseholdFactory(village=village)
        ids.append(Case.objects.create(
            number=f"T-{village.pk}-{i:03d}", kind="dibao", household=household,
            applicant=household.head, township=village.township, village=village,
            applied_at=timezone.now(), created_by=clerk).pk)
    return ids


def test_one_pdf_with_every_current_document_of_the_checked_cases(client, clerk_a, two_cases):
    client.force_login(clerk_a)
    response = client.post(URL, {"case": [c.pk for c in two_cases]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    documents = IssuedDocument.objects.filter(case__in=two_cases)
    assert page_count(response.content) == sum(d.pages for d in documents)
    text = pdf_text(response.content)
    for document in documents:
        assert document.number in text


def test_the_notices_to_deliver_with_their_receipts(client, clerk_a, two_cases):
    client.force_login(clerk_a)
    response = client.post(URL, {"case": [c.pk for c in two_cases], "scope": "deliver"})
    notice = IssuedDocument.objects.get(case=two_cases[0], kind=K.REJECTION)
    receipt = notice.receipts.get()
    assert page_count(response.content) == notice.pages + receipt.pages
    text = pdf_text(response.content)
    assert notice.number in text and receipt.number in text and "送达回证" in text


def test_another_townships_case_refuses_the_whole_request(client, clerk_a, two_cases,
                                                          village_b, clerk_b):
    other = _bare_cases(1, village_b, clerk_b)
    client.force_login(clerk_a)
    response = client.post(URL, {"case": [two_cases[0].pk, *other],
                                 "next": reverse("case_list")})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "所选案件中有1件不在您的管辖范围内或不存在，未打印任何文书" in page
    assert reverse("case_list") in page


def test_no_case_checked_is_refused(client, clerk_a):
    client.force_login(clerk_a)
    response = client.post(URL, {})
    assert response.status_code == 400 and "请至少选择一件案件" in response.content.decode()


def test_the_limit_is_fifty_cases(clerk_a, village_a):
    ids = _bare_cases(BATCH_LIMIT + 1, village_a, clerk_a)
    with pytest.raises(DocumentError) as fifty:  # 50 pass the limit: nothing issued to print
        batch_documents(user=clerk_a, case_ids=ids[:BATCH_LIMIT])
    assert fifty.value.code == "batch_nothing"
    with pytest.raises(DocumentError) as fifty_one:
        batch_documents(user=clerk_a, case_ids=ids)
    assert fifty_one.value.code == "batch_too_many"
    assert "一次最多打印50件案件，您选择了51件" in fifty_one.value.message


def test_get_is_not_allowed(client, clerk_a):
    client.force_login(clerk_a)
    assert client.get(URL).status_code == 405
