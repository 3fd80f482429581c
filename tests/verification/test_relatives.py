"""Relatives of staff (近亲属备案): flagged on every page, handled and signed off by nobody who
declared them, listed separately for the district bureau."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.errors import CaseActionError
from cases.models import RelativeKind, StaffPost, StaffRelative
from cases.permissions import Role
from cases.verification import access, relatives
from cases.verification import services as vs
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def declare(by, case, *, staff_user=None, name=None, post=StaffPost.TOWNSHIP_STAFF,
            kind=RelativeKind.SPOUSE, person=None):
    person = person or case.applicant
    return relatives.relative_declare(
        by=by, staff_user=staff_user, staff_name=name or by.username, post=post,
        township=case.township, relative_name=person.name,
        relative_id_number=person.id_number, relationship=kind,
        declared_on=case.applied_at.date())


@pytest.fixture
def case_received(officer_a, household_a, clerk_a, verifier_a, leader_a):
    from cases.demo_cases import build_case

    return build_case("received", household=household_a, clerk=clerk_a, verifier=officer_a,
                      leader=leader_a, days_ago=1)


def test_a_declared_relative_is_flagged_on_the_case_page(case_received, clerk_a, leader_a,
                                                        client):
    declare(leader_a, case_received, staff_user=leader_a, name="赵分管")
    flags = relatives.flags_for(case_received)
    assert len(flags) == 1
    assert flags[0].text == (f"{case_received.applicant.name}是兰山街道工作人员赵分管"
                             "备案的近亲属（配偶）")
    page = _login(client, clerk_a).get(case_received.get_absolute_url()).content.decode()
    assert "工作人员近亲属申请（须回避）" in page and "赵分管" in page


def test_the_declaring_clerk_cannot_handle_the_case_but_another_can(case_received, clerk_a,
                                                                   township_a):
    declare(clerk_a, case_received, staff_user=clerk_a, kind=RelativeKind.PARENT)
    with pytest.raises(CaseActionError) as exc:
        services.case_accept(case=case_received, by=clerk_a)
    assert exc.value.code == "relative_conflict"
    assert "按回避规定，您不能经办或审批该案件" in exc.value.message
    other = make_user("clerk_a2", Role.CLERK, townships=[township_a])
    case = services.case_accept(case=case_received, by=other)
    assert case.status == "investigating"


def test_the_declaring_leader_cannot_sign_off(officer_a, household_a, clerk_a, verifier_a, leader_a,
                                             township_a):
    from cases.demo_cases import build_case

    case = build_case("awaiting_sign_off", household=household_a, clerk=clerk_a,
                      verifier=officer_a, leader=leader_a, days_ago=30)
    member = case.household.current_members().exclude(person=case.applicant).first().person
    declare(leader_a, case, staff_user=leader_a, kind=RelativeKind.CHILD, person=member)
    with pytest.raises(CaseActionError, match="回避"):
        services.case_sign_off(case=case, by=leader_a)
    deputy = make_user("leader_a2", Role.LEADER, townships=[township_a])
    assert services.case_sign_off(case=case, by=deputy).status == "approved"


def test_a_conflicted_officer_sees_no_verification_data(case_a, verifier_a, agreement):
    declare(verifier_a, case_a, staff_user=verifier_a, kind=RelativeKind.SIBLING)
    with pytest.raises(CaseActionError, match="回避"):
        vs.verification_query(case=case_a, by=verifier_a, sources=["bank"], purpose="核对")
    assert "回避" in access.refusal(case_a, verifier_a, access.A.VIEW)


def test_a_conflicted_assistant_cannot_record_the_home_visit(case_a, assistant_a, clerk_a):

    relatives.relative_declare(
        by=assistant_a, staff_user=assistant_a, staff_name="村协理员", post=StaffPost.ASSISTANT,
        township=case_a.township, village=case_a.village, relative_name=case_a.applicant.name,
        relative_id_number=case_a.applicant.id_number, relationship=RelativeKind.SPOUSE,
        declared_on=timezone.localdate())
    with pytest.raises(CaseActionError, match="回避"):
        services.home_visit_record(case=case_a, visited_on=timezone.localdate(),
                                   investigators=["甲", "乙"], findings="见闻", by=assistant_a)


def test_a_village_cadre_without_an_account_is_declared_by_the_township(case_received,
                                                                        clerk_a, client):
    """The cadre's relative is flagged; no account of the cadre, so nobody is blocked."""
    declaration = declare(clerk_a, case_received, name="钱支书", post=StaffPost.VILLAGE_CADRE,
                          kind=RelativeKind.SIBLING)
    assert declaration.staff_user is None
    assert relatives.flags_for(case_received)
    assert services.case_accept(case=case_received, by=clerk_a).status == "investigating"


