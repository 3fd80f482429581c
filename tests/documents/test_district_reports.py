"""After approval the 审核审批表 goes to the district bureau's inbox, where it is
acknowledged (S18)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.demo_cases import build_case
from documents.models import DistrictReport
from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S18")]


@pytest.fixture
def approved(village_a, clerk_a, verifier_a, leader_a):
    return build_case("approved", household=HouseholdFactory(village=village_a), clerk=clerk_a,
                      verifier=verifier_a, leader=leader_a)


def test_sign_off_files_the_approval_table_with_the_district(approved):
    report = DistrictReport.objects.get(case=approved)
    assert report.document.kind == "approval_table"
    assert report.township == approved.township
    assert report.acknowledged_at is None
    assert approved.events.filter(action="district_report_filed").count() == 1


def test_the_bureau_acknowledges_once(client, approved, bureau):
    report = DistrictReport.objects.get(case=approved)
    client.force_login(bureau)
    page = client.get(reverse("district_reports"), {"state": "pending"}).content.decode()
    assert report.document.number in page
    client.post(reverse("district_report_ack", args=[report.pk]))
    client.post(reverse("district_report_ack", args=[report.pk]))
    report.refresh_from_db()
    assert report.acknowledged_by == bureau
    assert approved.events.filter(action="district_report_acknowledged").count() == 1


def test_township_staff_see_their_own_reports_but_cannot_acknowledge(client, approved,
                                                                     leader_a, clerk_b):
    report = DistrictReport.objects.get(case=approved)
    client.force_login(leader_a)
    assert report.document.number in client.get(reverse("district_reports")).content.decode()
    response = client.post(reverse("district_report_ack", args=[report.pk]), follow=True)
    assert "只有区民政局工作人员可以签收" in response.content.decode()
    report.refresh_from_db()
    assert report.acknowledged_at is None
    client.force_login(clerk_b)
    assert report.document.number not in client.get(reverse("district_reports")).content.decode()
    assert client.post(reverse("district_report_ack", args=[report.pk])).status_code == 404


def test_the_inbox_query_count_does_not_grow(client, bureau, village_a, clerk_a, verifier_a,
                                             leader_a, approved):
    client.force_login(bureau)
    cache.clear()  # both requests cold: the header's unread count is cached per user
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("district_reports"))
    cache.clear()
    build_case("approved", household=HouseholdFactory(village=village_a), clerk=clerk_a,
               verifier=verifier_a, leader=leader_a)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("district_reports"))
    assert len(many) == len(few)
