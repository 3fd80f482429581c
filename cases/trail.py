"""The tamper-evident case trail (S17): append events, verify chains.

Each case has its own chain: event n stores the hash of event n-1, and its own hash is
SHA-256 over that previous hash and a canonical JSON serialisation of the event's content.
Changing any stored field of any event breaks every later hash of that case.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cases.models import Case, CaseEvent


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


def compute_hash(prev_hash: str, event: CaseEvent) -> str:
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
    last = CaseEvent.objects.filter(case=case).order_by("-seq").only("seq", "hash").first()
    payload = json.loads(json.dumps(payload or {}, default=_default, ensure_ascii=False))
    event = CaseEvent(
        case=case, seq=(last.seq + 1) if last else 1, at=timezone.now(), actor=actor,
        action=action, from_status=from_status, to_status=to_status, note=note,
        payload=payload, prev_hash=last.hash if last else "",
    )
    event.hash = compute_hash(event.prev_hash, event)
    event.save(force_insert=True)
    return event


@dataclass
class Break:
    case_id: int
    seq: int
    event_id: int
    reason: str


def verify_chain(case_id: int) -> Break | None:
    """Recompute one case's chain; the first broken event, or None when intact."""
    prev = ""
    expected_seq = 1
    for event in CaseEvent.objects.filter(case_id=case_id).order_by("seq").iterator():
        if event.seq != expected_seq:
            return Break(case_id, event.seq, event.pk, f"序号不连续（应为{expected_seq}）")
        if event.prev_hash != prev:
            return Break(case_id, event.seq, event.pk, "前一事件哈希不匹配")
        if compute_hash(prev, event) != event.hash:
            return Break(case_id, event.seq, event.pk, "事件内容与哈希不符（已被篡改）")
        prev = event.hash
        expected_seq += 1
    return None


def verify_all():
    """Yield every broken chain's first break, case by case."""
    for case_id in Case.objects.order_by("pk").values_list("pk", flat=True).iterator():
        found = verify_chain(case_id)
        if found is not None:
            yield found
