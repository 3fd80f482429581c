"""The ends of a case trail (S17): the first event, the last event, a chain cut back to an
earlier head, and an empty chain. A check that skipped the last event's hash (or the first's)
passed every test that only touched the middle of a chain; these touch the ends.

The cases here are built with a few `append_event` calls instead of a whole workflow, so the
tests stay fast enough to run under mutation testing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from cases.checkpoints import INDEX, MAC_PREFIX, checkpoint_read, checkpoint_write
from cases.idnumber import make_number
from cases.models import Case, CaseEvent, CaseTrailHead, Household, Person
from cases.trail import (
    SEAL_ACTION,
    Break,
    append_event,
    canonical,
    chain_key,
    compute_hash,
    plain_hash,
    seal_legacy_chain,
    verify_all,
    verify_chain,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S17")]

SH = ZoneInfo("Asia/Shanghai")
TAMPERED = "事件内容与哈希不符（已被篡改，或未用本系统密钥重算）"


def _new_case(village, clerk, serial: int) -> Case:
    person = Person.objects.create(
        name="王秀兰", id_number=make_number("371302", dt.date(1950, 1, 1), serial),
        hukou_type="rural")
    household = Household.objects.create(village=village, address=f"兰山区测试村{serial}号",
                                         hukou_type="rural", head=person)
    return Case.objects.create(
        number=f"371302001-2026-DB-9{serial:04d}", kind="dibao", household=household,
        applicant=person, township=village.township, village=village,
        applied_at=dt.datetime(2026, 12, 14, 9, tzinfo=SH), created_by=clerk)


def _append(case: Case, n: int, *, actor=None) -> list[CaseEvent]:
    events = []
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        for i in range(n):
            events.append(append_event(locked, "note", actor=actor, note=f"第{i + 1}步",
                                       payload={"step": i + 1}))
    return events


@pytest.fixture
def bare_case(village_a, clerk_a):
    return _new_case(village_a, clerk_a, 401)


@pytest.fixture
def chain(bare_case, clerk_a):
    """A case with a five-event keyed chain."""
    return bare_case, _append(bare_case, 5, actor=clerk_a)


@contextmanager
def _triggers_off():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def _set(event: CaseEvent, **changes) -> None:
    with _triggers_off():
        CaseEvent.objects.filter(pk=event.pk).update(**changes)


def _delete(*events: CaseEvent) -> None:
    with _triggers_off():
        CaseEvent.objects.filter(pk__in=[e.pk for e in events]).delete()


def _move_head(case: Case, event: CaseEvent | None) -> None:
    with _triggers_off():
        if event is None:
            CaseTrailHead.objects.filter(case=case).delete()
        else:
            CaseTrailHead.objects.filter(case=case).update(seq=event.seq, hash=event.hash)


# -- the chain as written ------------------------------------------------------------------

def test_an_intact_chain_links_every_event_and_its_head_points_at_the_last(chain):
    case, events = chain
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == ""
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    for event in events:
        stored = CaseEvent.objects.get(pk=event.pk)
        assert stored.hash == compute_hash(stored.prev_hash, stored)
        assert stored.payload == {"step": event.seq}
    head = CaseTrailHead.objects.get(case=case)
    assert (head.seq, head.hash) == (5, events[-1].hash)
    assert verify_chain(case.pk) is None
    assert list(verify_all()) == []


def test_the_hash_is_an_hmac_over_the_previous_hash_a_newline_and_the_canonical_json(chain):
    _case, events = chain
    event = CaseEvent.objects.get(pk=events[1].pk)
    message = (event.prev_hash + "\n" + canonical(event)).encode("utf-8")
    assert event.hash == hmac.new(chain_key(), message, hashlib.sha256).hexdigest()
    assert plain_hash(event.prev_hash, event) == hashlib.sha256(message).hexdigest()
    body = json.loads(canonical(event))
    assert body == {
        "case": event.case_id, "seq": 2, "actor": event.actor_id, "action": "note",
        "from": "", "to": "", "note": "第2步", "payload": {"step": 2},
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    }
    assert canonical(event).startswith('{"action":"note","actor":')  # sorted, no spaces


# -- the last event ------------------------------------------------------------------------

def test_deleting_the_last_event_is_found_through_the_head(chain):
    case, events = chain
    _delete(events[-1])
    broken = verify_chain(case.pk)
    assert broken == Break(case.pk, 4, events[3].pk,
                           "轨迹末端记录为第5条，现存末条为第4条（末尾事件被删除）")


def test_deleting_the_last_event_and_its_head_is_found(chain):
    case, events = chain
    _delete(events[-1])
    _move_head(case, None)
    broken = verify_chain(case.pk)
    assert broken == Break(case.pk, 4, events[3].pk, "缺少轨迹末端记录（末端记录被删除）")


def test_altering_the_last_events_payload_is_found_on_that_event(chain):
    case, events = chain
    _set(events[-1], payload={"step": 5, "amount": "9999.00"})
    assert verify_chain(case.pk) == Break(case.pk, 5, events[-1].pk, TAMPERED)


def test_altering_the_last_events_note_and_hash_is_found_through_the_head(chain):
    """A rewritten last event with a hash recomputed without the key."""
    case, events = chain
    last = CaseEvent.objects.get(pk=events[-1].pk)
    last.note = "改过的说明"
    _set(last, note=last.note, hash=plain_hash(last.prev_hash, last))
    assert verify_chain(case.pk) == Break(case.pk, 5, last.pk, TAMPERED)


def test_a_last_event_rewritten_with_the_key_still_disagrees_with_the_head(chain):
    case, events = chain
    last = CaseEvent.objects.get(pk=events[-1].pk)
    last.note = "改过的说明"
    _set(last, note=last.note, hash=compute_hash(last.prev_hash, last))
    assert verify_chain(case.pk) == Break(case.pk, 5, last.pk, "轨迹末端记录与末条事件不符")


def test_a_head_pointing_at_the_right_hash_but_a_later_number_is_found(chain):
    case, events = chain
    with _triggers_off():
        CaseTrailHead.objects.filter(case=case).update(seq=6)
    broken = verify_chain(case.pk)
    assert broken is not None and broken.seq == 5 and "末尾事件被删除" in broken.reason


def test_a_head_pointing_at_an_earlier_number_is_found(chain):
    case, events = chain
    _move_head(case, events[3])
    assert verify_chain(case.pk) == Break(case.pk, 5, events[-1].pk,
                                          "轨迹末端记录与末条事件不符")


# -- the first event -----------------------------------------------------------------------

def test_altering_the_first_event_is_found_on_that_event(chain):
    case, events = chain
    _set(events[0], note="改过的说明")
    assert verify_chain(case.pk) == Break(case.pk, 1, events[0].pk, TAMPERED)


def test_a_first_event_given_a_previous_hash_is_found(chain):
    case, events = chain
    _set(events[0], prev_hash="0" * 64)
    assert verify_chain(case.pk) == Break(case.pk, 1, events[0].pk, "前一事件哈希不匹配")


def test_deleting_the_first_event_is_found(chain):
    case, events = chain
    _delete(events[0])
    assert verify_chain(case.pk) == Break(case.pk, 2, events[1].pk, "序号不连续（应为1）")


def test_a_chain_of_one_event_altered_is_found(bare_case):
    (only,) = _append(bare_case, 1)
    assert verify_chain(bare_case.pk) is None
    _set(only, payload={"step": 99})
    assert verify_chain(bare_case.pk) == Break(bare_case.pk, 1, only.pk, TAMPERED)


def test_a_middle_events_link_replaced_is_found_on_that_event(chain):
    case, events = chain
    _set(events[2], prev_hash=events[0].hash)
    assert verify_chain(case.pk) == Break(case.pk, 3, events[2].pk, "前一事件哈希不匹配")


# -- a chain cut back to an earlier head ----------------------------------------------------

def test_a_chain_cut_back_to_an_earlier_head_is_found_only_by_the_checkpoint(
        chain, settings, tmp_path):
    case, events = chain
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    record = checkpoint_write()
    assert record["cases"] == 1 and record["events"] == 5
    _delete(events[3], events[4])
    _move_head(case, events[2])

    assert verify_chain(case.pk) is None  # the chain and the moved head agree
    reading = checkpoint_read()
    assert reading.problems == [] and reading.heads == {case.pk: (5, events[-1].hash)}
    expected = Break(case.pk, 3, events[2].pk,
                     "检查点记录本案轨迹已有5条，现存仅3条（检查点之后事件被删除）")
    assert verify_chain(case.pk, checkpoint=reading.heads[case.pk]) == expected
    assert list(verify_all(checkpoint=reading.heads)) == [expected]


def test_a_chain_cut_by_exactly_one_event_is_found_by_the_checkpoint(chain):
    case, events = chain
    _delete(events[-1])
    _move_head(case, events[3])
    assert verify_chain(case.pk) is None
    assert verify_chain(case.pk, checkpoint=(5, events[-1].hash)) == Break(
        case.pk, 4, events[3].pk, "检查点记录本案轨迹已有5条，现存仅4条（检查点之后事件被删除）")


def test_a_chain_held_to_a_checkpoint_at_its_last_event_passes(chain):
    case, events = chain
    assert verify_chain(case.pk, checkpoint=(5, events[-1].hash)) is None
    assert verify_chain(case.pk, checkpoint=(1, events[0].hash)) is None
    assert verify_chain(case.pk, checkpoint=(3, events[2].hash)) is None


def test_a_chain_rewritten_after_the_checkpoint_is_found_at_the_signed_event(chain):
    """Every event from the third on rewritten with the key (as by someone who stole it) and
    the head moved: only the checkpoint's hash of event 3 shows the rewrite."""
    case, events = chain
    signed = (3, events[2].hash)
    prev = events[1].hash
    for event in events[2:]:
        stored = CaseEvent.objects.get(pk=event.pk)
        stored.note = stored.note + "（改）"
        stored.prev_hash = prev
        stored.hash = compute_hash(prev, stored)
        _set(stored, note=stored.note, prev_hash=prev, hash=stored.hash)
        prev = stored.hash
    _move_head(case, CaseEvent.objects.get(pk=events[-1].pk))
    assert verify_chain(case.pk) is None
    assert verify_chain(case.pk, checkpoint=signed) == Break(
        case.pk, 3, events[2].pk, "与检查点签名记录的哈希不符")
    assert verify_chain(case.pk, checkpoint=(1, events[0].hash)) is None


