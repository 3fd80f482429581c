"""The leader's sign-off queue: evidence on one page, single and batch sign-off (S7)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.demo_cases import build_case
from cases.permissions import Role
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, make_user

pytestmark = pytest.mark.django_db
S = CaseStatus


def _awaiting(village, staff):
    return build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village), **staff)


@pytest.mark.clause("S7")
def test_batch_sign_off_is_one_transition_and_event_per_case(client, village_a, staff):
    cases = [_awaiting(village_a, staff) for _ in range(2)]
    client.force_login(staff["leader"])
    page = client.get(reverse("leader_queue")).content.decode()
    for case in cases:
        assert case.number in page
    assert "公示期满无异议" in page
    response = client.post(reverse("leader_queue"), {"case": [c.pk for c in cases]})
    assert response.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert case.status == S.APPROVED
        assert case.events.filter(action="sign_off").count() == 1


@pytest.mark.clause("S1")
def test_batch_cannot_reach_another_townships_cases(client, village_a, village_b, staff,
                                                    township_b, clerk_b):
    verifier_b = make_user("verifier_b", Role.VERIFIER, townships=[township_b])
    leader_b = make_user("leader_b", Role.LEADER, townships=[township_b])
    other = build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_b),
                       clerk=clerk_b, verifier=verifier_b, leader=leader_b)
    client.force_login(staff["leader"])
    assert other.number not in client.get(reverse("leader_queue")).content.decode()
    client.post(reverse("leader_queue"), {"case": [other.pk]})
    other.refresh_from_db()
    assert other.status == S.AWAITING_SIGN_OFF


def test_a_refused_case_does_not_stop_the_others(client, village_a, staff):
    good = _awaiting(village_a, staff)
    early = build_case(S.IN_PUBLICITY, household=HouseholdFactory(village=village_a),
                       days_ago=0, **staff)
    client.force_login(staff["leader"])
    response = client.post(reverse("leader_queue"), {"case": [early.pk, good.pk]}, follow=True)
    good.refresh_from_db()
    early.refresh_from_db()
    assert good.status == S.APPROVED
    assert early.status == S.IN_PUBLICITY
    assert "不能执行“审批同意”" in response.content.decode()


def test_only_leaders_have_a_queue(client, staff):
    client.force_login(staff["clerk"])
    assert client.get(reverse("leader_queue")).status_code == 403


def test_queue_query_count_does_not_grow_with_rows(client, village_a, staff):
    client.force_login(staff["leader"])
    _awaiting(village_a, staff)
    cache.clear()  # both requests cold: the header's unread count is cached per user
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("leader_queue"))
    for _ in range(3):
        _awaiting(village_a, staff)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("leader_queue"))
    assert len(many) == len(few)


def test_queue_reads_no_encrypted_field_it_does_not_show(client, village_a, staff):
    """Each encrypted value read is a decryption: the queue shows names, amounts and evidence,
    so it reads neither the applicant's ID number, phone or health nor the visits' member
    conditions."""
    case = _awaiting(village_a, staff)
    client.force_login(staff["leader"])
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("leader_queue")).content.decode()
    assert case.number in page and case.applicant.name in page
    assert case.home_visits.exists()
    case_sql = [q["sql"] for q in captured.captured_queries if 'FROM "cases_case"' in q["sql"]]
    visit_sql = [q["sql"] for q in captured.captured_queries
                 if 'FROM "cases_homevisit"' in q["sql"]]
    assert case_sql and visit_sql
    for sql in case_sql:
        for column in ("id_number", "phone", "health", "disability_grade", "bank_account"):
            assert f'"cases_person"."{column}"' not in sql
            assert f'"cases_household"."{column}"' not in sql
    assert all('"member_conditions"' not in sql for sql in visit_sql)
