"""The verification, import, authorization, assessment pages and the case page's section."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from cases.errors import CaseActionError
from cases.models import Assessment, VerificationReport, VerificationRequest
from cases.verification import selectors
from cases.verification import services as vs
from tests.verification.conftest import pdf
from tests.verification.test_import import good_rows, xlsx

pytestmark = pytest.mark.django_db
SIMULATED = override_settings(VERIFICATION_SIMULATED_SOURCE=True)


def _login(client, user):
    client.force_login(user)
    return client


@SIMULATED
def test_the_officer_queries_and_compiles_from_the_page(case_a, verifier_a, agreement,
                                                        client):
    """clause: S19, S20"""
    client = _login(client, verifier_a)
    page = client.get(reverse("verification_case", args=[case_a.pk]))
    assert page.status_code == 200
    assert "保密数据" in page.content.decode()
    response = client.post(reverse("verification_query", args=[case_a.pk]), {
        "q-sources": ["bank", "hukou"], "q-purpose": "低保申请核对", "q-channel": "simulated"})
    assert response.status_code == 302
    assert VerificationRequest.objects.filter(case=case_a, status="answered").exists()
    response = client.post(reverse("verification_compile", args=[case_a.pk]),
                           {"c-conclusion": "经核对，如实反映。"})
    assert response.status_code == 302
    report = case_a.verification_reports.order_by("-version").first()
    assert report.basis == VerificationReport.Basis.RESULTS
    page = client.get(reverse("verification_case", args=[case_a.pk])).content.decode()
    assert f"第{report.version}版" in page and "银行存款" in page


def test_the_platform_request_sheet_lists_pending_requests(case_a, verifier_a, agreement,
                                                           client):
    """clause: S20"""
    from openpyxl import load_workbook

    created = vs.verification_query(case=case_a, by=verifier_a, sources=["bank"],
                                    purpose="核对")
    response = _login(client, verifier_a).get(reverse("verification_request_sheet",
                                                      args=[case_a.pk]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    numbers = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert numbers == [r.number for r in created]
    assert "查看人：" in ws.oddHeader.center.text


def test_the_import_page_lists_every_error(case_a, verifier_a, agreement, client):
    """clause: S20"""
    created = vs.verification_query(case=case_a, by=verifier_a, sources=["bank"],
                                    purpose="核对")
    rows = good_rows(created)
    rows[0][0] = "NOPE"
    client = _login(client, verifier_a)
    upload = SimpleUploadedFile("结果.xlsx", xlsx(rows))
    response = client.post(reverse("verification_import"), {"file": upload})
    assert response.status_code == 400
    assert "第2行第A列（请求编号）：找不到请求编号“NOPE”。" in response.content.decode()
    good = SimpleUploadedFile("结果.xlsx", xlsx(good_rows(created)))
    response = client.post(reverse("verification_import"), {"file": good})
    assert response.status_code == 200
    assert "导入成功" in response.content.decode()


def test_the_import_page_is_for_designated_officers_only(clerk_a, verifier_a, client):
    assert _login(client, clerk_a).get(reverse("verification_import")).status_code == 403
    client.logout()
    assert _login(client, verifier_a).get(reverse("verification_import")).status_code == 403


def test_the_clerk_uploads_the_signed_authorizations(officer_a, household_a, clerk_a, verifier_a,
                                                     leader_a, client):
    """clause: S2"""
    from cases.demo_cases import build_case

    case = build_case("received", household=household_a, clerk=clerk_a, verifier=officer_a,
                      leader=leader_a, days_ago=1)
    client = _login(client, clerk_a)
    url = reverse("authorization_scans", args=[case.pk])
    assert "未上传" in client.get(url).content.decode()
    person = case.adult_members()[0]
    response = client.post(url, {"a-person": person.pk, "a-signed_on": "2026-11-20",
                                 "a-scan": pdf()})
    assert response.status_code == 302
    auth = case.authorizations.get(person=person)
    assert auth.scan and auth.scan_sha256
    bad = client.post(url, {"a-person": case.adult_members()[-1].pk,
                            "a-signed_on": "2026-11-20",
                            "a-scan": SimpleUploadedFile("a.pdf", b"hello")})
    if len(case.adult_members()) > 1:
        assert bad.status_code == 400
        assert "PDF、JPG或PNG" in bad.content.decode()


def test_the_case_page_section_links_by_role(case_a, clerk_a, verifier_a, agreement,
                                             assistant_a, client):
    url = reverse("case_materials", args=[case_a.pk])
    page = _login(client, verifier_a).get(url).content.decode()
    assert reverse("verification_case", args=[case_a.pk]) in page
    client.logout()
    page = _login(client, clerk_a).get(url).content.decode()
    assert reverse("verification_case", args=[case_a.pk]) not in page
    assert reverse("assessment", args=[case_a.pk]) in page
    assert "第1版" in page  # the manual report of the demo builder, with its version
    visits = client.get(reverse("case_visits", args=[case_a.pk])).content.decode()
    assert reverse("home_visit_new", args=[case_a.pk]) in visits


def test_the_assessment_page_computes_and_shows_the_whole_calculation(case_a, clerk_a,
                                                                      client):
    """The demo builder's report: household income 300.00. Rural (450), 2 members.

    Per capita 150.00; amount (450 − 150) × 2 = 600.00.
    """
    members = [m.person for m in case_a.household.current_members()]
    client = _login(client, clerk_a)
    url = reverse("assessment", args=[case_a.pk])
    assert client.get(url).status_code == 200
    data = {"m-on": "2026-11-26", "m-financial": "0", "m-homes": "1", "m-commercial": "0",
            "m-cars": "0", "m-exempt_vehicles": "0", "m-businesses": "0"}
    for p in members:
        data[f"m-excl_{p.pk}"] = ""
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    a = Assessment.objects.get(case=case_a)
    assert a.eligible and a.amount == Decimal("600.00")
    assert a.per_capita_income == Decimal("150.00") and a.standard == Decimal("450.00")
    page = client.get(url).content.decode()
    assert "(450.00 − 150.00) × 2人" in page
    assert "农村低保标准：450.00元/人·月（2020年7月1日起执行）" in page
    assert selectors.assessment_for_document(case_a)["amount"] == "600.00"


def test_an_assessment_for_a_date_without_standards_says_so(case_a, clerk_a):
    import datetime as dt

    with pytest.raises(CaseActionError, match="尚未设置2010年1月1日适用的农村低保标准"):
        vs.assessment_record(case=case_a, by=clerk_a, on=dt.date(2010, 1, 1))
    assert not Assessment.objects.exists()


def test_an_assessment_with_an_extra_declared_income(case_a, clerk_a):
    """Report 300.00 + declared rent 150.00 = 450.00; 2 members → 225.00 per capita;
    (450 − 225) × 2 = 450.00."""
    from cases.models import IncomeType

    member = case_a.household.current_members().first().person
    a = vs.assessment_record(case=case_a, by=clerk_a, extra_incomes=[{
        "person": member, "type": IncomeType.objects.get(code="rent"),
        "monthly": Decimal("150.00"), "source": "入户调查"}])
    assert a.amount == Decimal("450.00")
    assert a.version == 1
    again = vs.assessment_record(case=case_a, by=clerk_a)
    assert again.version == 2 and again.amount == Decimal("600.00")


def test_a_bureau_user_reads_the_assessment_but_cannot_compute(case_a, clerk_a, bureau,
                                                               client):
    vs.assessment_record(case=case_a, by=clerk_a)
    client = _login(client, bureau)
    url = reverse("assessment", args=[case_a.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(url, {}).status_code == 403


def test_the_officer_start_page(case_a, verifier_a, agreement, client):
    page = _login(client, verifier_a).get(reverse("verification_home"))
    assert page.status_code == 200
    assert case_a.number in page.content.decode()


def test_admin_registrations_load():
    from django.contrib import admin

    from cases import admin_verification  # noqa: F401
    from cases.models import ConfidentialityAgreement, Standard

    assert admin.site.is_registered(Standard)
    assert admin.site.is_registered(ConfidentialityAgreement)


def _admin_request(rf, user):
    from django.contrib.messages.storage.cookie import CookieStorage

    request = rf.post("/admin/")
    request.user = user
    request._messages = CookieStorage(request)
    return request


def test_the_admin_files_an_agreement_through_the_service(verifier_a, superuser, rf):
    """clause: S19"""
    from django.contrib import admin

    from cases.admin_verification import AgreementAdminForm, ConfidentialityAgreementAdmin
    from cases.models import ConfidentialityAgreement
    from cases.verification import access

    data = {"user": verifier_a.pk, "signed_on": "2026-11-01", "valid_from": "2026-11-01",
            "valid_to": "2027-10-31", "note": "", "revoked_reason": ""}
    form = AgreementAdminForm(data=data, files={"scan": pdf()})
    assert form.is_valid(), form.errors
    model_admin = ConfidentialityAgreementAdmin(ConfidentialityAgreement, admin.site)
    model_admin.save_model(_admin_request(rf, superuser), form.save(commit=False), form,
                           change=False)
    agreement = ConfidentialityAgreement.objects.get()
    assert len(agreement.scan_sha256) == 64 and agreement.recorded_by == superuser
    assert access.current_agreement(verifier_a) == agreement


def test_the_admin_form_refuses_a_non_officer_and_a_bad_scan(clerk_a):
    from cases.admin_verification import AgreementAdminForm

    data = {"user": clerk_a.pk, "signed_on": "2026-11-01", "valid_from": "2026-11-01",
            "valid_to": "2026-10-31", "note": "", "revoked_reason": ""}
    form = AgreementAdminForm(data=data, files={"scan": SimpleUploadedFile("a.pdf", b"x")})
    assert not form.is_valid()
    assert form.errors["user"] == ["只能为核对专员备案保密协议。"]
    assert form.errors["valid_to"] == ["有效期截止日期不能早于起始日期。"]
    assert "PDF、JPG或PNG" in form.errors["scan"][0]


def test_the_officer_cancels_a_pending_request_on_the_page(case_a, verifier_a, agreement,
                                                           client):
    request = vs.verification_query(case=case_a, by=verifier_a, sources=["tax"],
                                    purpose="核对", persons=[case_a.applicant])[0]
    client = _login(client, verifier_a)
    page = client.get(reverse("verification_case", args=[case_a.pk])).content.decode()
    assert request.number in page and "下载核对申请表" in page
    response = client.post(reverse("verification_cancel", args=[request.pk]),
                           {"x-reason": "平台超时"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == VerificationRequest.Status.CANCELLED


def test_an_officer_without_an_agreement_is_told_on_the_case_page(case_a, verifier_a,
                                                                 client):
    page = _login(client, verifier_a).get(reverse("case_materials", args=[case_a.pk])
                                          ).content.decode()
    assert "您没有在有效期内的核对保密协议" in page
    assert reverse("verification_case", args=[case_a.pk]) not in page


def test_the_log_pages_keep_their_filters(case_a, verifier_a, agreement, bureau, client,
                                          settings):
    settings.LIST_PAGE_SIZE = 1
    for source in ("bank", "tax"):
        vs.verification_query(case=case_a, by=verifier_a, sources=[source], purpose="核对")
    page = _login(client, bureau).get(reverse("verification_access_log"),
                                      {"user": verifier_a.pk})
    assert f"?user={verifier_a.pk}&amp;page=2" in page.content.decode()


def test_the_demo_seed_files_agreements_and_scans(officer_a, household_a, clerk_a, verifier_a,
                                                  leader_a, bureau):
    from cases.demo_cases import build_case
    from cases.verification import access
    from cases.verification.demo import seed_verification

    case = build_case("investigating", household=household_a, clerk=clerk_a,
                      verifier=officer_a, leader=leader_a, days_ago=3)
    counts = seed_verification(by=bureau)
    assert counts["agreements"] == 1 and counts["scans"] == len(case.adult_members())
    assert access.refusal(case, verifier_a, access.A.QUERY) == ""
    assert seed_verification(by=bureau) == {"agreements": 0, "scans": 0}