# -- an empty chain ------------------------------------------------------------------------

def test_a_case_with_no_events_and_no_head_is_an_empty_intact_chain(bare_case):
    assert verify_chain(bare_case.pk) is None
    assert list(verify_all()) == []


def test_a_chain_emptied_under_its_head_is_found(chain):
    case, events = chain
    _delete(*events)
    assert verify_chain(case.pk) == Break(
        case.pk, 0, None, "轨迹末端记录为第5条，现存末条为第0条（末尾事件被删除）")


def test_a_chain_emptied_with_its_head_is_found_by_the_checkpoint(chain):
    case, events = chain
    _delete(*events)
    _move_head(case, None)
    assert verify_chain(case.pk) is None
    assert verify_chain(case.pk, checkpoint=(5, events[-1].hash)) == Break(
        case.pk, 0, None, "检查点记录本案轨迹已有5条，现存仅0条（检查点之后事件被删除）")


def test_a_checkpointed_case_that_no_longer_exists_is_reported(chain, bare_case):
    case, events = chain
    missing = case.pk + 1000
    found = list(verify_all(checkpoint={case.pk: (5, events[-1].hash), missing: (7, "x")}))
    assert found == [Break(missing, 7, None, "检查点中有此案件，数据库中已不存在（案件被删除）")]


