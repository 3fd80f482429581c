from django import template

from oversight import access

register = template.Library()


@register.filter
def may_view_dashboard(user) -> bool:
    """Whether the navigation shows 全区总览 (district bureau staff and superusers)."""
    return access.can_view_dashboard(user)
