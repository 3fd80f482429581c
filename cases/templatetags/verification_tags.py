"""Template tags for verification pages: the relative flag (the case pages build their own
sections: cases.views.case_pages)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("cases/verification/_relative_flag.html")
def relative_flag(case):
    """The red banner when the applicant's household has a declared relative of staff."""
    from cases.verification.relatives import flags_for

    return {"flags": flags_for(case)}