def test_verify_all_reports_each_broken_case_once_in_case_order(chain, village_a, clerk_a):
    case, events = chain
    other = _new_case(village_a, clerk_a, 402)
    other_events = _append(other, 2)
    _set(other_events[1], note="改")
    _set(events[0], note="改")
    assert [(b.case_id, b.seq) for b in verify_all()] == sorted(
        [(case.pk, 1), (other.pk, 2)])


# -- legacy chains -------------------------------------------------------------------------

def _make_legacy(case: Case) -> list[CaseEvent]:
    prev = ""
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    for event in events:
        event.prev_hash = prev
        event.hash = plain_hash(prev, event)
        _set(event, prev_hash=prev, hash=event.hash)
        prev = event.hash
    _move_head(case, None)
    return events


def test_an_unsealed_plain_chain_is_reported_on_its_first_event(chain):
    case, _events = chain
    legacy = _make_legacy(case)
    assert verify_chain(case.pk) == Break(
        case.pk, 1, legacy[0].pk, "旧式（无密钥）轨迹尚未封存：请运行 manage.py seal_audit_trail")


def test_an_unsealed_plain_chain_with_a_broken_link_reports_the_break(chain):
    case, _events = chain
    legacy = _make_legacy(case)
    _set(legacy[-1], note="改")
    broken = verify_chain(case.pk)
    assert broken == Break(case.pk, 1, legacy[0].pk, TAMPERED)


