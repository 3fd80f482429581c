"""The tamper-evident case trail (S17): append events, verify chains.

Each case has its own chain: event n stores the hash of event n-1, and its own hash is an
HMAC-SHA256, keyed by AUDIT_HMAC_KEY, over that previous hash and a canonical JSON
serialisation of the event's content. Changing any stored field of any event breaks every
later hash of that case, and without the key (which is never in the database) nobody can
recompute them. `CaseTrailHead` keeps each chain's last number and hash, so cutting events off
the end shows; `cases.checkpoints` signs all heads daily into files outside the database.

Chains written before the key existed hold plain SHA-256 events. `seal_legacy_chain` (run by
`manage.py seal_audit_trail`, or by the first `append_event` on such a case) appends one keyed
`trail_sealed` event after them: from then on the plain events can no longer change unseen,
but they are certified only as they stood when sealed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseTrailHead

SEAL_ACTION = "trail_sealed"


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def canonical(event: CaseEvent) -> str:
    """The event's content as canonical JSON (sorted keys, no spaces, UTC ISO time)."""
    return json.dumps(
        {
            "case": event.case_id,
            "seq": event.seq,
            "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": event.actor_id,
            "action": event.action,
            "from": event.from_status,
            "to": event.to_status,
            "note": event.note,
            "payload": event.payload,
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default,
    )


def chain_key() -> bytes:
    """AUDIT_HMAC_KEY as bytes; refuses to work without one (see `cases.checks`)."""
    key = getattr(settings, "AUDIT_HMAC_KEY", "")
    if not key:
        raise RuntimeError("AUDIT_HMAC_KEY is not set: the case trail cannot be written "
                           "or verified (docs/security.md, \"The case trail\").")
    return key.encode("utf-8")


def compute_hash(prev_hash: str, event: CaseEvent, *, key: bytes | None = None) -> str:
    """The event's keyed hash: HMAC-SHA256(AUDIT_HMAC_KEY, prev_hash + newline + canonical)."""
    message = (prev_hash + "\n" + canonical(event)).encode("utf-8")
    return hmac.new(key or chain_key(), message, hashlib.sha256).hexdigest()


def plain_hash(prev_hash: str, event: CaseEvent) -> str:
    """The unkeyed SHA-256 of chains written before the key; only read, never written."""
    return hashlib.sha256((prev_hash + "\n" + canonical(event)).encode("utf-8")).hexdigest()


def append_event(case: Case, action: str, *, actor=None, from_status: str = "",
                 to_status: str = "", note: str = "", payload: dict | None = None) -> CaseEvent:
    """Append one event to the case's chain. Call inside the service's transaction.

    The case row must already be locked by the caller (`select_for_update`), which also
    serialises concurrent appends to the same chain; the (case, seq) unique constraint is the
    last line of defence.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_event must run inside the service's transaction")
    head = CaseTrailHead.objects.filter(case_id=case.pk).first()
    if head is None and CaseEvent.objects.filter(case_id=case.pk).exists():
        head = seal_legacy_chain(case.pk)
    return _append(case, head, action, actor=actor, from_status=from_status,
                   to_status=to_status, note=note, payload=payload)


def _append(case: Case, head: CaseTrailHead | None, action: str, *, actor=None,
            from_status: str = "", to_status: str = "", note: str = "",
            payload: dict | None = None) -> CaseEvent:
    """Write the event after `head` (the chain's recorded end, not its last row: a chain cut
    short stays visibly cut) and move the head onto it, in the caller's transaction."""
    payload = json.loads(json.dumps(payload or {}, default=_default, ensure_ascii=False))
    event = CaseEvent(
        case=case, seq=(head.seq + 1) if head else 1, at=timezone.now(),
        actor=actor, action=action, from_status=from_status, to_status=to_status,
        note=note, payload=payload, prev_hash=head.hash if head else "",
    )
    event.hash = compute_hash(event.prev_hash, event)
    event.save(force_insert=True)
    if head is None:
        CaseTrailHead.objects.create(case=case, seq=event.seq, hash=event.hash)
    else:
        updated = CaseTrailHead.objects.filter(pk=head.pk, seq=head.seq).update(
            seq=event.seq, hash=event.hash)
        if updated != 1:
            raise RuntimeError(f"case {case.pk}: the trail head moved during the append")
    return event


def seal_legacy_chain(case_id: int) -> CaseTrailHead:
    """Certify a chain written before the key: append one keyed `trail_sealed` event.

    The seal's HMAC covers the last plain event's hash, so the plain events can no longer be
    changed unseen. It certifies them as they stand now, not as they were written: a chain
    already broken is sealed too (the business must go on), the seal records where it was
    broken, and `verify_audit` keeps reporting that break. Call inside a transaction, with the
    case locked; a chain that already has a head is returned as it is.
    """
    head = CaseTrailHead.objects.filter(case_id=case_id).first()
    if head is not None:
        return head
    events = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq"))
    if not events:
        raise ValueError(f"case {case_id} has no trail to seal")
    found = _check(case_id, events, plain_until=len(events))
    last = events[-1]
    payload = {"sealed_events": len(events), "last_seq": last.seq, "last_hash": last.hash,
               "form": "sha256", "intact": found is None}
    if found is not None:
        payload.update(break_seq=found.seq, break_reason=found.reason)
    seal = CaseEvent(case_id=case_id, seq=last.seq + 1, at=timezone.now(), actor_id=None,
                     action=SEAL_ACTION, payload=payload, prev_hash=last.hash)
    seal.hash = compute_hash(seal.prev_hash, seal)
    seal.save(force_insert=True)
    return CaseTrailHead.objects.create(case_id=case_id, seq=seal.seq, hash=seal.hash)


@dataclass
class Break:
    case_id: int
    seq: int
    event_id: int | None
    reason: str


def _check(case_id: int, events: list[CaseEvent], *, plain_until: int,
           key: bytes | None = None) -> Break | None:
    """The first break in `events` (ordered by seq); the first `plain_until` are plain."""
    key = key or chain_key()
    prev = ""
    for index, event in enumerate(events):
        expected_seq = index + 1
        if event.seq != expected_seq:
            return Break(case_id, event.seq, event.pk, f"序号不连续（应为{expected_seq}）")
        if event.prev_hash != prev:
            return Break(case_id, event.seq, event.pk, "前一事件哈希不匹配")
        if index < plain_until:
            intact = hmac.compare_digest(plain_hash(prev, event), event.hash)
        else:
            intact = hmac.compare_digest(compute_hash(prev, event, key=key), event.hash)
        if not intact:
            return Break(case_id, event.seq, event.pk,
                         "事件内容与哈希不符（已被篡改，或未用本系统密钥重算）")
        prev = event.hash
    return None


def verify_chain(case_id: int, *, checkpoint: tuple[int, str] | None = None) -> Break | None:
    """Recompute one case's chain; the first broken event, or None when intact.

    Beyond the hashes: the chain must end where its head says (events cut off the end show),
    plain events may only precede the keyed seal, and when `checkpoint` (seq, hash) is given,
    the chain must still hold that event as signed in the checkpoint.
    """
    events = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq"))
    head = CaseTrailHead.objects.filter(case_id=case_id).first()
    seal_at = next((i for i, e in enumerate(events) if e.action == SEAL_ACTION), None)
    plain_until = seal_at if seal_at is not None else 0
    if head is None and events and seal_at is None and _check(
            case_id, events, plain_until=len(events)) is None:
        return Break(case_id, events[0].seq, events[0].pk,
                     "旧式（无密钥）轨迹尚未封存：请运行 manage.py seal_audit_trail")
    found = _check(case_id, events, plain_until=plain_until)
    if found is not None:
        return found
    last = events[-1] if events else None
    if head is None and last is not None:
        return Break(case_id, last.seq, last.pk, "缺少轨迹末端记录（末端记录被删除）")
    if head is not None and (last is None or head.seq > last.seq):
        return Break(case_id, last.seq if last else 0, last.pk if last else None,
                     f"轨迹末端记录为第{head.seq}条，现存末条为第{last.seq if last else 0}条"
                     "（末尾事件被删除）")
    if head is not None and (head.seq != last.seq or head.hash != last.hash):
        return Break(case_id, last.seq, last.pk, "轨迹末端记录与末条事件不符")
    if checkpoint is not None:
        seq, digest = checkpoint
        if last is None or seq > last.seq:
            return Break(case_id, last.seq if last else 0, last.pk if last else None,
                         f"检查点记录本案轨迹已有{seq}条，现存仅{last.seq if last else 0}条"
                         "（检查点之后事件被删除）")
        if not hmac.compare_digest(events[seq - 1].hash, digest):
            return Break(case_id, seq, events[seq - 1].pk, "与检查点签名记录的哈希不符")
    return None


def verify_all(*, checkpoint: dict[int, tuple[int, str]] | None = None):
    """Yield every broken chain's first break, case by case.

    With `checkpoint` ({case id: (seq, hash)} from a verified checkpoint), each case is also
    held to it, and a checkpointed case that no longer exists is a break.
    """
    seen: set[int] = set()
    for case_id in Case.objects.order_by("pk").values_list("pk", flat=True).iterator():
        seen.add(case_id)
        found = verify_chain(case_id, checkpoint=(checkpoint or {}).get(case_id))
        if found is not None:
            yield found
    for case_id in sorted(set(checkpoint or ()) - seen):
        seq, _digest = checkpoint[case_id]
        yield Break(case_id, seq, None, "检查点中有此案件，数据库中已不存在（案件被删除）")
