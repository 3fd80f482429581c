"""The case trail against whoever owns the database (S17, docs/security.md "The case trail").

Each test plays one attack of a database owner who can switch the triggers off
(`session_replication_role = replica`, as a superuser or the tables' owner can) and edit rows
at will, but who does not hold AUDIT_HMAC_KEY or the checkpoint files outside the database.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from cases.checkpoints import INDEX, checkpoint_write
from cases.demo_cases import build_case
from cases.models import Case, CaseEvent, CaseTrailHead
from cases.trail import append_event, compute_hash, plain_hash, verify_chain
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.clause("S17"),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the attacks switch PostgreSQL's triggers off"),
]


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.fixture
def approved_case(village_a, clerk_a, verifier_a, leader_a):
    return build_case(CaseStatus.APPROVED, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)


@contextmanager
def triggers_off():
    """The owner's way around the append-only triggers."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def rewrite_from(case: Case, seq: int, change, hasher) -> None:
    """Apply `change` to event `seq`, then recompute every later link with `hasher` and move
    the head onto the new last hash: a chain that is whole again by the hasher's rule."""
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    prev = events[seq - 2].hash if seq > 1 else ""
    with triggers_off():
        for event in events[seq - 1:]:
            if event.seq == seq:
                change(event)
            event.prev_hash = prev
            event.hash = hasher(prev, event)
            CaseEvent.objects.filter(pk=event.pk).update(
                payload=event.payload, prev_hash=event.prev_hash, hash=event.hash)
            prev = event.hash
        CaseTrailHead.objects.filter(case=case).update(hash=prev)


def ten_times_the_amount(case: Case):
    def change(event: CaseEvent) -> None:
        event.payload = {**event.payload, "amount": str(Decimal(event.payload["amount"]) * 10)}
    return change


def verify_audit_fails(capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    return capsys.readouterr().err


@pytest.mark.parametrize("hasher", [
    pytest.param(plain_hash, id="the_old_unkeyed_hash"),
    pytest.param(lambda prev, event: compute_hash(prev, event, key=b"a-guessed-key-" * 3),
                 id="a_wrong_key"),
])
def test_an_amount_raised_tenfold_and_the_chain_recomputed_without_the_key_is_found(
        approved_case, hasher, checkpoints, capsys):
    sign_off = approved_case.events.get(action="sign_off")
    with triggers_off():
        Case.objects.filter(pk=approved_case.pk).update(
            approved_amount=approved_case.approved_amount * 10)
    rewrite_from(approved_case, sign_off.seq, ten_times_the_amount(approved_case), hasher)

    broken = verify_chain(approved_case.pk)
    assert broken is not None and broken.event_id == sign_off.pk
    err = verify_audit_fails(capsys)
    assert f"事件ID {sign_off.pk}" in err and "未用本系统密钥重算" in err


def test_the_same_rewrite_with_the_key_would_pass_so_the_key_is_what_protects(
        approved_case, checkpoints):
    sign_off = approved_case.events.get(action="sign_off")
    rewrite_from(approved_case, sign_off.seq, ten_times_the_amount(approved_case),
                 compute_hash)
    assert verify_chain(approved_case.pk) is None
    assert approved_case.events.get(pk=sign_off.pk).payload["amount"] != \
        str(approved_case.approved_amount)


def delete_last(case: Case, n: int) -> CaseEvent:
    """Delete the case's last `n` events with the triggers off; the new last event."""
    with triggers_off() as cursor:
        cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s AND seq > "
                       "(SELECT max(seq) FROM cases_caseevent WHERE case_id = %s) - %s",
                       [case.pk, case.pk, n])
    return CaseEvent.objects.filter(case=case).order_by("-seq").first()


def test_deleting_a_cases_last_events_is_found_through_its_head(approved_case, checkpoints,
                                                                  capsys):
    total = approved_case.events.count()
    last = delete_last(approved_case, 2)
    assert last.seq == total - 2

    broken = verify_chain(approved_case.pk)
    assert broken is not None and "末尾事件被删除" in broken.reason
    assert f"轨迹末端记录为第{total}条" in verify_audit_fails(capsys)

    # The next step on the case does not paper over the cut: it follows the recorded head.
    with transaction.atomic():
        append_event(Case.objects.select_for_update().get(pk=approved_case.pk), "note",
                     note="此后的正常操作")
    broken = verify_chain(approved_case.pk)
    assert broken is not None and "序号不连续" in broken.reason


def test_deleting_the_last_events_and_moving_the_head_back_is_found_by_the_checkpoint(
        approved_case, checkpoints, capsys):
    call_command("write_audit_checkpoint")
    total = approved_case.events.count()
    last = delete_last(approved_case, 2)
    with triggers_off():
        CaseTrailHead.objects.filter(case=approved_case).update(seq=last.seq, hash=last.hash)

    assert verify_chain(approved_case.pk) is None  # chain and head agree again
    err = verify_audit_fails(capsys)
    assert f"检查点记录本案轨迹已有{total}条，现存仅{total - 2}条" in err


def test_deleting_a_whole_case_is_found_by_the_checkpoint(approved_case, checkpoints, capsys):
    checkpoint_write()
    with connection.cursor() as cursor:  # settle the test transaction's deferred key checks
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with triggers_off() as cursor:
        for table in ("cases_caseevent", "cases_casetrailhead"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id = %s",  # noqa: S608
                           [approved_case.pk])
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [approved_case.pk])
    assert "案件被删除" in verify_audit_fails(capsys)


def test_a_checkpoint_rewritten_without_the_key_is_refused(approved_case, checkpoints, capsys):
    record = checkpoint_write()
    heads = checkpoints / record["heads_file"]
    last = delete_last(approved_case, 1)
    with triggers_off():
        CaseTrailHead.objects.filter(case=approved_case).update(seq=last.seq, hash=last.hash)

    # Editing the heads file alone: its SHA-256 no longer matches the signed record.
    original = heads.read_text()
    heads.write_text(f"{approved_case.pk}\t{last.seq}\t{last.hash}\n")
    assert "末端清单与签名记录不符" in verify_audit_fails(capsys)

    # Editing the record to match: its signature no longer matches.
    import hashlib

    line = json.loads((checkpoints / INDEX).read_text())
    line["heads_sha256"] = hashlib.sha256(heads.read_bytes()).hexdigest()
    (checkpoints / INDEX).write_text(json.dumps(line) + "\n")
    assert "签名不符" in verify_audit_fails(capsys)
    heads.write_text(original)


def test_postgresql_refuses_moving_a_head_back_or_deleting_it(approved_case):
    head = CaseTrailHead.objects.get(case=approved_case)
    for statement in ("UPDATE cases_casetrailhead SET seq = seq - 1 WHERE id = %s",
                      "UPDATE cases_casetrailhead SET seq = seq WHERE id = %s",
                      "DELETE FROM cases_casetrailhead WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="cases_casetrailhead"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(statement, [head.pk])
    assert CaseTrailHead.objects.get(pk=head.pk).seq == head.seq
