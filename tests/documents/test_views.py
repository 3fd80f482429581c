"""Staff downloads (scoped, logged) and the public check page (no personal data)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import AccessLog
from documents.kinds import DocumentKind
from documents.services import document_correct
from tests.documents.conftest import APPLICANT, CASE_NUMBER, issue, pdf_text, stored_bytes
from tests.factories import PASSWORD

K = DocumentKind
pytestmark = pytest.mark.django_db


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def notice(full_case, leader_a):
    return issue(full_case, K.REJECTION, leader_a)


def test_staff_in_scope_download_the_stored_pdf_and_it_is_logged(client, clerk_a, notice):
    response = _login(client, clerk_a).get(reverse("document_download", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == stored_bytes(notice)
    log = AccessLog.objects.get(user=clerk_a)
    assert (log.action, log.object_type, log.object_id) == ("print", "document", str(notice.pk))


def test_staff_of_another_township_get_404(client, clerk_b, notice):
    response = _login(client, clerk_b).get(reverse("document_download", args=[notice.pk]))
    assert response.status_code == 404
    assert not AccessLog.objects.filter(user=clerk_b).exists()


def test_anonymous_users_are_sent_to_login(client, notice):
    response = client.get(reverse("document_download", args=[notice.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.clause("S17")
def test_the_check_page_is_public_and_shows_no_personal_data(client, notice, people):
    response = client.get(reverse("verify_document", args=[notice.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "真实有效" in html and notice.number in html and "不予批准告知书" in html
    assert "兰山街道" in html
    for secret in (APPLICANT, people["applicant"].id_number, people["applicant"].masked_id,
                   CASE_NUMBER, "13805391234", "和平路", "高于当地低保标准"):
        assert secret not in html, secret


@pytest.mark.clause("S17")
def test_the_check_page_says_superseded(client, notice, leader_a):
    new = document_correct(document=notice, by=leader_a, reason="理由表述有误")
    html = client.get(reverse("verify_document", args=[notice.code])).content.decode()
    assert "已被更正" in html and new.number in html and "真实有效" not in html
    html = client.get(reverse("verify_document", args=[new.code])).content.decode()
    assert "真实有效" in html


def test_the_code_may_be_typed_with_a_dash_and_in_lower_case(client, notice):
    response = client.get(reverse("verify_lookup"), {"code": notice.code_display.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("verify_document", args=[notice.code])


def test_an_unknown_code_is_404(client, db):
    response = client.get(reverse("verify_document", args=["ZZZZZZZZZZ"]))
    assert response.status_code == 404 and "未找到" in response.content.decode()


@pytest.mark.clause("S17")
def test_the_issued_pdf_carries_the_code_and_the_check_url(notice):
    text = pdf_text(stored_bytes(notice))
    assert notice.code_display in text
    assert reverse("verify_document", args=[notice.code]) in text


@pytest.mark.clause("S18")
def test_archive_pages_are_scoped(client, clerk_a, clerk_b, notice, household):
    _login(client, clerk_a)
    page = client.get(reverse("household_archive", args=[household.pk]))
    assert page.status_code == 200 and notice.number in page.content.decode()
    pdf = client.get(reverse("household_archive_pdf", args=[household.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    archive = client.get(reverse("household_archive_zip", args=[household.pk]))
    assert archive.status_code == 200 and archive.content.startswith(b"PK")
    assert AccessLog.objects.filter(user=clerk_a, action="export").count() == 2
    client.logout()
    _login(client, clerk_b)
    assert client.get(reverse("household_archive_pdf", args=[household.pk])).status_code == 404


@pytest.mark.clause("S15")
def test_bundle_download(client, clerk_a, clerk_b, full_case):
    response = _login(client, clerk_a).get(reverse("case_bundle_pdf", args=[full_case.pk]))
    assert response.status_code == 200
    assert "社会救助申请书" in pdf_text(response.content)
    client.logout()
    _login(client, clerk_b)
    assert client.get(reverse("case_bundle_pdf", args=[full_case.pk])).status_code == 404


@pytest.mark.clause("S16")
def test_the_delivery_form_refuses_a_failed_delivery_without_phone_record(client, clerk_a,
                                                                          notice):
    url = reverse("document_deliver", args=[notice.pk])
    data = {"method": "post", "attempted_at": "2026-01-05T10:00", "outcome": "failed",
            "failure_reason": "邮件退回"}
    response = _login(client, clerk_a).post(url, data)
    assert response.status_code == 400 and "电话告知记录" in response.content.decode()
    data |= {"phone_number": "13805391234", "called_at": "2026-01-05T11:00",
             "spoke_with": "王秀英本人", "content": "告知不予批准决定及救济途径。"}
    assert client.post(url, data).status_code == 302
    assert notice.deliveries.get().phone_notifications.count() == 1


def test_bureau_staff_see_deliveries_but_do_not_record_them(client, bureau, notice):
    url = reverse("document_deliver", args=[notice.pk])
    assert _login(client, bureau).get(url).status_code == 200
    client.post(url, {"method": "in_person", "attempted_at": "2026-01-05T10:00",
                      "outcome": "delivered", "recipient": "王秀英"})
    assert not notice.deliveries.exists()


def test_the_case_page_tag_lists_documents_and_what_awaits_delivery(full_case, notice, rf,
                                                                     clerk_a):
    from django.template import Context, Template

    html = Template("{% load doc_pages %}{% case_documents case %}").render(
        Context({"case": full_case}))
    assert notice.number in html and "待送达" in html
    assert reverse("document_deliver", args=[notice.pk]) in html
    assert reverse("case_bundle_pdf", args=[full_case.pk]) in html
