"""Confidentiality of verification data (S19): who may request or see it, the access log,
the bureau's review with its flags, and the watermark on prints and exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cases.errors import CaseActionError
from cases.models import VerificationAccess, VerificationRequest
from cases.verification import access, selectors
from cases.verification import services as vs
from tests.verification.conftest import pdf

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S19")]
SIMULATED = override_settings(VERIFICATION_SIMULATED_SOURCE=True)


def _login(client, user):
    client.force_login(user)
    return client


def _query(case, user):
    return vs.verification_query(case=case, by=user, sources=["bank"], purpose="低保申请核对")


def _allowed(case=None):
    qs = VerificationAccess.objects.filter(allowed=True)
    return qs.filter(case=case) if case else qs


# --- Refusals ---------------------------------------------------------------------------------
def test_an_officer_whose_agreement_has_expired_is_refused(case_a, verifier_a, bureau, today):
    vs.agreement_record(user=verifier_a, signed_on=today - dt.timedelta(days=400),
                        valid_from=today - dt.timedelta(days=400),
                        valid_to=today - dt.timedelta(days=1), scan=pdf(), by=bureau)
    with pytest.raises(CaseActionError) as exc:
        _query(case_a, verifier_a)
    assert exc.value.code == "confidential"
    assert "没有在有效期内的核对保密协议" in exc.value.message
    assert not VerificationRequest.objects.exists()
    assert not _allowed().exists()
    refused = VerificationAccess.objects.get(allowed=False)
    assert refused.user == verifier_a and refused.case == case_a and refused.action == "query"


def test_a_revoked_agreement_no_longer_counts(case_a, verifier_a, bureau, agreement):
    vs.agreement_revoke(agreement=agreement, by=bureau, reason="调离核对岗位")
    assert access.current_agreement(verifier_a) is None
    with pytest.raises(CaseActionError, match="保密协议"):
        _query(case_a, verifier_a)


def test_an_officer_of_another_township_is_refused(case_a, verifier_b, bureau, today):
    vs.agreement_record(user=verifier_b, signed_on=today, valid_from=today, valid_to=None,
                        scan=pdf(), by=bureau)
    with pytest.raises(CaseActionError, match="不属于您所在的镇街"):
        _query(case_a, verifier_b)
    assert not _allowed().exists()
    assert VerificationAccess.objects.filter(user=verifier_b, allowed=False).count() == 1


def test_a_clerk_is_refused(case_a, clerk_a, client):
    with pytest.raises(CaseActionError, match="只有镇街指定的核对专员"):
        _query(case_a, clerk_a)
    response = _login(client, clerk_a).get(reverse("verification_case", args=[case_a.pk]))
    assert response.status_code == 403
    assert "只有镇街指定的核对专员" in response.content.decode()
    assert not _allowed().exists()
    assert VerificationAccess.objects.filter(user=clerk_a, allowed=False).count() == 2


def test_a_case_without_every_authorization_is_refused(officer_a, household_a, clerk_a, verifier_a,
                                                       leader_a, agreement):
    from cases.demo_cases import build_case

    case = build_case("received", household=household_a, clerk=clerk_a, verifier=officer_a,
                      leader=leader_a)
    case.authorizations.all().delete()
    assert "核对授权书" in access.refusal(case, verifier_a, access.A.VIEW)


def test_a_decided_case_is_refused(officer_a, household_a, household_a2, clerk_a, verifier_a,
                                   leader_a, agreement):
    from cases.demo_cases import build_case

    case = build_case("approved", household=household_a, clerk=clerk_a, verifier=officer_a,
                      leader=leader_a, days_ago=30)
    assert "只能查看在办案件" in access.refusal(case, verifier_a, access.A.VIEW)
    in_publicity = build_case("in_publicity", household=household_a2, clerk=clerk_a,
                              verifier=officer_a, leader=leader_a, days_ago=1)
    assert access.refusal(in_publicity, verifier_a, access.A.VIEW) == ""
    assert "只有在核对与入户调查" in access.refusal(in_publicity, verifier_a, access.A.QUERY)


# --- Each allowed look-up logged once -------------------------------------------------------
def test_a_query_is_logged_once_with_purpose_source_and_ip(case_a, verifier_a, agreement):
    vs.verification_query(case=case_a, by=verifier_a, sources=["bank", "tax"],
                          purpose="低保申请核对", ip="192.168.3.7")
    row = _allowed(case_a).get()
    assert (row.user, row.action, row.purpose, row.ip) == (verifier_a, "query", "低保申请核对",
                                                           "192.168.3.7")
    assert row.source == "银行存款、税务"
    assert row.at is not None


@SIMULATED
def test_viewing_printing_and_exporting_are_each_logged_once(case_a, verifier_a, agreement,
                                                              client):
    vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对",
                          channel="simulated")
    report = vs.report_compile(case=case_a, by=verifier_a, conclusion="如实反映。")
    before = _allowed(case_a).count()
    client = _login(client, verifier_a)
    page = client.get(reverse("verification_case", args=[case_a.pk]), REMOTE_ADDR="10.9.8.7")
    assert page.status_code == 200
    assert _allowed(case_a).count() == before + 1
    view = _allowed(case_a).order_by("-id").first()
    assert (view.action, view.ip, view.purpose) == ("view", "10.9.8.7", "查看核对结果")

    printed = client.get(reverse("verification_report_print", args=[report.pk]))
    assert printed.status_code == 200
    assert _allowed(case_a).count() == before + 2
    exported = client.get(reverse("verification_report_export", args=[report.pk]))
    assert exported.status_code == 200
    assert _allowed(case_a).count() == before + 3
    actions = list(_allowed(case_a).order_by("-id").values_list("action", flat=True)[:3])
    assert actions == ["export", "print", "view"]


@SIMULATED
def test_prints_and_exports_carry_a_watermark_naming_the_viewer_and_time(case_a, verifier_a,
                                                                         agreement, client):
    from openpyxl import load_workbook

    verifier_a.last_name, verifier_a.first_name = "王", "强"
    verifier_a.save()
    vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对",
                          channel="simulated")
    report = vs.report_compile(case=case_a, by=verifier_a, conclusion="如实反映。")
    client = _login(client, verifier_a)
    now = timezone.localtime()
    stamp = f"{now.year}年{now.month}月{now.day}日"
    html = client.get(reverse("verification_report_print", args=[report.pk])).content.decode()
    assert "查看人：王强（verifier_a）" in html and stamp in html
    assert html.count('class="watermark"') == 1 and html.count("仅限核对工作使用") > 10
    data = client.get(reverse("verification_report_export", args=[report.pk])).content
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["A1"].value.startswith("查看人：王强（verifier_a） " + stamp)
    assert "查看人：王强" in ws.oddHeader.center.text
    assert "查看人：王强" in ws.oddFooter.center.text


def test_refused_print_is_logged_as_refused(case_a, verifier_a, agreement, clerk_a, client):
    report = case_a.verification_reports.first()
    response = _login(client, clerk_a).get(reverse("verification_report_print",
                                                   args=[report.pk]))
    assert response.status_code == 403
    row = VerificationAccess.objects.get(user=clerk_a)
    assert (row.action, row.allowed) == ("print", False)


# --- The bureau's review ----------------------------------------------------------------------
def test_the_bureau_filters_the_log_by_user_and_date(case_a, verifier_a, agreement, clerk_a,
                                                     bureau, client, today):
    _query(case_a, verifier_a)
    with pytest.raises(CaseActionError):
        _query(case_a, clerk_a)
    client = _login(client, bureau)
    url = reverse("verification_access_log")
    page = client.get(url, {"user": verifier_a.pk, "from": today.isoformat(),
                            "to": today.isoformat()})
    assert page.status_code == 200
    rows = list(page.context["page"])
    assert rows and all(r.user == verifier_a for r in rows)
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert not list(client.get(url, {"from": yesterday, "to": yesterday}).context["page"])
    refused = client.get(url, {"refused": "1"})
    assert [r.user for r in refused.context["page"]] == [clerk_a]
    assert "被拒绝" in refused.content.decode()


def test_others_cannot_see_the_log(clerk_a, verifier_a, client):
    for user in (clerk_a, verifier_a):
        client.logout()
        response = _login(client, user).get(reverse("verification_access_log"))
        assert response.status_code == 403


def test_more_queries_than_cases_in_a_day_is_flagged(case_a, verifier_a, agreement):
    """Two queries on one case in one day: more look-ups than cases — flagged."""
    vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对")
    vs.verification_query(case=case_a, by=verifier_a, sources=["tax"], purpose="核对")
    flags = selectors.unusual_days(selectors.access_log())
    assert len(flags) == 1
    flag = flags[0]
    assert flag.user == verifier_a and flag.queries == 2 and flag.queried_cases == 1
    assert any("当日查询2次，多于所涉案件数1件" in r for r in flag.reasons)


def test_a_normal_day_is_not_flagged(case_a, verifier_a, agreement):
    import time_machine

    at = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))  # a Wednesday, 10:00
    with time_machine.travel(at, tick=False):
        vs.verification_query(case=case_a, by=verifier_a, sources=["bank", "tax"],
                              purpose="核对")
    assert selectors.unusual_days(selectors.access_log()) == []


def test_off_hours_and_refused_look_ups_are_flagged(case_a, verifier_a, agreement, clerk_a):
    import time_machine

    night = timezone.make_aware(dt.datetime(2026, 11, 25, 23, 30))
    with time_machine.travel(night, tick=False):
        vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对")
        with pytest.raises(CaseActionError):
            _query(case_a, clerk_a)
    reasons = {f.user.username: f.reasons for f in selectors.unusual_days(
        selectors.access_log())}
    assert any("非工作时间查阅1次" in r for r in reasons["verifier_a"])
    assert any("被拒绝" in r for r in reasons["clerk_a"])


def test_the_access_log_is_append_only(case_a, verifier_a, agreement):
    _query(case_a, verifier_a)
    row = _allowed().get()
    row.purpose = "改写"
    with pytest.raises(ValueError, match="只能追加"):
        row.save()
    with pytest.raises(ValueError, match="只能追加"):
        row.delete()


@pytest.mark.postgres
def test_postgresql_refuses_updates_to_the_access_log(case_a, verifier_a, agreement):
    from django.db import connection, transaction
    from django.db.utils import DatabaseError

    if connection.vendor != "postgresql":
        pytest.skip("trigger exists on PostgreSQL")
    _query(case_a, verifier_a)
    with pytest.raises(DatabaseError), transaction.atomic():
        VerificationAccess.objects.update(purpose="改写")


# --- The manual result form of the case page --------------------------------------------------
def _record(case, user):
    from decimal import Decimal

    from cases import services

    return services.verification_record(case=case, monthly_income=Decimal("320.00"),
                                        conclusion="人均收入低于低保标准。", by=user)


def test_recording_a_result_needs_a_current_agreement(case_a, verifier_a, bureau, today):
    from cases.models import VerificationReport

    before = VerificationReport.objects.filter(case=case_a).count()
    with pytest.raises(CaseActionError, match="没有在有效期内的核对保密协议"):
        _record(case_a, verifier_a)
    vs.agreement_record(user=verifier_a, signed_on=today - dt.timedelta(days=400),
                        valid_from=today - dt.timedelta(days=400),
                        valid_to=today - dt.timedelta(days=1), scan=pdf(), by=bureau)
    with pytest.raises(CaseActionError, match="没有在有效期内的核对保密协议"):
        _record(case_a, verifier_a)
    assert VerificationReport.objects.filter(case=case_a).count() == before
    vs.agreement_record(user=verifier_a, signed_on=today, valid_from=today, valid_to=None,
                        scan=pdf(), by=bureau)
    report = _record(case_a, verifier_a)
    assert report.recorded_by == verifier_a and report.version == before + 1


def test_a_clerk_recording_a_result_is_told_it_is_for_officers(case_a, clerk_a):
    with pytest.raises(CaseActionError, match="只有本镇街指定的核对专员"):
        _record(case_a, clerk_a)


def test_the_case_page_offers_and_accepts_the_form_only_under_an_agreement(
        case_a, verifier_a, bureau, today, client):
    from cases.models import CaseEvent, VerificationReport

    client.force_login(verifier_a)
    page = client.get(case_a.get_absolute_url()).content.decode()
    assert 'name="verification-conclusion"' not in page
    reports = VerificationReport.objects.filter(case=case_a).count()
    events = CaseEvent.objects.filter(case=case_a).count()
    response = client.post(reverse("case_evidence", args=[case_a.pk, "verification"]),
                           {"verification-monthly_income": "320.00",
                            "verification-conclusion": "人均收入低于低保标准。"}, follow=True)
    assert "没有在有效期内的核对保密协议" in response.content.decode()
    assert VerificationReport.objects.filter(case=case_a).count() == reports
    assert CaseEvent.objects.filter(case=case_a).count() == events

    vs.agreement_record(user=verifier_a, signed_on=today, valid_from=today, valid_to=None,
                        scan=pdf(), by=bureau)
    page = client.get(case_a.get_absolute_url()).content.decode()
    assert 'name="verification-conclusion"' in page
    client.post(reverse("case_evidence", args=[case_a.pk, "verification"]),
                {"verification-monthly_income": "320.00",
                 "verification-conclusion": "人均收入低于低保标准。"})
    assert VerificationReport.objects.filter(case=case_a).count() == reports + 1


@override_settings(VERIFICATION_SIMULATED_SOURCE=True, TRUST_X_FORWARDED_FOR=True)
def test_behind_the_proxy_the_verification_log_records_the_visitor(case_a, verifier_a,
                                                                   agreement, client):
    """Guards: the verification pages logging `lanshan_aid.client_address.client_ip`."""
    vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对",
                          channel="simulated")
    client = _login(client, verifier_a)
    page = client.get(reverse("verification_case", args=[case_a.pk]), REMOTE_ADDR="172.18.0.5",
                      HTTP_X_FORWARDED_FOR="10.0.0.99, 203.0.113.10")
    assert page.status_code == 200
    assert _allowed(case_a).order_by("-id").first().ip == "203.0.113.10"
