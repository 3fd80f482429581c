"""`{{ user|person_name }}`: a built-in filter (settings `TEMPLATES` builtins), see
`accounts.names.person_name`."""

from django import template

from accounts.names import person_name as _person_name

register = template.Library()


@register.filter
def person_name(user, default: str = "") -> str:
    return _person_name(user, default=default)
