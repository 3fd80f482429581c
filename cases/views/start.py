"""Where a user lands after signing in: the workspace made for their role."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from cases import scoping
from cases.permissions import Role
from cases.verification.access import is_designated_officer
from oversight.access import can_view_dashboard

# First matching role wins: a user with several roles lands on the busiest desk's page, and
# reaches the others through the navigation.
LANDINGS = (
    (can_view_dashboard, "bureau_dashboard"),
    (lambda user: scoping.has_role(user, Role.CLERK), "clerk_home"),
    (lambda user: scoping.has_role(user, Role.LEADER), "leader_queue"),
    (is_designated_officer, "verification_home"),
    (lambda user: scoping.has_role(user, Role.ASSISTANT), "assistant_home"),
)


def start(request: HttpRequest) -> HttpResponse:
    """Redirect to the user's workspace; the household list for everyone else."""
    for applies, url_name in LANDINGS:
        if applies(request.user):
            return redirect(url_name)
    return redirect("home")
