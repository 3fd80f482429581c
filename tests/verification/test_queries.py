"""Verification requests through the data-source adapters, authorization scans, and the
versioned verification report (S2, S4, S5, S20)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from cases import services
from cases.errors import CaseActionError
from cases.models import (
    VerificationAccess,
    VerificationAuthorization,
    VerificationReport,
    VerificationRequest,
    VerificationResult,
)
from cases.verification import selectors
from cases.verification import services as vs
from cases.verification.sources import SimulatedSource
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, PersonFactory
from tests.verification.conftest import pdf, scan_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("agreement")]
SIMULATED = override_settings(VERIFICATION_SIMULATED_SOURCE=True)
ALL = ["hukou", "real_estate", "vehicle", "business", "social_insurance", "housing_fund",
       "tax", "bank", "wealth", "civil"]


@SIMULATED
def test_the_simulated_source_answers_every_member_and_source_at_once(case_a, verifier_a):
    """clause: S20"""
    created = vs.verification_query(case=case_a, by=verifier_a, sources=ALL,
                                    purpose="低保申请核对", channel="simulated", ip="10.0.0.8")
    members = case_a.household.current_members().count()
    assert len(created) == members * len(ALL)
    assert all(r.status == VerificationRequest.Status.ANSWERED for r in created)
    assert VerificationResult.objects.filter(request__case=case_a).count() >= len(created)
    assert case_a.events.filter(action="verification_requested").count() == 1


@SIMULATED
def test_the_simulated_source_is_deterministic(case_a, verifier_a):
    """The same person and source always give the same records (demo and tests rely on it)."""
    request = vs.verification_query(case=case_a, by=verifier_a, sources=["bank"],
                                    purpose="核对", channel="simulated")[0]
    again = SimulatedSource().records_for(request)
    stored = [(r.content_sha256) for r in request.results.order_by("id")]
    assert [r.content_key() for r in again] == stored


def test_the_simulated_source_is_off_unless_enabled(case_a, verifier_a):
    with pytest.raises(CaseActionError, match="数据渠道不可用"):
        vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对",
                              channel="simulated")


def test_platform_requests_wait_for_the_result_file(case_a, verifier_a):
    created = vs.verification_query(case=case_a, by=verifier_a, sources=["bank", "vehicle"],
                                    purpose="核对")
    assert {r.status for r in created} == {VerificationRequest.Status.PENDING}
    assert created[0].number == f"{case_a.number}-HD001"
    with pytest.raises(CaseActionError, match="均已有待反馈的核对请求"):
        vs.verification_query(case=case_a, by=verifier_a, sources=["bank", "vehicle"],
                              purpose="核对")


def test_no_query_without_the_scanned_authorization(officer_a, household_a, clerk_a, verifier_a,
                                                     leader_a):
    """clause: S2

    先授权后核对: an authorization recorded without the signed scan is not enough.
    """
    from cases.demo_cases import build_case

    case = build_case("investigating", household=household_a, clerk=clerk_a,
                      verifier=officer_a, leader=leader_a, days_ago=3)
    with pytest.raises(CaseActionError, match="授权书扫描件尚未上传"):
        vs.verification_query(case=case, by=verifier_a, sources=["bank"], purpose="核对")
    assert not VerificationRequest.objects.filter(case=case).exists()


def test_a_minor_is_queried_under_an_adult_members_authorization(officer_a, village_a, clerk_a,
                                                                 verifier_a, leader_a):
    """clause: S2"""
    import datetime as dt

    from cases.demo_cases import build_case

    adult = PersonFactory(born=dt.date(1980, 5, 1))
    child = PersonFactory(born=dt.date(2015, 5, 1))
    household = HouseholdFactory(village=village_a, members=[adult, child])
    case = build_case("investigating", household=household, clerk=clerk_a,
                      verifier=officer_a, leader=leader_a, days_ago=3)
    scan_all(case, clerk_a)
    created = vs.verification_query(case=case, by=verifier_a, sources=["bank"],
                                    purpose="核对", persons=[child])
    assert created[0].authorization.person == adult


def test_authorization_scan_is_checked_hashed_and_never_replaced(case_a, clerk_a):
    """clause: S2"""
    auth = VerificationAuthorization.objects.filter(case=case_a).first()
    assert auth.scan and len(auth.scan_sha256) == 64
    assert case_a.events.filter(action="authorization_scan_attached").exists()
    with pytest.raises(CaseActionError, match="不能替换"):
        services.authorization_record(case=case_a, person=auth.person,
                                      signed_on=auth.signed_on, by=clerk_a, scan=pdf())
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(CaseActionError, match="PDF、JPG或PNG"):
        services.authorization_record(
            case=case_a, person=auth.person, signed_on=auth.signed_on, by=clerk_a,
            scan=SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf"))


@SIMULATED
def test_the_report_compiled_from_results_is_the_next_version(case_a, verifier_a):
    """clause: S4, S20

    build_case recorded a manual report (version 1); the compiled one is version 2, keeps
    the results it was made from with their SHA-256, and sums the incomes found.
    """
    vs.verification_query(case=case_a, by=verifier_a, sources=ALL, purpose="核对",
                          channel="simulated")
    report = vs.report_compile(case=case_a, by=verifier_a, conclusion="经核对，情况如上。")
    assert report.version == 2
    assert report.previous.version == 1
    assert report.basis == VerificationReport.Basis.RESULTS
    assert len(report.snapshot_sha256) == 64
    assert report.snapshot_sha256 == vs.snapshot_digest(report.snapshot)
    total = sum((r.monthly_income for r in VerificationResult.objects.filter(
        request__case=case_a, found=True, monthly_income__isnull=False)), Decimal("0"))
    assert report.monthly_income == total
    assert {m["person_id"] for m in report.snapshot["members"]} == set(
        case_a.household.current_members().values_list("person_id", flat=True))
    assert VerificationAccess.objects.filter(case=case_a, action="compile").count() == 1


@SIMULATED
def test_a_recheck_report_is_a_new_version_of_the_verification_report(case_a, verifier_a,
                                                                       clerk_a):
    """clause: S5

    After an objection the officer queries again and compiles: the recheck report is the
    next version, marked as a recheck, pointing at the report it replaces; the recheck can
    then be completed and its document issued.
    """
    vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对",
                          channel="simulated")
    first = vs.report_compile(case=case_a, by=verifier_a, conclusion="初次核对。")
    services.case_open_recheck(case=case_a, by=clerk_a, content="存款为代管他人款项。")
    case_a.refresh_from_db()
    vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="复查",
                          channel="simulated")
    recheck = vs.report_compile(case=case_a, by=verifier_a, conclusion="复查：维持原结果。")
    assert recheck.is_recheck and recheck.version == first.version + 1
    assert recheck.previous == first
    assert selectors.snapshot_changes(recheck) == []
    case = services.case_complete_recheck(case=case_a, by=verifier_a)
    assert case.status == CaseStatus.INVESTIGATING


@SIMULATED
def test_compiling_needs_answers(case_a, verifier_a):
    with pytest.raises(CaseActionError, match="尚无已反馈的核对结果"):
        vs.report_compile(case=case_a, by=verifier_a, conclusion="无")


def test_a_pending_request_can_be_cancelled_and_sent_again(case_a, verifier_a):
    request = vs.verification_query(case=case_a, by=verifier_a, sources=["tax"],
                                    purpose="核对", persons=[case_a.applicant])[0]
    vs.verification_request_cancel(request=request, by=verifier_a, reason="平台超时未反馈")
    request.refresh_from_db()
    assert request.status == VerificationRequest.Status.CANCELLED
    again = vs.verification_query(case=case_a, by=verifier_a, sources=["tax"],
                                  purpose="核对", persons=[case_a.applicant])
    assert again[0].number.endswith("HD002")
