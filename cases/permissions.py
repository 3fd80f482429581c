"""Role names and the per-object permissions that scope users to places.

This module imports no models: it is the vocabulary every other access rule speaks.
Roles are Django groups (synced by `python manage.py sync_roles`); the township and village a
user works in are django-guardian object permissions on `Township` and `Village`.
"""

from enum import StrEnum


class Role(StrEnum):
    """The product's roles (S21). Values are the group names users see."""

    CLERK = "窗口受理员"
    VERIFIER = "核对专员"
    ASSISTANT = "村(社区)协理员"
    LEADER = "镇街分管领导"
    BUREAU = "区民政局"
    SYSADMIN = "系统管理员"
    # Separation of duties (三员分立): the system administrator above runs the system, the
    # security administrator grants roles and unlocks accounts, the audit administrator only
    # reads the logs. No account holds two of the three (accounts.roles).
    SECADMIN = "安全管理员"
    AUDITOR = "审计管理员"


# Object permissions (codename on the model, full name for guardian).
WORK_IN_TOWNSHIP = "work_in_township"
WORK_IN_TOWNSHIP_PERM = f"cases.{WORK_IN_TOWNSHIP}"
WORK_IN_VILLAGE = "work_in_village"
WORK_IN_VILLAGE_PERM = f"cases.{WORK_IN_VILLAGE}"

# Roles whose scope is whole townships; assistants are scoped to villages.
TOWNSHIP_ROLES = frozenset({Role.CLERK, Role.VERIFIER, Role.LEADER})
# Roles that see the whole district (supervision, not approval: S1).
DISTRICT_ROLES = frozenset({Role.BUREAU, Role.SYSADMIN})
# Roles that may create and edit households.
HOUSEHOLD_EDITOR_ROLES = frozenset({Role.CLERK, Role.ASSISTANT})


# --- Who may make each move: predicates in django-fsm's (instance, user) order -------------
# They check role and place; the scoping module answers place. `user=None` is the system
# (Celery tasks), allowed only where a move is automatic by law (publicity close).


def _in_township(case, user) -> bool:
    from cases import scoping

    # The user's own assignments, whatever other roles they hold: a district-wide role sees
    # every township but acts in none it is not assigned to. Read once per request
    # (scoping.assigned_township_ids), however many moves a page asks about.
    return scoping.works_in_township(user, case.township_id)


def _in_village(case, user) -> bool:
    from cases import scoping

    if scoping.sees_whole_district(user):
        return scoping.works_in_village(user, case.village_id, case.township_id)
    if type(case).village.is_cached(case):  # read with the case (scoping.case_for_user):
        return scoping.village_in_scope(user, case.village)  # no list of the user's villages
    return case.village_id in scoping.village_ids(user)


def _role_in_township(case, user, *roles: Role) -> bool:
    from cases import scoping

    if user is None or not scoping.has_role(user, *roles):
        return False
    return _in_township(case, user)


def can_accept(case, user) -> bool:
    return _role_in_township(case, user, Role.CLERK)


def can_open_recheck(case, user) -> bool:
    return _role_in_township(case, user, Role.CLERK, Role.VERIFIER)


def can_record_verification(case, user) -> bool:
    """A verification officer of the case's township with a confidentiality agreement valid
    today (S19): only designated officers handle verification results."""
    from cases.verification.access import holds_agreement

    return _role_in_township(case, user, Role.VERIFIER) and holds_agreement(user)


def can_record_home_visit(case, user) -> bool:
    from cases import scoping

    if user is None:
        return False
    if scoping.has_role(user, Role.ASSISTANT) and _in_village(case, user):
        return True
    return _role_in_township(case, user, Role.CLERK, Role.VERIFIER)


def can_review(case, user) -> bool:
    return _role_in_township(case, user, Role.CLERK, Role.LEADER)


def can_close_publicity(case, user) -> bool:
    if user is None:
        return True
    return _role_in_township(case, user, Role.CLERK, Role.LEADER)


def can_record_objection(case, user) -> bool:
    from cases import scoping

    if user is None:
        return True
    if scoping.has_role(user, Role.ASSISTANT) and _in_village(case, user):
        return True
    return _role_in_township(case, user, Role.CLERK, Role.LEADER)


def _district_account(user) -> bool:
    """Holds a district-wide role: supervises, never approves (accounts.roles refuses the
    combination with the approval role; this refuses an account that holds it anyway)."""
    from cases import scoping

    return bool(scoping.roles_of(user) & DISTRICT_ROLES)


def can_sign_off(case, user) -> bool:
    return _role_in_township(case, user, Role.LEADER) and not _district_account(user)


def can_decide(case, user) -> bool:
    return _role_in_township(case, user, Role.LEADER) and not _district_account(user)


def can_withdraw(case, user) -> bool:
    return _role_in_township(case, user, Role.CLERK)


def can_give_emergency_aid(case, user) -> bool:
    return _role_in_township(case, user, Role.CLERK, Role.LEADER)


def can_record_authorization(case, user) -> bool:
    return _role_in_township(case, user, Role.CLERK)


def can_declare_incomes(case, user) -> bool:
    """Who registers the application records what it declares: the township's window clerk,
    or its leader for an emergency report (as `services.case_create` allows)."""
    roles = (Role.CLERK, Role.LEADER) if case.is_emergency else (Role.CLERK,)
    return _role_in_township(case, user, *roles)


# --- A household's payee account (bank, account number, payee) ------------------------------
# Changed only by the window clerks and leaders of the household's township, confirmed by a
# leader of that township who is not the requester (two people). Never by a village assistant,
# never by district staff, never in the admin.
PAYEE_ACCOUNT_ROLES = frozenset({Role.CLERK, Role.LEADER})


def can_request_account_change(household, user) -> bool:
    from cases import scoping

    # The system (None), an anonymous or an inactive user holds no role (scoping.roles_of).
    if not scoping.has_role(user, *PAYEE_ACCOUNT_ROLES):
        return False
    return household.township_id in scoping.township_ids(user)


def can_decide_account_change(change, user) -> bool:
    """A leader of the household's township (the service also refuses the requester)."""
    from cases import scoping

    if not scoping.has_role(user, Role.LEADER):  # never the system, anonymous or inactive users
        return False
    return change.household.township_id in scoping.township_ids(user)
