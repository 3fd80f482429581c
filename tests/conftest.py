"""Shared fixtures. The clause marker ties tests to the seed's rules (docs/clauses.md).

A test names the clause it proves with `@pytest.mark.clause("S4")` or with a line
`clause: S4` in its docstring (several: `clause: S1, S21`). Collection records every test's
clauses in `CLAUSE_REGISTRY` and adds the marker to docstring-only tests, so
`pytest -m clause` selects them all. Under pytest-xdist every worker collects the whole
suite (and deselects alike), so each process's registry is complete too; tests/test_clauses.py
reads the test sources themselves, not the registry.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from cases.permissions import Role
from tests.factories import HouseholdFactory, make_user

CLAUSE_IDS = frozenset(f"S{n}" for n in range(1, 23))
DOCSTRING_CLAUSES = re.compile(r"clause:\s*(S\d+(?:\s*,\s*S\d+)*)")

# clause id -> node ids of the tests that prove it (filled during collection)
CLAUSE_REGISTRY: dict[str, set[str]] = defaultdict(set)


def clauses_of(item: pytest.Item) -> set[str]:
    """Clause ids named by the item's `clause` markers and its docstring."""
    found = {str(arg) for mark in item.iter_markers("clause") for arg in mark.args}
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    for group in DOCSTRING_CLAUSES.findall(doc):
        found.update(part.strip() for part in group.split(","))
    return found


@pytest.hookimpl(tryfirst=True)  # before `-m clause` deselects: docstring ids count too
def pytest_collection_modifyitems(session, config, items):
    for item in items:
        clauses = clauses_of(item)
        unknown = clauses - CLAUSE_IDS
        if unknown:
            raise pytest.UsageError(
                f"{item.nodeid}: unknown clause id(s) {sorted(unknown)}; use S1..S22"
            )
        declared = {str(a) for m in item.iter_markers("clause") for a in m.args}
        for cid in sorted(clauses - declared):
            item.add_marker(pytest.mark.clause(cid))
        for cid in clauses:
            CLAUSE_REGISTRY[cid].add(item.nodeid)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: cached values are keyed by primary keys, which
    SQLite hands out again after a test's rollback (a user's cached unread count, say)."""
    from django.core.cache import cache

    cache.clear()


# --- Places (rows loaded by migration 0002 from the official divisions) ------------------

# The divisions come without contact details (the bureau fills them in the admin), and notices
# that print the hotline are refused without one (documents.services.require_hotline). The
# test database gives every township this made-up number; a test of the refusal blanks it.
TEST_HOTLINE = "0539-0000000"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The migrated test database, with a hotline on every township (also in the copy that
    `serialized_rollback` restores for the browser journeys)."""
    from django.db import connections

    from cases.models import Township

    with django_db_blocker.unblock():
        Township.objects.filter(hotline="").update(hotline=TEST_HOTLINE)
        for connection in connections.all():
            if getattr(connection, "_test_serialized_contents", None) is not None:
                connection._test_serialized_contents = (
                    connection.creation.serialize_db_to_string())


@pytest.fixture
def township_a(db):
    from cases.models import Township

    return Township.objects.get(code="371302001")  # 兰山街道


@pytest.fixture
def township_b(db):
    from cases.models import Township

    return Township.objects.get(code="371302102")  # 枣园镇


@pytest.fixture
def township_c(db):
    from cases.models import Township

    return Township.objects.get(code="371302004")  # 柳青街道


@pytest.fixture
def village_a(township_a):
    return township_a.villages.order_by("code").first()


@pytest.fixture
def village_a2(township_a):
    """A second village of A, outside the assistant's assignment."""
    return township_a.villages.order_by("code")[1]


@pytest.fixture
def village_b(township_b):
    return township_b.villages.order_by("code").first()


@pytest.fixture
def village_c(township_c):
    return township_c.villages.order_by("code").first()


# --- Users, one per role ------------------------------------------------------------------


@pytest.fixture
def clerk_a(township_a):
    return make_user("clerk_a", Role.CLERK, townships=[township_a])


@pytest.fixture
def clerk_b(township_b):
    return make_user("clerk_b", Role.CLERK, townships=[township_b])


@pytest.fixture
def clerk_ab(township_a, township_b):
    return make_user("clerk_ab", Role.CLERK, townships=[township_a, township_b])


@pytest.fixture
def verifier_a(township_a):
    return make_user("verifier_a", Role.VERIFIER, townships=[township_a])


@pytest.fixture
def leader_a(township_a):
    return make_user("leader_a", Role.LEADER, townships=[township_a])


@pytest.fixture
def assistant_a(village_a):
    return make_user("assistant_a", Role.ASSISTANT, villages=[village_a])


@pytest.fixture
def staff(clerk_a, verifier_a, leader_a):
    """Township A's clerk, verification officer and leader, as `build_case` takes them."""
    return {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}


@pytest.fixture
def bureau(db):
    return make_user("bureau", Role.BUREAU)


@pytest.fixture
def sysadmin(db):
    return make_user("sysadmin", Role.SYSADMIN)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        "superuser", "superuser@example.invalid", "lanshan-test-pass-2024"
    )


@pytest.fixture
def no_role_user(township_a):
    """Assigned to A but in no group: a role is required before a place means anything."""
    return make_user("no_role", None, townships=[township_a])


@pytest.fixture
def unassigned_clerk(db):
    return make_user("clerk_none", Role.CLERK)


@pytest.fixture
def inactive_clerk(township_a):
    return make_user("clerk_gone", Role.CLERK, townships=[township_a], is_active=False)


# --- Households ---------------------------------------------------------------------------


@pytest.fixture
def household_a(village_a):
    return HouseholdFactory(village=village_a, members=2)


@pytest.fixture
def household_a2(village_a2):
    return HouseholdFactory(village=village_a2, members=1)


@pytest.fixture
def household_b(village_b):
    return HouseholdFactory(village=village_b, members=2)


@pytest.fixture
def household_c(village_c):
    return HouseholdFactory(village=village_c, members=1)