def test_the_bureau_lists_relatives_applications_separately(case_received, household_b,
                                                          clerk_a, leader_a, bureau, client):
    declare(leader_a, case_received, staff_user=leader_a)
    assert list(relatives.relative_cases()) == [case_received]
    response = _login(client, bureau).get(reverse("relative_cases"))
    assert response.status_code == 200
    assert case_received.number in response.content.decode()


def test_only_the_bureau_sees_that_list(clerk_a, client):
    assert _login(client, clerk_a).get(reverse("relative_cases")).status_code == 403


def test_an_ended_declaration_no_longer_flags_or_blocks(case_received, clerk_a):

    d = declare(clerk_a, case_received, staff_user=clerk_a)
    StaffRelative.objects.filter(pk=d.pk).update(ended_on=timezone.localdate())
    assert relatives.flags_for(case_received) == []
    assert services.case_accept(case=case_received, by=clerk_a).status == "investigating"


def test_staff_declare_on_their_page(clerk_a, client, case_received):
    page = _login(client, clerk_a).get(reverse("relatives"))
    assert page.status_code == 200
    person = case_received.applicant
    response = client.post(reverse("relatives"), {
        "staff_name": "窗口小李", "post": "township_staff",
        "township": case_received.township.pk, "for_myself": "on",
        "relative_name": person.name, "relative_id_number": person.id_number,
        "relationship": "spouse", "declared_on": "2026-11-01"})
    assert response.status_code == 302
    d = StaffRelative.objects.get()
    assert d.staff_user == clerk_a and d.recorded_by == clerk_a
    again = client.post(reverse("relatives"), {
        "staff_name": "窗口小李", "post": "township_staff",
        "township": case_received.township.pk, "for_myself": "on",
        "relative_name": person.name, "relative_id_number": person.id_number,
        "relationship": "spouse", "declared_on": "2026-11-01"})
    assert again.status_code == 400 and "已由同一备案人备案" in again.content.decode()


def test_a_clerk_cannot_declare_for_another_township(clerk_b, case_received):
    with pytest.raises(CaseActionError, match="不能为该镇街"):
        declare(clerk_b, case_received, name="某人")


def test_an_invalid_id_number_is_refused(case_received, clerk_a):
    with pytest.raises(CaseActionError):
        relatives.relative_declare(
            by=clerk_a, staff_user=clerk_a, staff_name="甲", post=StaffPost.TOWNSHIP_STAFF,
            township=case_received.township, relative_name="乙",
            relative_id_number="371302199001011234", relationship=RelativeKind.SPOUSE,
            declared_on=case_received.applied_at.date())


def test_an_assistant_declares_for_their_village(case_received, assistant_a, client):
    village = case_received.village
    person = case_received.applicant
    client.force_login(assistant_a)
    assert client.get(reverse("relatives")).status_code == 200
    response = client.post(reverse("relatives"), {
        "staff_name": "协理员小周", "post": "assistant", "township": village.township.pk,
        "village": village.pk, "for_myself": "on", "relative_name": person.name,
        "relative_id_number": person.id_number, "relationship": "parent",
        "declared_on": "2026-11-01"})
    assert response.status_code == 302
    d = StaffRelative.objects.get()
    assert (d.staff_user, d.village, d.township) == (assistant_a, village, village.township)
    assert relatives.flags_for(case_received)[0].text.startswith(
        f"{person.name}是{village.short_name}协理员协理员小周")