def test_sealing_records_the_plain_chain_and_is_keyed(chain):
    case, _events = chain
    legacy = _make_legacy(case)
    with transaction.atomic():
        head = seal_legacy_chain(case.pk)
        assert seal_legacy_chain(case.pk) == head  # a second call changes nothing
    seal = CaseEvent.objects.get(case=case, action=SEAL_ACTION)
    assert (head.seq, head.hash) == (6, seal.hash)
    assert seal.seq == 6 and seal.prev_hash == legacy[-1].hash and seal.actor_id is None
    assert seal.payload == {"sealed_events": 5, "last_seq": 5, "last_hash": legacy[-1].hash,
                            "form": "sha256", "intact": True}
    assert seal.hash == compute_hash(seal.prev_hash, seal)
    assert verify_chain(case.pk) is None
    # A plain-hashed event after the seal is not accepted.
    with transaction.atomic():
        later = append_event(Case.objects.select_for_update().get(pk=case.pk), "note")
    later.refresh_from_db()
    _set(later, hash=plain_hash(later.prev_hash, later))
    _move_head(case, CaseEvent.objects.get(pk=later.pk))
    assert verify_chain(case.pk) == Break(case.pk, 7, later.pk, TAMPERED)


def test_sealing_a_broken_plain_chain_records_where_it_broke(chain):
    case, _events = chain
    legacy = _make_legacy(case)
    _set(legacy[1], note="改")
    with transaction.atomic():
        seal_legacy_chain(case.pk)
    seal = CaseEvent.objects.get(case=case, action=SEAL_ACTION)
    assert seal.payload["intact"] is False
    assert (seal.payload["break_seq"], seal.payload["break_reason"]) == (2, TAMPERED)
    assert verify_chain(case.pk) == Break(case.pk, 2, legacy[1].pk, TAMPERED)


def test_sealing_a_case_without_events_is_refused(bare_case):
    with pytest.raises(ValueError, match="has no trail to seal"), transaction.atomic():
        seal_legacy_chain(bare_case.pk)


def test_appending_without_a_key_is_refused(bare_case, settings):
    settings.AUDIT_HMAC_KEY = ""
    with pytest.raises(RuntimeError, match="AUDIT_HMAC_KEY is not set"):
        _append(bare_case, 1)
    assert not CaseEvent.objects.filter(case=bare_case).exists()


def test_a_head_moved_during_an_append_is_refused(chain):
    case, events = chain
    from cases import trail

    stale = CaseTrailHead.objects.get(case=case)
    with _triggers_off():  # another append moved the row after this one read it
        CaseTrailHead.objects.filter(case=case).update(seq=99)
    with pytest.raises(RuntimeError, match="the trail head moved during the append"), \
            transaction.atomic():
        trail._append(case, stale, "note")


def test_an_appended_payload_is_stored_as_json(bare_case):
    from decimal import Decimal

    with transaction.atomic():
        event = append_event(Case.objects.select_for_update().get(pk=bare_case.pk), "note",
                             payload={"amount": Decimal("812.50"),
                                      "on": dt.date(2026, 11, 26),
                                      "at": dt.datetime(2026, 11, 26, 8, tzinfo=dt.UTC)})
    event.refresh_from_db()
    assert event.payload == {"amount": "812.50", "on": "2026-11-26",
                             "at": "2026-11-26T08:00:00+00:00"}
    assert (event.seq, event.prev_hash) == (1, "")
    assert verify_chain(bare_case.pk) is None


# -- the checkpoint file -------------------------------------------------------------------

