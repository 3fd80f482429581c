"""Fixtures for the security tests: the three administrators with their synced permissions."""

from __future__ import annotations

import pytest

from cases.permissions import Role
from tests.factories import make_user


@pytest.fixture
def roles_synced(db):
    from cases.management.commands.sync_roles import sync_roles

    sync_roles()


@pytest.fixture
def admin_sys(roles_synced):
    return make_user("admin_sys", Role.SYSADMIN, is_staff=True)


@pytest.fixture
def admin_sec(roles_synced):
    return make_user("admin_sec", Role.SECADMIN, is_staff=True)


@pytest.fixture
def admin_audit(roles_synced):
    return make_user("admin_audit", Role.AUDITOR, is_staff=True)

