"""Case pages: scope, the buttons a user gets, refusals in Chinese, bounded queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.demo_cases import build_case
from cases.models import CaseEvent
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
S = CaseStatus


def _case(state, village, staff):
    return build_case(state, household=HouseholdFactory(village=village), **staff)


def test_case_page_shows_only_the_moves_this_user_may_make(client, village_a, staff):
    case = _case(S.AWAITING_SIGN_OFF, village_a, staff)
    client.force_login(staff["clerk"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert "待领导审批" in page
    assert "审批同意" not in page  # the clerk cannot sign off
    assert "撤回申请" in page or "申请人撤回申请" in page
    client.force_login(staff["leader"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert "审批同意" in page
    assert "不予批准" in page


def test_case_page_shows_clocks_and_timeline(client, village_a, staff):
    case = _case(S.IN_PUBLICITY, village_a, staff)
    client.force_login(staff["clerk"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert "审核审批时限(20个工作日)" in page
    assert "审批公示(7天)" in page
    assert "暂停计时" in page
    assert "计算说明" in page
    trail = client.get(reverse("case_trail", args=[case.pk])).content.decode()
    assert "审核同意并公示" in trail  # timeline entry


def test_other_township_gets_404_for_case_and_actions(client, village_a, staff, clerk_b):
    case = _case(S.AWAITING_SIGN_OFF, village_a, staff)
    client.force_login(clerk_b)
    assert client.get(case.get_absolute_url()).status_code == 404
    response = client.post(reverse("case_action", args=[case.pk, "sign_off"]), {})
    assert response.status_code == 404


def test_a_refused_action_explains_in_chinese_and_changes_nothing(client, village_a, staff):
    case = _case(S.IN_PUBLICITY, village_a, staff)
    events = CaseEvent.objects.filter(case=case).count()
    client.force_login(staff["leader"])
    response = client.post(reverse("case_action", args=[case.pk, "sign_off"]), {}, follow=True)
    assert "不能执行“审批同意”" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.IN_PUBLICITY
    assert CaseEvent.objects.filter(case=case).count() == events


def test_rejection_without_reason_is_a_form_error(client, village_a, staff):
    case = _case(S.INVESTIGATING, village_a, staff)
    client.force_login(staff["leader"])
    response = client.post(reverse("case_action", args=[case.pk, "reject"]),
                           {"reject-reason": ""})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.INVESTIGATING


def test_sign_off_through_the_page(client, village_a, staff):
    case = _case(S.AWAITING_SIGN_OFF, village_a, staff)
    client.force_login(staff["leader"])
    response = client.post(reverse("case_action", args=[case.pk, "sign_off"]),
                           {"sign_off-note": "同意"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.APPROVED


def test_recording_a_home_visit_through_the_page(client, village_a, staff, assistant_a):
    case = _case(S.INVESTIGATING, village_a, staff)
    client.force_login(assistant_a)
    response = client.post(reverse("case_evidence", args=[case.pk, "home_visit"]), {
        "home_visit-visited_on": timezone.localdate(case.accepted_at).isoformat(),
        "home_visit-investigators": "刘春梅\n王强",
        "home_visit-findings": "房屋破旧，无家电。"})
    assert response.status_code == 302
    assert case.home_visits.count() == 2


def test_get_on_an_action_url_is_not_allowed(client, village_a, staff):
    case = _case(S.RECEIVED, village_a, staff)
    client.force_login(staff["clerk"])
    assert client.get(reverse("case_action", args=[case.pk, "accept"])).status_code == 405


def test_creating_an_application_from_the_household_page(client, village_a, staff):
    household = HouseholdFactory(village=village_a, members=2)
    client.force_login(staff["clerk"])
    response = client.post(reverse("case_create", args=[household.pk]), {
        "kind": "dibao", "applicant": household.head.pk, "hardship": "丈夫重病，无收入。"})
    assert response.status_code == 302
    case = household.cases.get()
    assert case.status == S.RECEIVED
    assert case.created_by == staff["clerk"]


def test_case_list_query_count_does_not_grow_with_rows(client, village_a, staff):
    client.force_login(staff["clerk"])
    _case(S.INVESTIGATING, village_a, staff)
    client.get(reverse("case_list"))  # warm: the state counts are cached for a minute
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("case_list")).status_code == 200
    for _ in range(4):
        _case(S.IN_PUBLICITY, village_a, staff)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("case_list")).status_code == 200
    assert len(many) == len(few)


def test_case_page_query_count_is_bounded(client, village_a, staff):
    client.force_login(staff["leader"])
    small = _case(S.INVESTIGATING, village_a, staff)
    big = _case(S.APPROVED, village_a, staff)
    with CaptureQueriesContext(connection) as q_small:
        client.get(small.get_absolute_url())
    with CaptureQueriesContext(connection) as q_big:
        client.get(big.get_absolute_url())
    assert len(q_big) <= len(q_small) + 3
    assert len(q_big) <= 40


def test_the_places_a_user_works_in_are_read_again_on_the_next_request(client, village_a,
                                                                         staff, township_a):
    """The township ids are memoised for one request only: a township taken away shows at the
    next request."""
    from cases import scoping

    case = _case(S.INVESTIGATING, village_a, staff)
    client.force_login(staff["clerk"])
    assert client.get(case.get_absolute_url()).status_code == 200
    scoping.unassign_township(staff["clerk"], township_a)
    assert client.get(case.get_absolute_url()).status_code == 404


def test_a_memo_is_dropped_when_an_assignment_changes_within_it(staff, township_a):
    from cases import scoping

    clerk = staff["clerk"]
    with scoping.request_memo():
        assert scoping.in_township(clerk, township_a.pk)
        scoping.unassign_township(clerk, township_a)
        assert not scoping.in_township(clerk, township_a.pk)
    assert not scoping.in_township(clerk, township_a.pk)


def test_relatives_flags_of_many_cases_match_the_flags_of_each(village_a, staff):
    from django.utils import timezone

    from cases.models import StaffPost
    from cases.models.relatives import RelativeKind
    from cases.verification import relatives

    cases = [_case(S.INVESTIGATING, village_a, staff) for _ in range(3)]
    HouseholdFactory(village=village_a, members=2)
    member = cases[1].household.current_members()[0].person
    relatives.relative_declare(
        by=staff["clerk"], staff_user=staff["clerk"], staff_name="窗口受理员",
        post=StaffPost.TOWNSHIP_STAFF, township=village_a.township,
        relative_name=member.name, relative_id_number=member.id_number,
        relationship=RelativeKind.SPOUSE, declared_on=timezone.localdate())
    relatives.relative_declare(
        by=staff["leader"], staff_user=staff["leader"], staff_name="分管领导",
        post=StaffPost.TOWNSHIP_STAFF, township=village_a.township,
        relative_name=cases[2].applicant.name, relative_id_number=cases[2].applicant.id_number,
        relationship=RelativeKind.SPOUSE, declared_on=timezone.localdate())
    from cases.models import Case

    rows = list(Case.objects.filter(pk__in=[c.pk for c in cases]).select_related("applicant"))
    with CaptureQueriesContext(connection) as ctx:
        batch = relatives.flags_by_case(rows)
    assert len(ctx.captured_queries) == 2
    texts = {c.pk: [f.text for f in batch[c.pk]] for c in rows}
    assert texts == {c.pk: [f.text for f in relatives.flags_for(c)] for c in rows}
    assert texts[cases[0].pk] == [] and len(texts[cases[1].pk]) == 1
    assert member.name in texts[cases[1].pk][0] and len(texts[cases[2].pk]) == 1
    assert "申请家庭成员" in relatives.conflict_message(cases[1], staff["clerk"])
    assert relatives.conflict_message(cases[1], staff["leader"]) == ""
