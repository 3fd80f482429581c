"""Separation of duties (三员分立) and who may use a second factor.

GB/T 22239-2019 level 3 asks for three administrator roles held by different people: the
system administrator (accounts, configuration), the security administrator (roles, places,
unlocking, second-factor resets) and the audit administrator (reads every log, changes
nothing). No account may hold two of them, and nobody reviews or grants their own actions.

District accounts do not approve: the approving authority of a case is its township, and
district staff supervise (the delegation of approval to the townships). An account with a
district-wide role (区民政局, 系统管理员) therefore cannot also hold the township's approval role
(镇街分管领导): `district_approval_conflict` is the one rule, refused when a role is added
(`accounts.signals`, every path), on the admin form, and reported by `sync_roles` for accounts
that already hold both.
"""

from __future__ import annotations

from collections.abc import Iterable

from cases.permissions import DISTRICT_ROLES, Role

ADMIN_TRIAD = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})

# Roles that may (and with OTP_REQUIRED must) protect their login with a TOTP second factor:
# those who sign off decisions, see the whole district, or administer the system.
OTP_ROLES = frozenset({Role.LEADER, Role.BUREAU, *ADMIN_TRIAD})


def triad_conflict(role_names: Iterable[str]) -> list[Role]:
    """The administrator roles among `role_names` when there are two or more; else []."""
    names = set(role_names)
    held = sorted((role for role in ADMIN_TRIAD if role.value in names), key=list(Role).index)
    return held if len(held) > 1 else []


# The township roles that approve cases (sign-off and decisions).
TOWNSHIP_APPROVAL_ROLES = frozenset({Role.LEADER})


def district_approval_conflict(role_names: Iterable[str]) -> tuple[list[Role], list[Role]]:
    """(district roles, approval roles) among `role_names` when both are present; else
    ([], [])."""
    names = set(role_names)
    order = list(Role).index
    district = sorted((r for r in DISTRICT_ROLES if r.value in names), key=order)
    approval = sorted((r for r in TOWNSHIP_APPROVAL_ROLES if r.value in names), key=order)
    if district and approval:
        return district, approval
    return [], []


def district_approval_message(district: Iterable[Role], approval: Iterable[Role],
                              who: str = "同一账户") -> str:
    """The Chinese refusal for `district_approval_conflict`."""
    return (f"区级账户不参与审批：{who}已担任或将担任{'、'.join(r.value for r in district)}"
            f"（全区监督），不能同时担任{'、'.join(r.value for r in approval)}。"
            f"案件由所在镇街的分管领导审批，请为其另设镇街账户。")


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
