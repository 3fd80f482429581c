"""Who may see and change what: the one place that answers it.

Every view, list and download asks this module. A township-level user (clerk, verification
officer, leader) works in the townships assigned to them; a village assistant in the villages
assigned to them; district bureau staff and system administrators see the whole district but
approve nothing (S1). Assignments are django-guardian object permissions on `Township` and
`Village`, granted with `assign_township` / `assign_village`.

Seeing is not acting: a district-wide role lets a user *see* every township, but every township
move (accepting, verifying, reviewing, signing off ...) asks `works_in_township` /
`works_in_village`, which answer from the user's own assignments only, whatever other roles
the user holds (superusers included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Q, QuerySet
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

# Per-request memo of the places a user works in (`request_memo`, entered by
# lanshan_aid.middleware.ScopeMemoMiddleware for every request): the township and village ids
# are read once per request however many checks a page makes. Outside a request (tasks,
# commands, tests calling services) nothing is memoised.
_memo: ContextVar[dict | None] = ContextVar("lanshan_scope_memo", default=None)


@contextmanager
def request_memo() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _memoised(user, name: str, compute: Callable[[], Any]) -> Any:
    memo = _memo.get()
    if memo is None or not getattr(user, "pk", None):
        return compute()
    key = (user.pk, name)
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def memo(name: str, key, compute: Callable[[], Any]) -> Any:
    """`compute()` once per request for (`name`, `key`); every time outside a request."""
    current = _memo.get()
    if current is None:
        return compute()
    if (name, key) not in current:
        current[(name, key)] = compute()
    return current[(name, key)]


def forget() -> None:
    """Drop what this request memoised (after an assignment changes)."""
    current = _memo.get()
    if current is not None:
        current.clear()


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


def township_ids(user) -> frozenset[int]:
    """Ids of `townships_for(user)`, read once per request."""
    return _memoised(user, "townships",
                     lambda: frozenset(townships_for(user).values_list("pk", flat=True)))


def in_township(user, township_id) -> bool:
    """Whether the user works in that township (district staff: every one)."""
    return sees_whole_district(user) or township_id in township_ids(user)


def assigned_townships(user) -> QuerySet[Township]:
    """Township-level units assigned to the user (object permissions) — where the user may
    act. A district-wide role or superuser status adds none: district staff see every
    township but act in none unless assigned to it with a township role."""
    if not sees_whole_district(user):
        return townships_for(user)
    if not roles_of(user) & TOWNSHIP_ROLES:
        return Township.objects.none()
    return get_objects_for_user(
        user, WORK_IN_TOWNSHIP_PERM, klass=Township, accept_global_perms=False,
        with_superuser=False,
    )


def assigned_township_ids(user) -> frozenset[int]:
    """Ids of `assigned_townships(user)`, read once per request (for a user without a
    district-wide role, the same read as `township_ids`)."""
    if not sees_whole_district(user):
        return township_ids(user)
    return _memoised(user, "assigned_townships",
                     lambda: frozenset(assigned_townships(user).values_list("pk", flat=True)))


def works_in_township(user, township_id) -> bool:
    """Whether the township is among the user's own assignments (every township move asks
    this, never `in_township`)."""
    return township_id in assigned_township_ids(user)


def assistant_village_ids(user) -> frozenset[int]:
    """Ids of the villages assigned to the user as an assistant, read once per request."""
    if Role.ASSISTANT not in roles_of(user):
        return frozenset()
    return _memoised(user, "assistant_villages", lambda: frozenset(
        get_objects_for_user(
            user, WORK_IN_VILLAGE_PERM, klass=Village, accept_global_perms=False,
            with_superuser=False,
        ).values_list("pk", flat=True)))


def works_in_village(user, village_id, township_id) -> bool:
    """Whether the user acts in the village: assigned to it as an assistant, or to its
    township (`works_in_township`)."""
    return village_id in assistant_village_ids(user) or works_in_township(user, township_id)


def villages_for(user) -> QuerySet[Village]:
    """Villages whose households the user may see: by township, or assigned to an assistant."""
    if sees_whole_district(user):
        return Village.objects.all()
    townships = sorted(township_ids(user))
    villages = sorted(assistant_village_ids(user))
    if not townships and not villages:
        return Village.objects.none()
    return Village.objects.filter(Q(township_id__in=townships) | Q(pk__in=villages))


def village_ids(user) -> list[int]:
    """Ids of `villages_for(user)` (not for district staff), read once per request."""
    return _memoised(user, "villages",
                     lambda: list(villages_for(user).values_list("pk", flat=True)))


def village_in_scope(user, village) -> bool:
    """Whether the user may see the households of `village` (a `Village`, read already)."""
    if sees_whole_district(user):
        return True
    return (village.township_id in township_ids(user)
            or village.pk in assistant_village_ids(user))


def households_visible_to(user) -> QuerySet[Household]:
    """Households the user may see: those of `villages_for(user)`, found by the household's
    own township (`Household.township`, the village's) for the user's townships and by village
    for an assistant's villages — no village list is read for a township."""
    if sees_whole_district(user):
        return Household.objects.all()
    townships = sorted(township_ids(user))
    villages = sorted(assistant_village_ids(user))
    if not townships and not villages:
        return Household.objects.none()
    condition = Q()
    if townships:
        condition |= Q(township_id__in=townships)
    if villages:
        condition |= Q(village_id__in=villages)
    return Household.objects.filter(condition)


def household_for_user(user, pk) -> Household:
    """The household if the user may see it; 404 otherwise — never a hint that it exists."""
    household = households_visible_to(user).select_related("village__township", "head").filter(
        pk=pk
    ).first()
    if household is None:
        raise Http404("未找到该家庭，或您无权查看。")
    return household


def household_in_scope(user, household: Household) -> bool:
    """Whether the user may see `household` (read already), as `households_visible_to`."""
    if sees_whole_district(user):
        return True
    return (household.township_id in township_ids(user)
            or household.village_id in assistant_village_ids(user))


def can_edit_household(user, household: Household) -> bool:
    """Clerks and assistants change households in their scope; district staff only look."""
    if not roles_of(user) & HOUSEHOLD_EDITOR_ROLES:
        return False
    return household_in_scope(user, household)


def can_create_household(user) -> bool:
    return bool(roles_of(user) & HOUSEHOLD_EDITOR_ROLES) and villages_for(user).exists()


def assign_township(user, township: Township) -> None:
    assign_perm(WORK_IN_TOWNSHIP_PERM, user, township)
    forget()


def unassign_township(user, township: Township) -> None:
    remove_perm(WORK_IN_TOWNSHIP_PERM, user, township)
    forget()


def assign_village(user, village: Village) -> None:
    assign_perm(WORK_IN_VILLAGE_PERM, user, village)
    forget()


def unassign_village(user, village: Village) -> None:
    remove_perm(WORK_IN_VILLAGE_PERM, user, village)
    forget()


def cases_visible_to(user):
    """Cases the user may see: those of the households the user may see."""
    from cases.models import Case

    if sees_whole_district(user):
        return Case.objects.all()
    return Case.objects.filter(village_id__in=village_ids(user))


def case_for_user(user, pk):
    """The case if the user may see it (its village in scope, as `cases_visible_to`); 404
    otherwise. Read by its key and checked against the user's places, so no village list is
    read for it; its delegate (委托代理人, if any) is read in the same statement."""
    from cases.models import Case

    case = Case.objects.select_related(
        "household", "applicant", "township", "village", "created_by", "agent",
    ).filter(pk=pk).first()
    if case is None or not village_in_scope(user, case.village):
        raise Http404("未找到该案件，或您无权查看。")
    return case
