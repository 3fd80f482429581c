"""The tamper-evident trail (S17): every step leaves a hash-chained event that cannot be
edited, and `verify_audit` finds any change."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from cases.demo_cases import build_case
from cases.models import CaseEvent
from cases.trail import compute_hash, verify_chain
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S17")]


@pytest.fixture
def approved_case(village_a, clerk_a, verifier_a, leader_a):
    return build_case(CaseStatus.APPROVED, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)


def test_every_step_leaves_a_chained_event(approved_case):
    events = list(approved_case.events.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    actions = [e.action for e in events]
    for expected in ("created", "authorization_recorded", "accept", "verification_recorded",
                     "home_visit_recorded", "propose_approval", "end_publicity", "sign_off"):
        assert expected in actions
    prev = ""
    for event in events:
        assert event.prev_hash == prev
        assert event.hash == compute_hash(prev, event)
        prev = event.hash
    sign_off = next(e for e in events if e.action == "sign_off")
    assert (sign_off.from_status, sign_off.to_status) == ("awaiting_sign_off", "approved")
    assert sign_off.actor.username == "leader_a"


def test_verify_audit_passes_on_an_intact_trail(approved_case, capsys):
    call_command("verify_audit")
    assert "校验通过" in capsys.readouterr().out


def _tamper(event: CaseEvent, **changes) -> None:
    """Change a stored event behind the application's back (on PostgreSQL with triggers
    switched off for the session, as an attacker with superuser rights could)."""
    table = CaseEvent._meta.db_table
    sets = ", ".join(f"{column} = %s" for column in changes)
    with connection.cursor() as cursor, _triggers_off(cursor):
        cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
                       [*changes.values(), event.pk])


@contextmanager
def _triggers_off(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_a_changed_payload_is_found_and_named(approved_case, capsys):
    target = approved_case.events.get(action="sign_off")
    _tamper(target, payload='{"amount": "9999.00"}')
    broken = verify_chain(approved_case.pk)
    assert broken is not None and broken.event_id == target.pk
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"事件ID {target.pk}" in err
    assert f"第{target.seq}条" in err


def test_a_deleted_event_breaks_the_chain(approved_case):
    target = approved_case.events.get(action="propose_approval")
    with connection.cursor() as cursor, _triggers_off(cursor):
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [target.pk])
    broken = verify_chain(approved_case.pk)
    assert broken is not None and broken.seq == target.seq + 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigger exists on PostgreSQL")
def test_postgresql_refuses_update_and_delete_of_events(approved_case):
    event = approved_case.events.first()
    for statement in ("UPDATE cases_caseevent SET note = 'x' WHERE id = %s",
                      "DELETE FROM cases_caseevent WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert event.note != "x"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_cannot_be_written_outside_a_service_transaction(approved_case):
    from cases.trail import append_event

    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        append_event(approved_case, "x")
