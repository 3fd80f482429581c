"""The tamper-evident trail (S17): every step leaves a hash-chained event that cannot be
edited, and `verify_audit` finds any change."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from cases.checkpoints import INDEX, checkpoint_read
from cases.checks import check_audit_hmac_key
from cases.demo_cases import build_case
from cases.models import Case, CaseEvent, CaseTrailHead
from cases.trail import SEAL_ACTION, append_event, compute_hash, plain_hash, verify_chain
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
    head = CaseTrailHead.objects.get(case=approved_case)
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
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


def test_the_hash_is_keyed_so_neither_plain_sha256_nor_another_key_reproduces_it(
        approved_case, settings):
    event = approved_case.events.get(seq=2)
    assert event.hash == compute_hash(event.prev_hash, event)
    assert event.hash != plain_hash(event.prev_hash, event)
    assert event.hash != compute_hash(event.prev_hash, event, key=b"another-key-" * 3)
    settings.AUDIT_HMAC_KEY = "another-audit-key-of-enough-length-0123456789"
    assert verify_chain(approved_case.pk) is not None


def _make_legacy(case: Case) -> None:
    """Turn a case's chain into what the system wrote before the key: plain SHA-256 links
    and no head."""
    prev = ""
    with connection.cursor() as cursor, _triggers_off(cursor):
        for event in CaseEvent.objects.filter(case=case).order_by("seq"):
            event.prev_hash = prev
            event.hash = plain_hash(prev, event)
            CaseEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=event.hash)
            prev = event.hash
        cursor.execute("DELETE FROM cases_casetrailhead WHERE case_id = %s", [case.pk])


def test_an_unsealed_plain_chain_is_reported_until_sealed_and_then_passes(approved_case,
                                                                           capsys):
    _make_legacy(approved_case)
    legacy = approved_case.events.count()
    broken = verify_chain(approved_case.pk)
    assert broken is not None and "尚未封存" in broken.reason

    call_command("seal_audit_trail")
    assert "1 个案件的旧式轨迹已加密封存，其中 0 个封存前已损坏" in capsys.readouterr().out
    seal = approved_case.events.get(action=SEAL_ACTION)
    assert seal.seq == legacy + 1 and seal.actor is None
    assert seal.payload["intact"] is True and seal.payload["sealed_events"] == legacy
    assert seal.hash == compute_hash(seal.prev_hash, seal)
    assert verify_chain(approved_case.pk) is None
    call_command("seal_audit_trail")  # again: nothing changes
    assert approved_case.events.filter(action=SEAL_ACTION).count() == 1
    call_command("verify_audit")
    assert "校验通过" in capsys.readouterr().out


def test_a_sealed_plain_event_edited_and_recomputed_without_the_key_is_found(approved_case):
    _make_legacy(approved_case)
    call_command("seal_audit_trail")
    target = approved_case.events.get(action="sign_off")
    target.payload = {**target.payload, "amount": "9999.00"}
    prev = target.prev_hash
    with connection.cursor() as cursor, _triggers_off(cursor):
        for event in approved_case.events.filter(seq__gte=target.seq,
                                                 seq__lt=target.seq + 100).order_by("seq"):
            if event.action == SEAL_ACTION:
                break
            if event.pk == target.pk:
                event.payload = target.payload
            event.prev_hash = prev
            event.hash = plain_hash(prev, event)
            CaseEvent.objects.filter(pk=event.pk).update(payload=event.payload,
                                                         prev_hash=prev, hash=event.hash)
            prev = event.hash
    broken = verify_chain(approved_case.pk)
    assert broken is not None and broken.event_id == approved_case.events.get(
        action=SEAL_ACTION).pk


def test_a_chain_already_broken_when_sealed_is_sealed_as_broken_and_still_reported(
        approved_case, capsys):
    _make_legacy(approved_case)
    target = approved_case.events.get(action="accept")
    _tamper(target, note="改过的说明")
    call_command("seal_audit_trail")
    assert "其中 1 个封存前已损坏" in capsys.readouterr().out
    seal = approved_case.events.get(action=SEAL_ACTION)
    assert seal.payload["intact"] is False and seal.payload["break_seq"] == target.seq
    broken = verify_chain(approved_case.pk)
    assert broken is not None and broken.event_id == target.pk


def test_the_first_step_on_an_unsealed_case_seals_it_first(approved_case):
    _make_legacy(approved_case)
    legacy = approved_case.events.count()
    with transaction.atomic():
        event = append_event(Case.objects.select_for_update().get(pk=approved_case.pk),
                             "note", note="升级后的第一条")
    assert event.seq == legacy + 2
    assert approved_case.events.get(seq=legacy + 1).action == SEAL_ACTION
    assert verify_chain(approved_case.pk) is None
    head = CaseTrailHead.objects.get(case=approved_case)
    assert (head.seq, head.hash) == (event.seq, event.hash)


def test_the_checkpoint_is_signed_and_lists_every_head(approved_case, settings, tmp_path,
                                                       capsys):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    call_command("write_audit_checkpoint")
    assert "1 个案件" in capsys.readouterr().out
    reading = checkpoint_read()
    assert reading.problems == []
    head = CaseTrailHead.objects.get(case=approved_case)
    assert reading.heads == {approved_case.pk: (head.seq, head.hash)}
    record = reading.record
    assert record["cases"] == 1 and record["events"] == head.seq
    assert (tmp_path / record["heads_file"]).read_text() == \
        f"{approved_case.pk}\t{head.seq}\t{head.hash}\n"
    settings.AUDIT_HMAC_KEY = "another-audit-key-of-enough-length-0123456789"
    assert any("签名不符" in p for p in checkpoint_read().problems)


def test_a_checkpoint_after_the_backup_time_is_not_applied(approved_case, settings, tmp_path,
                                                            capsys):
    from cases.checkpoints import checkpoint_write

    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    first = checkpoint_write()
    with transaction.atomic():
        append_event(Case.objects.select_for_update().get(pk=approved_case.pk), "note")
    second = checkpoint_write()
    assert second["events"] == first["events"] + 1
    # As a restore of a backup taken between the two would see it: the last event missing.
    last = approved_case.events.order_by("-seq").first()
    with connection.cursor() as cursor, _triggers_off(cursor):
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [last.pk])
        prev = approved_case.events.order_by("-seq").first()
        CaseTrailHead.objects.filter(case=approved_case).update(seq=prev.seq, hash=prev.hash)
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    capsys.readouterr()
    call_command("verify_audit", as_of=first["taken_at"])
    out = capsys.readouterr().out
    assert f"对照检查点：{first['taken_at']}" in out and "有 1 个检查点晚于" in out
    assert "校验通过" in out
    assert (tmp_path / INDEX).read_text().count("\n") == 2


def test_the_checkpoint_task_is_scheduled_daily_and_writes_one(approved_case, settings,
                                                               tmp_path):
    from cases.tasks import write_audit_checkpoint_task

    entry = settings.CELERY_BEAT_SCHEDULE["write-audit-checkpoint"]
    assert entry["task"] == "cases.write_audit_checkpoint"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({1}, {30})
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    record = write_audit_checkpoint_task.delay().get()
    assert record["cases"] == 1 and checkpoint_read().record == record


@pytest.mark.parametrize(("debug", "key", "refused"), [
    (False, "", True),
    (False, "demo-only-audit-hmac-key-lanshan-aid-0123456789", True),
    (False, "k" * 31, True),
    (False, "k" * 32, False),
    (True, "", False),
])
def test_production_refuses_a_missing_demo_or_short_trail_key(settings, debug, key, refused):
    settings.DEBUG = debug
    settings.AUDIT_HMAC_KEY = key
    errors = check_audit_hmac_key(None)
    assert [e.id for e in errors] == (["cases.E001"] if refused else [])


def test_an_approved_amount_changed_on_the_case_row_alone_is_found(approved_case, capsys):
    call_command("verify_audit")
    capsys.readouterr()
    Case.objects.filter(pk=approved_case.pk).update(
        approved_amount=approved_case.approved_amount * 10)
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert f"核定保障金额{approved_case.approved_amount * 10}元与案件轨迹记录的" in err


def test_a_document_whose_file_and_recorded_hash_were_both_replaced_is_found(approved_case,
                                                                             capsys):
    import hashlib

    from documents.models import IssuedDocument

    document = IssuedDocument.objects.filter(case=approved_case).order_by("pk").first()
    assert document is not None
    forged = b"%PDF-1.7 forged"
    with document.pdf.open("wb") as fh:
        fh.write(forged)
    with connection.cursor() as cursor, _triggers_off(cursor):
        IssuedDocument.objects.filter(pk=document.pk).update(
            sha256=hashlib.sha256(forged).hexdigest())
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert (f"文书 {document.number}（ID {document.pk}）："
            "登记的SHA-256与案件轨迹出具时记录的不符") in err


def test_manage_py_check_refuses_production_without_a_trail_key():
    from tests.security.test_hardening import production_env, run_manage

    env = production_env()
    del env["AUDIT_HMAC_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0 and "cases.E001" in result.stderr
    assert run_manage("check", env=production_env()).returncode == 0
