"""Who may see and do what (S1, S19, S21), predicate by predicate, each on both sides.

A township user sees only the townships assigned to them, an assistant only their villages,
district staff the whole district (and act nowhere unassigned); verification data only for a
designated officer with a confidentiality agreement valid on the day — its first and its last
day included, the day before and the day after not. Built on bare rows (no workflow), so the
tests stay fast enough for mutation testing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from cases import permissions as perms
from cases import scoping
from cases.errors import CaseActionError
from cases.idnumber import make_number
from cases.models import Case, Household, Person, Township, VerificationAccess
from cases.permissions import Role
from cases.verification import access
from cases.workflow import CaseStatus
from publicity import access as pub
from publicity.models import PublicityBatch
from tests.factories import file_agreement, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S21")]

SH = ZoneInfo("Asia/Shanghai")


def _case(village, clerk, serial: int = 501, status: str = "investigating",
          kind: str = "dibao") -> Case:
    person = Person.objects.create(
        name="李建国", id_number=make_number("371302", dt.date(1960, 5, 5), serial),
        hukou_type="rural")
    household = Household.objects.create(village=village, address=f"兰山区测试村{serial}号",
                                         hukou_type="rural", head=person)
    return Case.objects.create(
        number=f"371302001-2026-DB-8{serial:04d}", kind=kind, household=household,
        applicant=person, township=village.township, village=village, status=status,
        applied_at=dt.datetime(2026, 12, 1, 9, tzinfo=SH), created_by=clerk)


@pytest.fixture
def case_a(village_a, clerk_a):
    return _case(village_a, clerk_a)


@pytest.fixture
def case_a2(village_a2, clerk_a):
    return _case(village_a2, clerk_a, serial=502)


@pytest.fixture
def case_b(village_b, clerk_a):
    return _case(village_b, clerk_a, serial=503)


# -- roles -----------------------------------------------------------------------------------

def test_roles_are_read_from_groups_and_an_inactive_or_anonymous_user_has_none(
        clerk_a, inactive_clerk):
    assert scoping.roles_of(clerk_a) == frozenset({Role.CLERK})
    assert scoping.has_role(clerk_a, Role.CLERK)
    assert scoping.has_role(clerk_a, Role.LEADER, Role.CLERK)
    assert not scoping.has_role(clerk_a, Role.LEADER)
    assert scoping.roles_of(inactive_clerk) == frozenset()
    assert scoping.roles_of(AnonymousUser()) == frozenset()
    assert scoping.roles_of(None) == frozenset()


def test_roles_are_cached_on_the_user_object(clerk_a, django_assert_num_queries):
    scoping.roles_of(clerk_a)
    with django_assert_num_queries(0):
        assert scoping.roles_of(clerk_a) == frozenset({Role.CLERK})


# -- district-wide ---------------------------------------------------------------------------

def test_only_bureau_sysadmin_and_active_superusers_see_the_whole_district(
        bureau, sysadmin, superuser, clerk_a, verifier_a, leader_a, assistant_a):
    for user in (bureau, sysadmin, superuser):
        assert scoping.sees_whole_district(user)
    for user in (clerk_a, verifier_a, leader_a, assistant_a, AnonymousUser()):
        assert not scoping.sees_whole_district(user)
    superuser.is_active = False
    assert not scoping.sees_whole_district(superuser)


def test_district_staff_see_every_township_village_household_and_case(
        bureau, township_a, township_b, case_a, case_b):
    from cases.models import Township, Village

    assert scoping.townships_for(bureau).count() == Township.objects.count()
    assert scoping.villages_for(bureau).count() == Village.objects.count()
    assert scoping.in_township(bureau, township_b.pk)
    assert set(scoping.households_visible_to(bureau)) >= {case_a.household, case_b.household}
    assert set(scoping.cases_visible_to(bureau)) == {case_a, case_b}
    assert scoping.case_for_user(bureau, case_b.pk) == case_b
    assert scoping.village_in_scope(bureau, case_b.village)
    assert scoping.household_in_scope(bureau, case_b.household)


def test_district_staff_act_in_no_township_they_are_not_assigned_to(bureau, superuser,
                                                                     township_a, case_a):
    assert scoping.assigned_township_ids(bureau) == frozenset()
    assert scoping.assigned_township_ids(superuser) == frozenset()
    assert not scoping.works_in_township(bureau, township_a.pk)
    assert not scoping.works_in_village(bureau, case_a.village_id, township_a.pk)
    assert not perms.can_accept(case_a, superuser)


def test_a_district_account_assigned_with_a_township_role_acts_there_only(township_a,
                                                                          township_b):
    both = make_user("bureau_clerk", [Role.BUREAU, Role.CLERK], townships=[township_a])
    assert scoping.assigned_township_ids(both) == frozenset({township_a.pk})
    assert scoping.works_in_township(both, township_a.pk)
    assert not scoping.works_in_township(both, township_b.pk)
    assert scoping.in_township(both, township_b.pk)  # sees it, acts not


def test_a_district_account_with_a_township_assignment_but_no_township_role_acts_nowhere(
        township_a):
    user = make_user("bureau_only", Role.BUREAU, townships=[township_a])
    assert scoping.assigned_township_ids(user) == frozenset()


# -- township users --------------------------------------------------------------------------

def test_a_township_user_sees_only_assigned_townships_and_their_villages(
        clerk_a, township_a, township_b, village_a, village_a2, village_b, case_a, case_a2,
        case_b):
    assert set(scoping.townships_for(clerk_a)) == {township_a}
    assert scoping.township_ids(clerk_a) == frozenset({township_a.pk})
    assert scoping.in_township(clerk_a, township_a.pk)
    assert not scoping.in_township(clerk_a, township_b.pk)
    assert scoping.works_in_township(clerk_a, township_a.pk)
    assert not scoping.works_in_township(clerk_a, township_b.pk)
    assert set(scoping.villages_for(clerk_a)) == set(township_a.villages.all())
    assert scoping.village_ids(clerk_a) and set(scoping.village_ids(clerk_a)) == set(
        township_a.villages.values_list("pk", flat=True))
    assert scoping.works_in_village(clerk_a, village_a2.pk, township_a.pk)
    assert not scoping.works_in_village(clerk_a, village_b.pk, township_b.pk)
    assert scoping.village_in_scope(clerk_a, village_a2)
    assert not scoping.village_in_scope(clerk_a, village_b)
    assert set(scoping.households_visible_to(clerk_a)) == {case_a.household, case_a2.household}
    assert scoping.household_in_scope(clerk_a, case_a2.household)
    assert not scoping.household_in_scope(clerk_a, case_b.household)
    assert set(scoping.cases_visible_to(clerk_a)) == {case_a, case_a2}
    assert scoping.case_for_user(clerk_a, case_a2.pk) == case_a2
    assert scoping.household_for_user(clerk_a, case_a.household.pk) == case_a.household


def test_cases_and_households_out_of_scope_are_a_404(clerk_a, case_b):
    with pytest.raises(Http404, match="未找到该案件，或您无权查看。"):
        scoping.case_for_user(clerk_a, case_b.pk)
    with pytest.raises(Http404, match="未找到该案件"):
        scoping.case_for_user(clerk_a, case_b.pk + 1000)
    with pytest.raises(Http404, match="未找到该家庭，或您无权查看。"):
        scoping.household_for_user(clerk_a, case_b.household.pk)


def test_a_user_with_two_townships_sees_both(clerk_ab, township_a, township_b, case_a, case_b):
    assert scoping.township_ids(clerk_ab) == frozenset({township_a.pk, township_b.pk})
    assert set(scoping.cases_visible_to(clerk_ab)) == {case_a, case_b}
    assert set(scoping.households_visible_to(clerk_ab)) == {case_a.household, case_b.household}


def test_a_township_assignment_without_a_township_role_gives_nothing(no_role_user, township_a,
                                                                    case_a):
    assert not scoping.townships_for(no_role_user).exists()
    assert not scoping.villages_for(no_role_user).exists()
    assert not scoping.households_visible_to(no_role_user).exists()
    assert not scoping.works_in_township(no_role_user, township_a.pk)
    assert not scoping.cases_visible_to(no_role_user).exists()


def test_an_unassigned_clerk_sees_nothing_and_creates_nothing(unassigned_clerk, case_a):
    assert scoping.township_ids(unassigned_clerk) == frozenset()
    assert not scoping.villages_for(unassigned_clerk).exists()
    assert not scoping.households_visible_to(unassigned_clerk).exists()
    assert not scoping.can_create_household(unassigned_clerk)


# -- assistants ------------------------------------------------------------------------------

def test_an_assistant_sees_and_acts_in_their_villages_only(assistant_a, township_a, village_a,
                                                           village_a2, case_a, case_a2):
    assert scoping.townships_for(assistant_a).count() == 0
    assert scoping.township_ids(assistant_a) == frozenset()
    assert scoping.assistant_village_ids(assistant_a) == frozenset({village_a.pk})
    assert set(scoping.villages_for(assistant_a)) == {village_a}
    assert scoping.village_ids(assistant_a) == [village_a.pk]
    assert scoping.works_in_village(assistant_a, village_a.pk, township_a.pk)
    assert not scoping.works_in_village(assistant_a, village_a2.pk, township_a.pk)
    assert not scoping.works_in_township(assistant_a, township_a.pk)
    assert scoping.village_in_scope(assistant_a, village_a)
    assert not scoping.village_in_scope(assistant_a, village_a2)
    assert set(scoping.households_visible_to(assistant_a)) == {case_a.household}
    assert scoping.household_in_scope(assistant_a, case_a.household)
    assert not scoping.household_in_scope(assistant_a, case_a2.household)
    assert set(scoping.cases_visible_to(assistant_a)) == {case_a}
    with pytest.raises(Http404):
        scoping.case_for_user(assistant_a, case_a2.pk)


def test_a_village_assignment_without_the_assistant_role_gives_no_village(village_a, case_a):
    clerk = make_user("clerk_with_village", Role.CLERK, villages=[village_a])
    assert scoping.assistant_village_ids(clerk) == frozenset()
    assert not scoping.villages_for(clerk).exists()
    assert not scoping.works_in_village(clerk, village_a.pk, village_a.township_id)


def test_a_clerk_who_is_also_an_assistant_sees_the_township_and_the_village(
        township_b, village_a, village_b, case_a, case_b):
    user = make_user("clerk_b_assist_a", [Role.CLERK, Role.ASSISTANT], townships=[township_b],
                     villages=[village_a])
    assert set(scoping.villages_for(user)) == set(township_b.villages.all()) | {village_a}
    assert set(scoping.households_visible_to(user)) == {case_a.household, case_b.household}
    assert scoping.household_in_scope(user, case_a.household)
    assert scoping.village_in_scope(user, village_a)


# -- editing households ----------------------------------------------------------------------

def test_clerks_and_assistants_edit_households_in_scope_only(clerk_a, assistant_a, verifier_a,
                                                             bureau, case_a, case_a2, case_b):
    assert scoping.can_edit_household(clerk_a, case_a2.household)
    assert not scoping.can_edit_household(clerk_a, case_b.household)
    assert scoping.can_edit_household(assistant_a, case_a.household)
    assert not scoping.can_edit_household(assistant_a, case_a2.household)
    assert not scoping.can_edit_household(verifier_a, case_a.household)  # sees, edits not
    assert not scoping.can_edit_household(bureau, case_a.household)
    assert scoping.can_create_household(clerk_a)
    assert scoping.can_create_household(assistant_a)
    assert not scoping.can_create_household(verifier_a)
    assert not scoping.can_create_household(bureau)


# -- assignments and the request memo --------------------------------------------------------

def test_assigning_and_unassigning_change_scope_at_once_inside_a_request(
        unassigned_clerk, township_a, village_a):
    assistant = make_user("assistant_new", Role.ASSISTANT)
    with scoping.request_memo():
        assert scoping.township_ids(unassigned_clerk) == frozenset()
        scoping.assign_township(unassigned_clerk, township_a)
        assert scoping.township_ids(unassigned_clerk) == frozenset({township_a.pk})
        scoping.unassign_township(unassigned_clerk, township_a)
        assert scoping.township_ids(unassigned_clerk) == frozenset()
        assert scoping.assistant_village_ids(assistant) == frozenset()
        scoping.assign_village(assistant, village_a)
        assert scoping.assistant_village_ids(assistant) == frozenset({village_a.pk})
        scoping.unassign_village(assistant, village_a)
        assert scoping.assistant_village_ids(assistant) == frozenset()


def test_the_request_memo_reads_places_once_and_only_inside_a_request(
        clerk_a, django_assert_num_queries):
    scoping.roles_of(clerk_a)
    with scoping.request_memo():
        first = scoping.township_ids(clerk_a)
        with django_assert_num_queries(0):
            assert scoping.township_ids(clerk_a) == first
            assert scoping.memo("x", 1, lambda: "a") == "a"
            assert scoping.memo("x", 1, lambda: "b") == "a"
            assert scoping.memo("x", 2, lambda: "c") == "c"
        scoping.forget()
        assert scoping.memo("x", 1, lambda: "d") == "d"
    assert scoping.memo("x", 1, lambda: "e") == "e"  # outside a request: every time
    scoping.forget()  # harmless outside a request
    with django_assert_num_queries(1):
        scoping.township_ids(clerk_a)


# -- the moves (cases.permissions) -----------------------------------------------------------

MOVES_BY_ROLE = {
    "can_accept": {Role.CLERK},
    "can_open_recheck": {Role.CLERK, Role.VERIFIER},
    "can_review": {Role.CLERK, Role.LEADER},
    "can_close_publicity": {Role.CLERK, Role.LEADER},
    "can_sign_off": {Role.LEADER},
    "can_decide": {Role.LEADER},
    "can_withdraw": {Role.CLERK},
    "can_give_emergency_aid": {Role.CLERK, Role.LEADER},
    "can_record_authorization": {Role.CLERK},
}


@pytest.mark.parametrize("move", sorted(MOVES_BY_ROLE))
def test_each_move_is_for_its_roles_in_their_own_township(move, township_a, township_b,
                                                          case_a, case_b):
    predicate = getattr(perms, move)
    for role in (Role.CLERK, Role.VERIFIER, Role.LEADER, Role.ASSISTANT):
        user = make_user(f"{move}-{role.name}", role, townships=[township_a],
                         villages=[case_a.village])
        allowed = role in MOVES_BY_ROLE[move]
        assert predicate(case_a, user) is allowed, (move, role)
        assert predicate(case_b, user) is False, (move, role)  # another township
    assert predicate(case_a, make_user(f"{move}-none", None, townships=[township_a])) is False


def test_only_the_publicity_close_is_allowed_to_the_system(case_a):
    assert perms.can_close_publicity(case_a, None) is True
    assert perms.can_record_objection(case_a, None) is True
    for move in ("can_accept", "can_open_recheck", "can_review", "can_sign_off", "can_decide",
                 "can_withdraw", "can_give_emergency_aid", "can_record_authorization",
                 "can_record_home_visit", "can_record_verification"):
        assert getattr(perms, move)(case_a, None) is False, move


def _add_role_behind_the_forms(user, role: Role) -> None:
    """Add a group row directly, as a database edit would (the forms refuse the mix)."""
    from django.contrib.auth.models import Group

    group, _ = Group.objects.get_or_create(name=role.value)
    type(user).groups.through.objects.bulk_create(
        [type(user).groups.through(user_id=user.pk, group_id=group.pk)])
    if hasattr(user, scoping._ROLE_CACHE):
        delattr(user, scoping._ROLE_CACHE)


@pytest.mark.parametrize("district_role", [Role.BUREAU, Role.SYSADMIN])
def test_a_leader_with_a_district_role_signs_off_and_decides_nothing(township_a, case_a,
                                                                     district_role):
    both = make_user("leader_district", Role.LEADER, townships=[township_a])
    assert perms.can_sign_off(case_a, both) and perms.can_decide(case_a, both)
    _add_role_behind_the_forms(both, district_role)
    assert perms._role_in_township(case_a, both, Role.LEADER)
    assert not perms.can_sign_off(case_a, both)
    assert not perms.can_decide(case_a, both)


@pytest.mark.clause("S19")
def test_recording_verification_needs_the_officer_role_the_township_and_an_agreement(
        township_a, case_a, case_b, clerk_a):
    officer = make_user("officer_x", Role.VERIFIER, townships=[township_a])
    without = make_user("officer_y", Role.VERIFIER, townships=[township_a], agreement=False)
    assert perms.can_record_verification(case_a, officer)
    assert not perms.can_record_verification(case_b, officer)
    assert not perms.can_record_verification(case_a, without)
    file_agreement(clerk_a)
    assert not perms.can_record_verification(case_a, clerk_a)


def test_home_visits_and_objections_by_the_villages_assistant_or_the_township(
        assistant_a, clerk_a, verifier_a, leader_a, clerk_b, bureau, case_a, case_a2):
    assert perms.can_record_home_visit(case_a, assistant_a)
    assert not perms.can_record_home_visit(case_a2, assistant_a)
    assert perms.can_record_home_visit(case_a2, clerk_a)
    assert perms.can_record_home_visit(case_a2, verifier_a)
    assert not perms.can_record_home_visit(case_a, leader_a)
    assert not perms.can_record_home_visit(case_a, clerk_b)
    assert not perms.can_record_home_visit(case_a, bureau)
    assert perms.can_record_objection(case_a, assistant_a)
    assert not perms.can_record_objection(case_a2, assistant_a)
    assert perms.can_record_objection(case_a2, leader_a)
    assert perms.can_record_objection(case_a2, clerk_a)
    assert not perms.can_record_objection(case_a, verifier_a)
    assert not perms.can_record_objection(case_a, bureau)


def test_an_assistant_read_without_its_village_is_checked_against_the_village_list(
        assistant_a, case_a, case_a2):
    fresh_a = Case.objects.get(pk=case_a.pk)
    fresh_a2 = Case.objects.get(pk=case_a2.pk)
    assert not type(fresh_a).village.is_cached(fresh_a)
    assert perms._in_village(fresh_a, assistant_a)
    assert not perms._in_village(fresh_a2, assistant_a)
    cached = Case.objects.select_related("village").get(pk=case_a2.pk)
    assert not perms._in_village(cached, assistant_a)
    assert perms._in_village(Case.objects.select_related("village").get(pk=case_a.pk),
                             assistant_a)


def test_a_district_assistant_acts_in_its_assigned_village_only(village_a, case_a, case_a2):
    user = make_user("bureau_assist", [Role.BUREAU, Role.ASSISTANT], villages=[village_a])
    assert perms._in_village(case_a, user)
    assert not perms._in_village(case_a2, user)
    assert perms.can_record_home_visit(case_a, user)
    assert not perms.can_record_home_visit(case_a2, user)


def test_payee_account_changes_are_requested_by_clerks_or_leaders_and_decided_by_leaders(
        clerk_a, leader_a, assistant_a, verifier_a, bureau, clerk_b, case_a, inactive_clerk):
    household = case_a.household

    class Change:
        pass

    change = Change()
    change.household = household
    assert perms.can_request_account_change(household, clerk_a)
    assert perms.can_request_account_change(household, leader_a)
    for user in (assistant_a, verifier_a, bureau, clerk_b, inactive_clerk, None):
        assert not perms.can_request_account_change(household, user)
    assert perms.can_decide_account_change(change, leader_a)
    for user in (clerk_a, assistant_a, bureau, None):
        assert not perms.can_decide_account_change(change, user)
    gone = make_user("leader_gone", Role.LEADER, townships=[case_a.township])
    gone.is_active = False
    assert not perms.can_decide_account_change(change, gone)
    other = make_user("leader_other", Role.LEADER)
    assert not perms.can_decide_account_change(change, other)


def test_declared_incomes_are_recorded_by_the_townships_clerk_or_for_an_emergency_its_leader(
        township_a, village_a, clerk_a, leader_a, verifier_a, assistant_a, clerk_b, bureau,
        case_a):
    emergency = _case(village_a, clerk_a, serial=511, status="emergency_reported",
                      kind="temp_emergency")
    assert perms.can_declare_incomes(case_a, clerk_a)
    assert perms.can_declare_incomes(emergency, clerk_a)
    assert perms.can_declare_incomes(emergency, leader_a)
    assert not perms.can_declare_incomes(case_a, leader_a)  # an ordinary application: the window
    for user in (verifier_a, assistant_a, clerk_b, bureau, None):
        assert not perms.can_declare_incomes(case_a, user), user
        assert not perms.can_declare_incomes(emergency, user), user


def test_a_district_account_acts_in_a_village_through_its_township_assignment(
        township_a, case_a, case_b):
    """An account holding a district role, the assistant role and a township role acts in the
    villages of its assigned township, assigned to none of them as an assistant: recording an
    objection there is its assistant's move, not its township role's (a verifier may not)."""
    user = make_user("bureau_assist_verify", [Role.BUREAU, Role.ASSISTANT, Role.VERIFIER],
                     townships=[township_a])
    assert perms._in_village(case_a, user)
    assert not perms._in_village(case_b, user)
    assert perms.can_record_objection(case_a, user)
    assert not perms.can_record_objection(case_b, user)


# -- scoping: the details a list or a page relies on -----------------------------------------

def test_the_system_and_anonymous_visitors_have_no_places(township_a):
    for user in (None, AnonymousUser()):
        assert scoping.roles_of(user) == frozenset()
        assert scoping.sees_whole_district(user) is False
        with scoping.request_memo():
            assert scoping.township_ids(user) == frozenset()
            assert scoping.village_ids(user) == []
        assert not scoping.in_township(user, township_a.pk)


def test_a_global_permission_to_work_in_townships_gives_no_township(
        clerk_a, township_a, township_b, village_a):
    """Places are granted per township and village only: a model-wide permission row (as the
    admin's user form could add) adds none."""
    from django.contrib.auth.models import Permission

    for codename in ("work_in_township", "work_in_village"):
        clerk_a.user_permissions.add(Permission.objects.get(codename=codename))
    assistant = make_user("assistant_global", Role.ASSISTANT, villages=[village_a])
    assistant.user_permissions.add(Permission.objects.get(codename="work_in_village"))
    clerk_a = type(clerk_a).objects.get(pk=clerk_a.pk)  # no permission cache
    assistant = type(assistant).objects.get(pk=assistant.pk)
    assert set(scoping.townships_for(clerk_a)) == {township_a}
    assert set(scoping.assigned_townships(clerk_a)) == {township_a}
    assert scoping.assistant_village_ids(assistant) == frozenset({village_a.pk})


def test_a_superuser_with_a_township_role_acts_only_where_assigned(township_a, township_b,
                                                                   case_a, case_b):
    boss = make_user("super_clerk", [Role.BUREAU, Role.CLERK], townships=[township_a],
                     is_superuser=True)
    assert set(scoping.townships_for(boss)) == set(Township.objects.all())  # sees everything
    assert set(scoping.assigned_townships(boss)) == {township_a}
    assert scoping.assigned_township_ids(boss) == frozenset({township_a.pk})
    assert perms.can_accept(case_a, boss) and not perms.can_accept(case_b, boss)


def test_a_superuser_assistant_acts_only_in_its_assigned_villages(village_a, village_a2):
    boss = make_user("super_assistant", [Role.BUREAU, Role.ASSISTANT], villages=[village_a],
                     is_superuser=True)
    assert scoping.assistant_village_ids(boss) == frozenset({village_a.pk})
    assert scoping.works_in_village(boss, village_a.pk, village_a.township_id)
    assert not scoping.works_in_village(boss, village_a2.pk, village_a2.township_id)


def test_a_township_users_assigned_townships_are_its_own(clerk_a, clerk_ab, township_a,
                                                          township_b):
    assert set(scoping.assigned_townships(clerk_a)) == {township_a}
    assert set(scoping.assigned_townships(clerk_ab)) == {township_a, township_b}


def test_district_staff_are_answered_without_reading_any_place_list(
        bureau, township_a, village_a, household_a, case_a, django_assert_num_queries):
    """District lists cover the whole district: they must not read and filter by every
    township's or village's id (a large IN list on every district page)."""
    scoping.roles_of(bureau)  # the roles are read once per user object
    with django_assert_num_queries(0):
        assert scoping.in_township(bureau, township_a.pk)
        assert scoping.village_in_scope(bureau, village_a)
        assert scoping.household_in_scope(bureau, household_a)
        villages = scoping.villages_for(bureau)
        households = scoping.households_visible_to(bureau)
        cases = scoping.cases_visible_to(bureau)
    for listed in (villages, households, cases):
        assert "WHERE" not in str(listed.query)


def test_inside_a_request_each_place_list_is_read_once(
        clerk_a, assistant_a, township_a, village_a, django_assert_num_queries):
    """Each list is kept under its own name and user: a district account with a township role,
    a clerk and an assistant each get their own lists, read once."""
    district_clerk = make_user("bureau_clerk", [Role.BUREAU, Role.CLERK], townships=[township_a])
    expected = (sorted(scoping.villages_for(clerk_a).values_list("pk", flat=True)),
                frozenset({township_a.pk}), frozenset({village_a.pk}),
                frozenset({township_a.pk}))
    for user in (clerk_a, district_clerk, assistant_a):
        scoping.roles_of(user)
    with scoping.request_memo():
        def lists():
            return (sorted(scoping.village_ids(clerk_a)),
                    scoping.assigned_township_ids(district_clerk),
                    scoping.assistant_village_ids(assistant_a), scoping.township_ids(clerk_a))

        assert lists() == expected
        with django_assert_num_queries(0):
            assert lists() == expected


def test_a_household_and_a_case_come_with_what_their_pages_show_in_one_query(
        clerk_a, case_a, django_assert_num_queries):
    scoping.roles_of(clerk_a)
    with scoping.request_memo():
        scoping.village_ids(clerk_a), scoping.township_ids(clerk_a)
        with django_assert_num_queries(1):
            household = scoping.household_for_user(clerk_a, case_a.household_id)
            assert household.village.township.name and household.head.name
        with django_assert_num_queries(1):
            case = scoping.case_for_user(clerk_a, case_a.pk)
            assert (case.household.pk, case.applicant.name, case.township.name,
                    case.village.name, case.created_by.username, getattr(case, "agent", None)) == (
                case_a.household_id, "李建国", case_a.township.name, case_a.village.name,
                clerk_a.username, None)


def test_out_of_scope_is_answered_with_the_same_words_as_a_missing_row(clerk_b, case_a):
    for pk in (case_a.pk, 0):
        with pytest.raises(Http404) as refused:
            scoping.case_for_user(clerk_b, pk)
        assert str(refused.value) == "未找到该案件，或您无权查看。"
    for pk in (case_a.household_id, 0):
        with pytest.raises(Http404) as refused:
            scoping.household_for_user(clerk_b, pk)
        assert str(refused.value) == "未找到该家庭，或您无权查看。"


# -- verification data (cases.verification.access) -------------------------------------------

@pytest.mark.clause("S19")
def test_an_agreement_counts_from_its_first_day_to_its_last_day_inclusive(verifier_a):
    officer = make_user("officer_dates", Role.VERIFIER, agreement=False)
    first, last = dt.date(2026, 3, 1), dt.date(2026, 8, 31)
    agreement = file_agreement(officer, valid_from=first, valid_to=last)
    for day in (first, first + dt.timedelta(days=1), last - dt.timedelta(days=1), last):
        assert list(access.valid_agreements(officer, day)) == [agreement], day
        assert access.current_agreement(officer, day) == agreement
    for day in (first - dt.timedelta(days=1), last + dt.timedelta(days=1)):
        assert not access.valid_agreements(officer, day).exists(), day
        assert access.current_agreement(officer, day) is None


@pytest.mark.clause("S19")
def test_an_open_ended_agreement_counts_from_its_first_day_on(verifier_a):
    officer = make_user("officer_open", Role.VERIFIER, agreement=False)
    agreement = file_agreement(officer, valid_from=dt.date(2026, 3, 1))
    assert access.current_agreement(officer, dt.date(2026, 2, 28)) is None
    assert access.current_agreement(officer, dt.date(2026, 3, 1)) == agreement
    assert access.current_agreement(officer, dt.date(2099, 1, 1)) == agreement


@pytest.mark.clause("S19")
def test_a_revoked_agreement_or_one_without_its_signed_scan_does_not_count(verifier_a):
    from cases.models import ConfidentialityAgreement

    officer = make_user("officer_revoked", Role.VERIFIER, agreement=False)
    agreement = file_agreement(officer, valid_from=dt.date(2026, 1, 1))
    ConfidentialityAgreement.objects.filter(pk=agreement.pk).update(revoked_at=timezone.now())
    assert access.current_agreement(officer, dt.date(2026, 6, 1)) is None
    other = make_user("officer_noscan", Role.VERIFIER, agreement=False)
    unscanned = file_agreement(other, valid_from=dt.date(2026, 1, 1))
    ConfidentialityAgreement.objects.filter(pk=unscanned.pk).update(scan="")
    assert access.current_agreement(other, dt.date(2026, 6, 1)) is None


@pytest.mark.clause("S19")
def test_the_current_agreement_is_the_latest_begun_and_only_the_users_own(verifier_a):
    officer = make_user("officer_two", Role.VERIFIER, agreement=False)
    older = file_agreement(officer, valid_from=dt.date(2025, 1, 1))
    newer = file_agreement(officer, valid_from=dt.date(2026, 1, 1))
    assert access.current_agreement(officer, dt.date(2026, 6, 1)) == newer
    assert access.current_agreement(officer, dt.date(2025, 6, 1)) == older
    assert access.current_agreement(make_user("officer_zero", Role.VERIFIER, agreement=False),
                                    dt.date(2026, 6, 1)) is None
    assert access.current_agreement(None) is None
    assert access.current_agreement(AnonymousUser()) is None


@pytest.mark.clause("S19")
def test_holding_an_agreement_today_first_and_last_day(verifier_a):
    today = timezone.localdate()
    officer = make_user("officer_today", Role.VERIFIER, agreement=False)
    assert not access.holds_agreement(officer)
    assert not access.is_designated_officer(officer)
    file_agreement(officer, valid_from=today, valid_to=today)
    assert access.holds_agreement(officer)
    assert access.is_designated_officer(officer)
    late = make_user("officer_late", Role.VERIFIER, agreement=False)
    file_agreement(late, valid_from=today + dt.timedelta(days=1))
    assert not access.holds_agreement(late)
    ended = make_user("officer_ended", Role.VERIFIER, agreement=False)
    file_agreement(ended, valid_from=today - dt.timedelta(days=10),
                   valid_to=today - dt.timedelta(days=1))
    assert not access.holds_agreement(ended)
    assert not access.holds_agreement(None)
    assert not access.holds_agreement(AnonymousUser())


@pytest.mark.clause("S19")
def test_an_agreement_without_the_officer_role_makes_no_designated_officer(clerk_a):
    file_agreement(clerk_a)
    assert access.holds_agreement(clerk_a)
    assert not access.is_designated_officer(clerk_a)


@pytest.mark.clause("S19")
def test_a_noted_agreement_answer_is_used_for_the_rest_of_the_request(
        django_assert_num_queries):
    officer = make_user("officer_noted", Role.VERIFIER, agreement=False)
    with scoping.request_memo():
        access.note_agreement(officer, True)
        with django_assert_num_queries(0):
            assert access.holds_agreement(officer) is True
    assert access.holds_agreement(officer) is False


@pytest.fixture
def authorized(monkeypatch):
    """Authorizations complete (the rule itself is tested with the workflow)."""
    state = {"complete": True}
    monkeypatch.setattr(access.rules, "authorizations_complete", lambda case: state["complete"])
    return state


@pytest.fixture
def officer(township_a):
    return make_user("officer_ok", Role.VERIFIER, townships=[township_a])


@pytest.mark.clause("S19")
def test_the_refusals_in_order(officer, case_a, case_b, clerk_a, inactive_clerk, authorized,
                               township_a):
    A = VerificationAccess.Action
    assert access.refusal(case_a, officer, A.QUERY) == ""
    assert access.refusal(case_a, officer, A.VIEW) == ""
    assert access.refusal(case_a, None, A.VIEW) == "请先登录。"
    assert access.refusal(case_a, inactive_clerk, A.VIEW) == "请先登录。"
    assert access.refusal(case_a, clerk_a, A.VIEW) == \
        "只有镇街指定的核对专员才能查询或查看家庭经济状况核对数据。"
    without = make_user("officer_none", Role.VERIFIER, townships=[township_a], agreement=False)
    assert access.refusal(case_a, without, A.VIEW) == (
        "您没有在有效期内的核对保密协议，不能查询或查看核对数据。"
        "请先签订保密协议并由区民政局录入备案。")
    assert access.refusal(case_b, officer, A.VIEW) == \
        "该案件不属于您所在的镇街，不能查询或查看其核对数据。"
    authorized["complete"] = False
    assert access.refusal(case_a, officer, A.VIEW) == (
        "该案件尚未取得全部成年家庭成员签署的核对授权书，"
        "不能查询或查看核对数据（核对前置）。")


@pytest.mark.clause("S19")
@pytest.mark.parametrize(("status", "query_ok", "view_ok"), [
    ("received", False, True),
    ("investigating", True, True),
    ("recheck", True, True),
    ("in_publicity", False, True),
    ("approved", False, False),
    ("rejected", False, False),
])
def test_queries_while_verifying_views_while_open(officer, village_a, clerk_a, authorized,
                                                  status, query_ok, view_ok):
    A = VerificationAccess.Action
    case = _case(village_a, clerk_a, serial=520, status=status)
    for action in (A.QUERY, A.IMPORT, A.COMPILE):
        reason = access.refusal(case, officer, action)
        if query_ok:
            assert reason == ""
        elif view_ok:
            assert reason == (f"案件当前状态为“{CaseStatus(status).label}”，"
                              "只有在核对与入户调查、核对结果复查阶段才能查询核对数据。")
    view = access.refusal(case, officer, A.VIEW)
    assert (view == "") is view_ok
    if not view_ok:
        assert view == (f"案件当前状态为“{CaseStatus(status).label}”，"
                        "只能查看在办案件的核对数据。")


@pytest.mark.clause("S19")
def test_a_kind_without_authorization_is_refused(officer, village_a, clerk_a, authorized):
    case = _case(village_a, clerk_a, serial=530, kind="temp_expenditure")
    assert access.refusal(case, officer, VerificationAccess.Action.VIEW).startswith(
        "该案件尚未取得全部成年家庭成员签署的核对授权书")


@pytest.mark.clause("S19")
def test_check_logs_a_refusal_and_guard_logs_an_allowed_look_up_once(
        officer, clerk_a, case_a, authorized):
    A = VerificationAccess.Action
    with pytest.raises(CaseActionError) as refused:
        access.check(case_a, clerk_a, A.QUERY, purpose="查看", source="页面", ip="10.0.0.9",
                     person=case_a.applicant)
    assert refused.value.code == "confidential"
    row = VerificationAccess.objects.get()
    assert (row.user, row.allowed, row.case, row.ip) == (clerk_a, False, case_a, "10.0.0.9")
    assert (row.action, row.person, row.purpose, row.source) == (
        A.QUERY, case_a.applicant, "查看", "页面")
    assert row.detail == "拒绝：只有镇街指定的核对专员才能查询或查看家庭经济状况核对数据。"
    with pytest.raises(CaseActionError):
        access.check(case_a, None, A.VIEW, purpose="查看")
    assert VerificationAccess.objects.count() == 1  # nobody to log

    entry = access.guard(case_a, officer, A.VIEW, purpose="p" * 150, source="s" * 250,
                         detail="d" * 250, ip="", person=case_a.applicant)
    assert VerificationAccess.objects.filter(user=officer).count() == 1
    entry.refresh_from_db()
    assert entry.allowed is True and entry.ip is None
    assert (entry.action, entry.case, entry.person) == (A.VIEW, case_a, case_a.applicant)
    assert (entry.purpose, entry.source, entry.detail) == ("p" * 100, "s" * 200, "d" * 200)
    assert (len(entry.purpose), len(entry.source), len(entry.detail)) == (100, 200, 200)


# -- publicity ------------------------------------------------------------------------------

@pytest.fixture
def batches(village_a, village_a2, village_b, clerk_a):
    made = {}
    for name, village in (("a", village_a), ("a2", village_a2), ("b", village_b)):
        made[name] = PublicityBatch.objects.create(
            township=village.township, village=village, posted_on=dt.date(2026, 12, 1),
            published_by=clerk_a)
    return made


def test_publicity_batches_are_seen_by_village_scope(batches, clerk_a, assistant_a, bureau):
    assert set(pub.batches_visible_to(clerk_a)) == {batches["a"], batches["a2"]}
    assert set(pub.batches_visible_to(assistant_a)) == {batches["a"]}
    assert set(pub.batches_visible_to(bureau)) == set(batches.values())
    assert pub.batch_for_user(assistant_a, batches["a"].pk) == batches["a"]
    with pytest.raises(Http404) as missing:
        pub.batch_for_user(assistant_a, batches["a2"].pk)
    assert str(missing.value) == "未找到该公示批次，或您无权查看。"
    with pytest.raises(Http404):
        pub.batch_for_user(clerk_a, batches["b"].pk)


def test_posting_is_confirmed_by_the_villages_assistant_or_the_townships_clerk_or_leader(
        batches, clerk_a, leader_a, verifier_a, assistant_a, clerk_b, bureau):
    assert pub.can_confirm_posting(batches["a"], assistant_a)
    assert not pub.can_confirm_posting(batches["a2"], assistant_a)
    assert pub.can_confirm_posting(batches["a2"], clerk_a)
    assert pub.can_confirm_posting(batches["a2"], leader_a)
    assert not pub.can_confirm_posting(batches["a"], verifier_a)
    assert not pub.can_confirm_posting(batches["a"], clerk_b)
    assert not pub.can_confirm_posting(batches["a"], bureau)
    assert not pub.can_confirm_posting(batches["a"], None)


def test_objections_and_appraisals_are_handled_by_the_township(case_a, clerk_a, leader_a,
                                                               assistant_a, clerk_b):
    for predicate in (pub.can_handle_objection, pub.can_record_appraisal):
        assert predicate(case_a, clerk_a)
        assert predicate(case_a, leader_a)
        assert not predicate(case_a, assistant_a)
        assert not predicate(case_a, clerk_b)


@pytest.mark.clause("S19")
def test_a_refused_look_up_is_logged_with_what_was_asked_and_raises_the_reason(
        officer, clerk_a, village_a, case_a, authorized):
    A = VerificationAccess.Action
    publicised = _case(village_a, clerk_a, serial=540, status="in_publicity")
    with pytest.raises(CaseActionError) as refused:
        access.guard(publicised, officer, A.QUERY, purpose="复核", source="核对页", ip="10.0.0.8",
                     person=publicised.applicant)
    reason = ("案件当前状态为“审批公示中”，"
              "只有在核对与入户调查、核对结果复查阶段才能查询核对数据。")
    assert refused.value.message == reason and str(refused.value) == reason
    row = VerificationAccess.objects.get()
    assert (row.user, row.action, row.allowed, row.case, row.person) == (
        officer, A.QUERY, False, publicised, publicised.applicant)
    assert (row.purpose, row.source, row.ip, row.detail) == (
        "复核", "核对页", "10.0.0.8", f"拒绝：{reason}")
    with pytest.raises(CaseActionError, match="请先登录。"):
        access.check(case_a, AnonymousUser(), A.VIEW, purpose="查看")
    assert VerificationAccess.objects.count() == 1  # an anonymous visitor is nobody to log
    entry = access.guard(case_a, officer, A.VIEW, purpose="查看", ip="10.0.0.7")
    assert (entry.ip, entry.detail, entry.source, entry.person) == ("10.0.0.7", "", "", None)


def test_a_batch_is_read_with_its_places_and_people(batches, clerk_a,
                                                    django_assert_num_queries):
    scoping.roles_of(clerk_a)
    batch = pub.batch_for_user(clerk_a, batches["a"].pk)
    with django_assert_num_queries(0):
        assert (batch.village, batch.township) == (batches["a"].village, batches["a"].township)
        assert (batch.published_by, batch.confirmed_by) == (clerk_a, None)