def test_the_checkpoint_record_is_signed_over_its_sorted_fields(chain, settings, tmp_path):
    case, events = chain
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    record = checkpoint_write()
    data = (tmp_path / record["heads_file"]).read_bytes()
    assert data == f"{case.pk}\t5\t{events[-1].hash}\n".encode("ascii")
    assert record["heads_sha256"] == hashlib.sha256(data).hexdigest()
    body = json.dumps({k: v for k, v in record.items() if k != "mac"}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    assert record["mac"] == hmac.new(chain_key(), MAC_PREFIX + body.encode(),
                                     hashlib.sha256).hexdigest()
    line = (tmp_path / INDEX).read_text(encoding="utf-8")
    assert line == json.dumps(record, sort_keys=True, ensure_ascii=False,
                              separators=(",", ":")) + "\n"
    assert record["heads_file"].startswith("heads-") and record["heads_file"].endswith("Z.tsv")
    taken = dt.datetime.fromisoformat(record["taken_at"])
    assert taken.utcoffset() == dt.timedelta(0)
    assert record["date"] == taken.astimezone(SH).date().isoformat()


def test_checkpoint_read_without_a_file_finds_nothing(tmp_path):
    reading = checkpoint_read(directory=tmp_path)
    assert (reading.record, reading.heads, reading.problems, reading.later) == (None, {}, [], 0)


def test_checkpoint_read_reports_unreadable_out_of_order_and_missing_files(chain, tmp_path):
    case, events = chain
    first = checkpoint_write(directory=tmp_path)
    second = checkpoint_write(directory=tmp_path)
    index = tmp_path / INDEX
    lines = index.read_text(encoding="utf-8").splitlines()
    index.write_text("\n".join(["not json", "", lines[1], lines[0]]) + "\n", encoding="utf-8")
    reading = checkpoint_read(directory=tmp_path)
    assert reading.problems == ["检查点文件第1行无法读取（已被改动）",
                                "检查点文件第4行的时间早于前一行（顺序被改动）"]
    assert reading.record == first  # the last line read wins
    (tmp_path / first["heads_file"]).unlink()
    reading = checkpoint_read(directory=tmp_path)
    assert reading.problems[-1] == \
        f"检查点 {first['taken_at']} 的末端清单 {first['heads_file']} 缺失"
    assert reading.heads == {}
    index.write_text(lines[0] + "\n" + lines[1] + "\n", encoding="utf-8")
    reading = checkpoint_read(directory=tmp_path)
    assert reading.problems == [] and reading.record == second
    assert reading.heads == {case.pk: (5, events[-1].hash)}


def test_checkpoint_read_as_of_takes_the_last_at_or_before_and_counts_later(chain, tmp_path):
    _case, _events = chain
    first = checkpoint_write(directory=tmp_path)
    second = checkpoint_write(directory=tmp_path)
    at_first = dt.datetime.fromisoformat(first["taken_at"])
    reading = checkpoint_read(directory=tmp_path, as_of=at_first)
    assert (reading.record, reading.later) == (first, 1)
    reading = checkpoint_read(directory=tmp_path, as_of=at_first - dt.timedelta(microseconds=1))
    assert (reading.record, reading.later, reading.heads) == (None, 2, {})
    reading = checkpoint_read(directory=tmp_path,
                              as_of=dt.datetime.fromisoformat(second["taken_at"]))
    assert (reading.record, reading.later) == (second, 0)


def test_a_record_without_a_mac_is_refused(chain, tmp_path):
    record = checkpoint_write(directory=tmp_path)
    del record["mac"]
    (tmp_path / INDEX).write_text(json.dumps(record) + "\n", encoding="utf-8")
    reading = checkpoint_read(directory=tmp_path)
    assert reading.problems == ["检查点文件第1行签名不符（已被改动或密钥不同）"]
    assert reading.record is None


def test_a_heads_file_is_never_overwritten(chain, tmp_path):
    from cases import checkpoints

    record = checkpoint_write(directory=tmp_path)
    with pytest.raises(FileExistsError):
        checkpoints._write_synced(tmp_path / record["heads_file"], b"x")
    assert (tmp_path / record["heads_file"]).stat().st_mode & 0o777 == 0o600


def test_verifying_without_a_key_is_refused_even_for_an_empty_or_plain_chain(
        chain, village_a, clerk_a, settings):
    """Without AUDIT_HMAC_KEY nothing is verified: no chain is reported intact, not even one
    that holds only plain events or none at all."""
    case, _events = chain
    empty = _new_case(village_a, clerk_a, 403)
    _make_legacy(case)
    settings.AUDIT_HMAC_KEY = ""
    for case_id in (case.pk, empty.pk):
        with pytest.raises(RuntimeError, match="AUDIT_HMAC_KEY is not set"):
            verify_chain(case_id)
