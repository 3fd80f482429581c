"""Who sees and changes what: every role against townships, villages and households."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import scoping
from cases.models import Township, Village
from cases.permissions import Role
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

ALL = "all"

# user fixture -> (townships, villages, households visible, households editable, may create)
# Townships/villages: ALL, or the fixture names of what is visible. Households are named by
# fixture: household_a / household_a2 (A, two villages), household_b (B), household_c (C).
HOUSEHOLDS = ("household_a", "household_a2", "household_b", "household_c")
MATRIX = {
    "clerk_a": (["township_a"], ["township_a"], ["household_a", "household_a2"],
                ["household_a", "household_a2"], True),
    "clerk_b": (["township_b"], ["township_b"], ["household_b"], ["household_b"], True),
    "clerk_ab": (["township_a", "township_b"], ["township_a", "township_b"],
                 ["household_a", "household_a2", "household_b"],
                 ["household_a", "household_a2", "household_b"], True),
    "verifier_a": (["township_a"], ["township_a"], ["household_a", "household_a2"], [], False),
    "leader_a": (["township_a"], ["township_a"], ["household_a", "household_a2"], [], False),
    "assistant_a": ([], ["village_a"], ["household_a"], ["household_a"], True),
    "bureau": (ALL, ALL, list(HOUSEHOLDS), [], False),
    "sysadmin": (ALL, ALL, list(HOUSEHOLDS), [], False),
    "superuser": (ALL, ALL, list(HOUSEHOLDS), [], False),
    "no_role_user": ([], [], [], [], False),
    "unassigned_clerk": ([], [], [], [], False),
    "inactive_clerk": ([], [], [], [], False),
}


@pytest.fixture
def households(household_a, household_a2, household_b, household_c):
    return {"household_a": household_a, "household_a2": household_a2,
            "household_b": household_b, "household_c": household_c}


def expected_villages(request, names):
    if names == ALL:
        return set(Village.objects.values_list("pk", flat=True))
    pks = set()
    for name in names:
        obj = request.getfixturevalue(name)
        if isinstance(obj, Township):
            pks |= set(obj.villages.values_list("pk", flat=True))
        else:
            pks.add(obj.pk)
    return pks


@pytest.mark.clause("S1")
@pytest.mark.clause("S21")
@pytest.mark.parametrize("user_fixture", list(MATRIX))
def test_each_role_sees_its_own_townships_villages_and_households(request, households,
                                                                  user_fixture):
    townships, villages, visible, editable, may_create = MATRIX[user_fixture]
    user = request.getfixturevalue(user_fixture)

    seen_townships = set(scoping.townships_for(user).values_list("pk", flat=True))
    if townships == ALL:
        assert seen_townships == set(Township.objects.values_list("pk", flat=True))
    else:
        assert seen_townships == {request.getfixturevalue(t).pk for t in townships}

    assert set(scoping.villages_for(user).values_list("pk", flat=True)) == \
        expected_villages(request, villages)

    seen = set(scoping.households_visible_to(user).values_list("pk", flat=True))
    assert seen == {households[name].pk for name in visible}

    for name, household in households.items():
        assert scoping.can_edit_household(user, household) == (name in editable), name
        if name in visible:
            assert scoping.household_for_user(user, household.pk) == household
        else:
            with pytest.raises(Http404):
                scoping.household_for_user(user, household.pk)

    assert scoping.can_create_household(user) == may_create


@pytest.mark.clause("S1")
def test_district_staff_supervise_but_do_not_change_households(bureau, sysadmin, superuser,
                                                               household_a):
    for user in (bureau, sysadmin, superuser):
        assert scoping.sees_whole_district(user)
        assert not scoping.can_edit_household(user, household_a)
        assert not scoping.can_create_household(user)


@pytest.mark.clause("S21")
def test_roles_are_the_groups_named_by_role(clerk_a, assistant_a, bureau, no_role_user):
    assert scoping.roles_of(clerk_a) == {Role.CLERK}
    assert scoping.roles_of(assistant_a) == {Role.ASSISTANT}
    assert scoping.roles_of(bureau) == {Role.BUREAU}
    assert scoping.roles_of(no_role_user) == frozenset()
    assert scoping.has_role(clerk_a, Role.CLERK, Role.LEADER)
    assert not scoping.has_role(clerk_a, Role.LEADER)


def test_an_anonymous_user_has_no_roles_and_sees_nothing(household_a):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert scoping.roles_of(anonymous) == frozenset()
    assert not scoping.sees_whole_district(anonymous)
    assert not scoping.townships_for(anonymous).exists()
    assert not scoping.households_visible_to(anonymous).exists()


def test_an_inactive_superuser_sees_nothing(superuser, household_a):
    superuser.is_active = False
    superuser.save()
    assert not scoping.sees_whole_district(superuser)
    assert not scoping.households_visible_to(superuser).exists()


@pytest.mark.clause("S21")
def test_assigning_and_unassigning_a_village_changes_an_assistants_scope(
    assistant_a, village_a, village_a2, household_a, household_a2,
):
    scoping.assign_village(assistant_a, village_a2)
    assert set(scoping.villages_for(assistant_a)) == {village_a, village_a2}
    scoping.unassign_village(assistant_a, village_a)
    assert set(scoping.villages_for(assistant_a)) == {village_a2}
    assert set(scoping.households_visible_to(assistant_a)) == {household_a2}


@pytest.mark.clause("S1")
def test_unassigning_a_township_removes_its_households(clerk_ab, township_a, household_a,
                                                       household_b):
    scoping.unassign_township(clerk_ab, township_a)
    assert list(scoping.townships_for(clerk_ab)) == [household_b.township]
    assert set(scoping.households_visible_to(clerk_ab)) == {household_b}


def test_a_village_assignment_means_nothing_without_the_assistant_role(village_a,
                                                                       household_a, clerk_b):
    scoping.assign_village(clerk_b, village_a)
    assert not scoping.households_visible_to(clerk_b).filter(pk=household_a.pk).exists()


def test_a_township_assignment_means_nothing_to_an_assistant(assistant_a, township_b,
                                                             household_b):
    scoping.assign_township(assistant_a, township_b)
    assert not scoping.households_visible_to(assistant_a).filter(pk=household_b.pk).exists()


def _list_queries(client, user, village, rows: int) -> int:
    HouseholdFactory.create_batch(rows, village=village, members=2)
    client.force_login(user)
    client.get(reverse("home"))  # warm caches (content types) outside the count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("user_fixture", ["clerk_a", "assistant_a", "bureau"])
def test_household_list_queries_do_not_grow_with_rows(request, client, village_a,
                                                      user_fixture):
    user = request.getfixturevalue(user_fixture)
    few = _list_queries(client, user, village_a, 5)
    many = _list_queries(client, user, village_a, 25)  # 30 in all: a full page of 25
    assert many == few
    assert few <= 15


def test_household_search_queries_do_not_grow_with_rows(client, clerk_a, village_a):
    HouseholdFactory.create_batch(5, village=village_a, members=2)
    client.force_login(clerk_a)
    client.get(reverse("home"), {"q": "测试路"})  # warm caches (content types) outside the count
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"), {"q": "测试路"})
    HouseholdFactory.create_batch(25, village=village_a, members=2)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"), {"q": "测试路"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_household_detail_queries_do_not_grow_with_members(client, clerk_a, village_a):
    small = HouseholdFactory(village=village_a, members=2)
    large = HouseholdFactory(village=village_a, members=8)
    client.force_login(clerk_a)
    client.get(small.get_absolute_url())  # warm caches (content types) outside the count
    counts = []
    for household in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(household.get_absolute_url()).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
