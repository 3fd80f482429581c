"""Separation of duties (三员分立) and who may use a second factor.

GB/T 22239-2019 level 3 asks for three administrator roles held by different people: the
system administrator (accounts, configuration), the security administrator (roles, places,
unlocking, second-factor resets) and the audit administrator (reads every log, changes
nothing). No account may hold two of them, and nobody reviews or grants their own actions.
"""

from __future__ import annotations

from collections.abc import Iterable

from cases.permissions import Role

ADMIN_TRIAD = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})

# Roles that may (and with OTP_REQUIRED must) protect their login with a TOTP second factor:
# those who sign off decisions, see the whole district, or administer the system.
OTP_ROLES = frozenset({Role.LEADER, Role.BUREAU, *ADMIN_TRIAD})


def triad_conflict(role_names: Iterable[str]) -> list[Role]:
    """The administrator roles among `role_names` when there are two or more; else []."""
    names = set(role_names)
    held = sorted((role for role in ADMIN_TRIAD if role.value in names), key=list(Role).index)
    return held if len(held) > 1 else []


def current_roles(user) -> frozenset[Role]:
    """The user's roles read afresh (no per-request cache: used right after a change)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    names = set(user.groups.values_list("name", flat=True))
    return frozenset(role for role in Role if role.value in names)


def may_use_otp(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or bool(current_roles(user) & OTP_ROLES)


def is_security_admin(user) -> bool:
    return Role.SECADMIN in current_roles(user)


def is_system_admin(user) -> bool:
    return Role.SYSADMIN in current_roles(user)


def is_auditor(user) -> bool:
    return Role.AUDITOR in current_roles(user)
