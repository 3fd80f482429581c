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



# --- One world for the access matrix and the hostile-input tests ------------------------------
# Built once per module inside an outer transaction that is rolled back at the module's end;
# each test runs in a savepoint of it (pytest-django's `db`), so cells never see each other's
# writes and other modules never see this data.


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from django.db import transaction

    from tests.security.world import build_world

    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
