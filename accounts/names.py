"""A person's name as Chinese readers write it: family name first, no space (张立新).

Django's own full name writes "first last" (立新 张); the user model here keeps the family
name (姓) in `last_name` and the given name (名) in `first_name`. Every page, document, trail,
inbox and export names staff through `person_name`, and a user with neither falls back to the
username, so a name is never blank.
"""

from __future__ import annotations


def person_name(user, *, default: str = "") -> str:
    """张立新 for last_name 张 and first_name 立新; the username when both are empty;
    `default` for no user at all (e.g. "系统" on the trail)."""
    if user is None:
        return default
    name = f"{(user.last_name or '').strip()}{(user.first_name or '').strip()}"
    return name or user.get_username()
