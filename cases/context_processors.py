"""Template context shared by every staff page: the user's roles and places."""

from cases import scoping


def workspace(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_roles": sorted(r.value for r in scoping.roles_of(user)),
        "sees_whole_district": scoping.sees_whole_district(user),
    }
