"""District accounts do not approve: a district-wide role never comes with the township approval
role, and every township move needs the case's township among the user's own assignments,
whatever other roles the user holds."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from cases import permissions, scoping
from cases.demo_cases import build_case
from cases.errors import CaseActionError
from cases.models import CaseEvent
from cases.permissions import Role
from cases.services import case_create
from cases.verification import access
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, make_user
from tests.security.test_separation_of_duties import change_form_data

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S1")]
S = CaseStatus


def _group(role: Role) -> Group:
    return Group.objects.get_or_create(name=role.value)[0]


def _grant_past_the_guard(user, role: Role) -> None:
    """Give a role as an old database or a raw write would: no m2m signal."""
    get_user_model().groups.through.objects.create(user=user, group=_group(role))


@pytest.fixture
def case_a(staff, village_a):
    return build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_a), **staff)


@pytest.fixture
def case_b(village_b, township_b):
    staff_b = {"clerk": make_user("clerk_b2", Role.CLERK, townships=[township_b]),
               "verifier": make_user("verifier_b2", Role.VERIFIER, townships=[township_b]),
               "leader": make_user("leader_b2", Role.LEADER, townships=[township_b])}
    return build_case(S.AWAITING_SIGN_OFF, household=HouseholdFactory(village=village_b),
                      **staff_b)


# --- Assigning roles ---------------------------------------------------------------------------


@pytest.mark.parametrize("district", [Role.BUREAU, Role.SYSADMIN])
def test_a_district_account_cannot_be_given_the_leader_role(district):
    """Guards `accounts.signals._refuse_two_admin_roles` (the district/approval check): both
    ways of adding a group are refused and nothing changes."""
    user = make_user("district_user", district)
    with pytest.raises(ValidationError, match="区级账户不参与审批"), transaction.atomic():
        user.groups.add(_group(Role.LEADER))
    with pytest.raises(ValidationError, match="区级账户不参与审批"), transaction.atomic():
        _group(Role.LEADER).user_set.add(user)
    assert set(scoping.roles_of(get_user_model().objects.get(pk=user.pk))) == {district}


def test_a_leader_cannot_be_given_the_bureau_role():
    user = make_user("leader_x", Role.LEADER)
    with pytest.raises(ValidationError, match="镇街分管领导"), transaction.atomic():
        user.groups.add(_group(Role.BUREAU))
    assert set(scoping.roles_of(get_user_model().objects.get(pk=user.pk))) == {Role.LEADER}


def test_a_district_account_may_still_hold_a_township_role_that_does_not_approve():
    user = make_user("bureau_clerk", [Role.BUREAU, Role.CLERK])
    assert set(scoping.roles_of(user)) == {Role.BUREAU, Role.CLERK}


def test_the_admin_form_refuses_the_leader_role_for_a_bureau_account(client, admin_sec):
    """Guards `SecureUserChangeForm.clean` (the district/approval check): the page shows the
    Chinese reason instead of an error page, and the groups stay as they were."""
    target = make_user("bureau_target", Role.BUREAU, is_staff=True)
    client.force_login(admin_sec)
    data = change_form_data(client, target)
    data["groups"] = [_group(Role.BUREAU).pk, _group(Role.LEADER).pk]
    response = client.post(reverse("admin:auth_user_change", args=[target.pk]), data)
    assert response.status_code == 200
    assert "区级账户不参与审批" in response.content.decode()
    assert set(target.groups.values_list("name", flat=True)) == {Role.BUREAU.value}


def test_sync_roles_refuses_to_finish_while_an_account_holds_both(roles_synced):
    """Guards `sync_roles`' report of `district_approvers`: an account given both roles before
    the rule (or past the application) is named, with a non-zero exit."""
    call_command("sync_roles")  # no conflict: finishes
    user = make_user("old_bureau", Role.BUREAU)
    _grant_past_the_guard(user, Role.LEADER)
    with pytest.raises(CommandError, match="old_bureau") as refused:
        call_command("sync_roles")
    assert "区民政局" in str(refused.value) and "镇街分管领导" in str(refused.value)
    user.is_active = False
    user.save()
    call_command("sync_roles")  # a deactivated account no longer blocks


# --- Moves need the user's own assignment -------------------------------------------------------


def test_a_bureau_clerk_acts_only_in_the_assigned_township(township_a, case_a, case_b):
    """Guards `permissions._in_township` asking `scoping.works_in_township`: the district role
    lets the user see township B, never act there."""
    user = make_user("bureau_clerk", [Role.BUREAU, Role.CLERK], townships=[township_a])
    assert scoping.cases_visible_to(user).filter(pk=case_b.pk).exists()  # sees it
    assert permissions.can_withdraw(case_a, user)
    assert not permissions.can_withdraw(case_b, user)
    assert not permissions.can_review(case_b, user)


def test_a_bureau_clerk_cannot_register_an_application_in_another_township(township_a,
                                                                          household_b):
    """Guards `case_create` asking `scoping.works_in_township`."""
    user = make_user("bureau_clerk", [Role.BUREAU, Role.CLERK], townships=[township_a])
    applicant = household_b.head
    with pytest.raises(CaseActionError, match="不是该镇街的窗口受理人员"):
        case_create(household=household_b, applicant=applicant, kind="dibao", by=user,
                    hardship="生活困难")
    assert not household_b.cases.exists()


def test_a_superuser_makes_no_township_move_without_an_assignment(superuser, case_a):
    assert scoping.sees_whole_district(superuser)
    for predicate in (permissions.can_accept, permissions.can_review, permissions.can_sign_off,
                      permissions.can_record_home_visit, permissions.can_record_objection):
        assert not predicate(case_a, superuser), predicate.__name__


def test_a_bureau_assistant_records_visits_only_in_the_assigned_village(village_a, case_a,
                                                                       case_b):
    """Guards `permissions._in_village` for district accounts (`scoping.works_in_village`)."""
    user = make_user("bureau_assistant", [Role.BUREAU, Role.ASSISTANT], villages=[village_a])
    assert permissions.can_record_home_visit(case_a, user)
    assert not permissions.can_record_home_visit(case_b, user)


def test_a_bureau_verifier_queries_only_in_the_assigned_township(township_a, case_b):
    user = make_user("bureau_verifier", [Role.BUREAU, Role.VERIFIER], townships=[township_a])
    assert "不属于您所在的镇街" in access.refusal(case_b, user, "view")


def test_an_account_holding_both_roles_anyway_cannot_sign_off(township_a, case_a):
    """Guards `permissions._district_account` in `can_sign_off` / `can_decide`: an account
    that got both roles past the assignment guard, and is assigned to the township, still
    does not approve."""
    user = make_user("old_bureau", Role.BUREAU, townships=[township_a])
    _grant_past_the_guard(user, Role.LEADER)
    user = get_user_model().objects.get(pk=user.pk)
    assert permissions.can_review(case_a, user)  # an ordinary leader's move in A
    assert not permissions.can_sign_off(case_a, user)
    assert not permissions.can_decide(case_a, user)


def test_the_incident_a_bureau_leader_signs_off_nowhere_through_page_or_api(client, township_a,
                                                                           case_a, case_b):
    """The account of the incident (bureau + leader, assigned to A) on the case page and the
    JSON API: refused in both townships, nothing written."""
    user = make_user("old_bureau", Role.BUREAU, townships=[township_a])
    _grant_past_the_guard(user, Role.LEADER)
    client.force_login(user)
    for case in (case_a, case_b):
        events = CaseEvent.objects.filter(case=case).count()
        client.post(reverse("case_action", args=[case.pk, "sign_off"]),
                    {"sign_off-note": "同意"})
        response = client.post(f"/api/cases/{case.pk}/transitions/sign_off/",
                               json.dumps({"note": "同意"}), content_type="application/json")
        assert response.status_code == 403, response.content
        case.refresh_from_db()
        assert case.status == S.AWAITING_SIGN_OFF
        assert CaseEvent.objects.filter(case=case).count() == events


def test_the_township_leader_still_signs_off(client, leader_a, case_a):
    client.force_login(leader_a)
    response = client.post(f"/api/cases/{case_a.pk}/transitions/sign_off/",
                           json.dumps({"note": "同意"}), content_type="application/json")
    assert response.status_code == 200, response.content
