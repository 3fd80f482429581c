"""Template tags for the case page's 核对与调查 section and the relative flag on every page."""

from __future__ import annotations

from django import template

from cases.permissions import can_record_authorization, can_record_home_visit
from cases.workflow import AUTHORIZATION_KINDS, CaseStatus

register = template.Library()


@register.inclusion_tag("cases/verification/_relative_flag.html")
def relative_flag(case):
    """The red banner when the applicant's household has a declared relative of staff."""
    from cases.verification.relatives import flags_for

    return {"flags": flags_for(case)}


@register.inclusion_tag("cases/verification/_section.html", takes_context=True)
def verification_section(context, case):
    """Links and summaries of the verification section: reports with their versions, the
    latest assessment, home visits with photos, and what this user may do next."""
    from cases.verification import access
    from cases.verification.relatives import conflict_message, flags_for

    user = context["request"].user
    open_states = (CaseStatus.INVESTIGATING, CaseStatus.RECHECK)
    officer = access.is_designated_officer(user)
    return {
        "case": case,
        "flags": flags_for(case),
        "conflict": conflict_message(case, user),
        "officer_link": officer and not access.refusal(case, user, access.A.VIEW),
        "is_verifier_without_agreement": not officer and _is_verifier(user),
        "can_scan": case.kind in AUTHORIZATION_KINDS and can_record_authorization(case, user)
        and case.status in (CaseStatus.RECEIVED, *open_states),
        "can_visit": case.status in open_states and can_record_home_visit(case, user),
        "reports": case.verification_reports.order_by("version", "recorded_at"),
        "assessment": case.assessments.order_by("-version").first(),
        "visits": case.home_visits.prefetch_related("photos").order_by("visited_on", "id"),
    }


def _is_verifier(user) -> bool:
    from cases import scoping
    from cases.permissions import Role

    return scoping.has_role(user, Role.VERIFIER)
