"""Template context shared by every staff page: the user's roles and places."""

import functools

from accounts.names import person_name
from cases import scoping
from cases.permissions import Role


def workspace(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_roles": sorted(r.value for r in scoping.roles_of(user)),
        "sees_whole_district": scoping.sees_whole_district(user),
        "display_name": person_name(user),
        "is_leader": scoping.has_role(user, Role.LEADER),
        "is_verifier": scoping.has_role(user, Role.VERIFIER),
        "works_in_villages": scoping.has_role(user, Role.CLERK, Role.ASSISTANT, Role.LEADER),
        "may_export_roster": scoping.has_role(user, Role.CLERK, Role.LEADER, Role.BUREAU),
    }


def inbox(request):
    """The unread count for the header badge, counted only when a page shows it (and then
    cached per user for a minute: `cases.notifications.unread_count`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from cases.notifications import unread_count

    return {"inbox_unread": functools.cache(lambda: unread_count(user))}
