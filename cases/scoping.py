"""Who may see and change what: the one place that answers it.

Every view, list and download asks this module. A township-level user (clerk, verification
officer, leader) works in the townships assigned to them; a village assistant in the villages
assigned to them; district bureau staff and system administrators see the whole district but
approve nothing (S1). Assignments are django-guardian object permissions on `Township` and
`Village`, granted with `assign_township` / `assign_village`.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from cases.models import Household, Township, Village
from cases.permissions import (
    DISTRICT_ROLES,
    HOUSEHOLD_EDITOR_ROLES,
    TOWNSHIP_ROLES,
    WORK_IN_TOWNSHIP_PERM,
    WORK_IN_VILLAGE_PERM,
    Role,
)

_ROLE_CACHE = "_lanshan_roles"


def roles_of(user) -> frozenset[Role]:
    """The user's roles (cached on the user object for the request).

    An inactive account has none, whatever its groups: deactivating a user is how an office
    takes access away, and it must hold even where a session or a task still holds the user.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        setattr(user, _ROLE_CACHE, cached)
    return cached


def has_role(user, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def sees_whole_district(user) -> bool:
    if not getattr(user, "is_active", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or bool(roles_of(user) & DISTRICT_ROLES)


def townships_for(user) -> QuerySet[Township]:
    """Township-level units the user works in (all of them for district staff)."""
    if sees_whole_district(user):
        return Township.objects.all()
    if not roles_of(user) & TOWNSHIP_ROLES:
        return Township.objects.none()
    return get_objects_for_user(
        user, WORK_IN_TOWNSHIP_PERM, klass=Township, accept_global_perms=False,
    )


def villages_for(user) -> QuerySet[Village]:
    """Villages whose households the user may see: by township, or assigned to an assistant."""
    if sees_whole_district(user):
        return Village.objects.all()
    roles = roles_of(user)
    township_ids = list(townships_for(user).values_list("pk", flat=True))
    village_ids: list[int] = []
    if Role.ASSISTANT in roles:
        village_ids = list(
            get_objects_for_user(
                user, WORK_IN_VILLAGE_PERM, klass=Village, accept_global_perms=False,
            ).values_list("pk", flat=True)
        )
    if not township_ids and not village_ids:
        return Village.objects.none()
    from django.db.models import Q

    return Village.objects.filter(Q(township_id__in=township_ids) | Q(pk__in=village_ids))


def households_visible_to(user) -> QuerySet[Household]:
    """Households the user may see."""
    if sees_whole_district(user):
        return Household.objects.all()
    village_ids = list(villages_for(user).values_list("pk", flat=True))
    return Household.objects.filter(village_id__in=village_ids)


def household_for_user(user, pk) -> Household:
    """The household if the user may see it; 404 otherwise — never a hint that it exists."""
    household = households_visible_to(user).select_related("village__township", "head").filter(
        pk=pk
    ).first()
    if household is None:
        raise Http404("未找到该家庭，或您无权查看。")
    return household


def can_edit_household(user, household: Household) -> bool:
    """Clerks and assistants change households in their scope; district staff only look."""
    if not roles_of(user) & HOUSEHOLD_EDITOR_ROLES:
        return False
    return villages_for(user).filter(pk=household.village_id).exists()


def can_create_household(user) -> bool:
    return bool(roles_of(user) & HOUSEHOLD_EDITOR_ROLES) and villages_for(user).exists()


def assign_township(user, township: Township) -> None:
    assign_perm(WORK_IN_TOWNSHIP_PERM, user, township)


def unassign_township(user, township: Township) -> None:
    remove_perm(WORK_IN_TOWNSHIP_PERM, user, township)


def assign_village(user, village: Village) -> None:
    assign_perm(WORK_IN_VILLAGE_PERM, user, village)


def unassign_village(user, village: Village) -> None:
    remove_perm(WORK_IN_VILLAGE_PERM, user, village)


def cases_visible_to(user):
    """Cases the user may see: those of the households the user may see."""
    from cases.models import Case

    if sees_whole_district(user):
        return Case.objects.all()
    village_ids = list(villages_for(user).values_list("pk", flat=True))
    return Case.objects.filter(village_id__in=village_ids)


def case_for_user(user, pk):
    """The case if the user may see it; 404 otherwise."""
    case = cases_visible_to(user).select_related(
        "household", "applicant", "township", "village", "created_by").filter(pk=pk).first()
    if case is None:
        raise Http404("未找到该案件，或您无权查看。")
    return case
