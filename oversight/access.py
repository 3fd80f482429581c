"""Who may see the dashboard and the spot checks, and who may act on them (S1).

The townships decide; the district bureau supervises. Only bureau staff (and superusers) see
the dashboard and draw, review and close spot checks. A township's clerk or leader answers
the findings of a spot check of their township; township staff see only their townships'
spot checks. Everything else is a 404 (outside scope) or a 403 (outside role).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from cases import scoping
from cases.permissions import Role
from oversight.models import SpotCheck, SpotCheckItem

ANSWER_ROLES = (Role.CLERK, Role.LEADER)


def can_view_dashboard(user) -> bool:
    """District bureau staff (and superusers)."""
    if not getattr(user, "is_active", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or scoping.has_role(user, Role.BUREAU)


def can_run_spot_checks(user) -> bool:
    """Draw samples, record findings, close checks: district bureau staff only."""
    return scoping.has_role(user, Role.BUREAU)


def spot_checks_visible_to(user) -> QuerySet[SpotCheck]:
    if scoping.sees_whole_district(user):
        return SpotCheck.objects.all()
    return SpotCheck.objects.filter(township__in=scoping.townships_for(user))


def spot_check_for_user(user, pk) -> SpotCheck:
    check = spot_checks_visible_to(user).select_related(
        "township", "created_by", "closed_by").filter(pk=pk).first()
    if check is None:
        raise Http404("未找到该抽查，或您无权查看。")
    return check


def item_for_user(user, pk) -> SpotCheckItem:
    item = SpotCheckItem.objects.select_related("spot_check", "case").filter(
        pk=pk, spot_check__in=spot_checks_visible_to(user)).first()
    if item is None:
        raise Http404("未找到该抽查案件，或您无权查看。")
    return item


def can_answer(check: SpotCheck, user) -> bool:
    """The township's clerk or leader answers the bureau's findings — in a township assigned to
    them, whatever other roles they hold (a district account never answers its own checks)."""
    if not scoping.has_role(user, *ANSWER_ROLES):
        return False
    return scoping.works_in_township(user, check.township_id)
