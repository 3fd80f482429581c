"""Signed checkpoints of every case trail's head, written outside the database (S17).

A database owner can cut a case's last events off and move its head row back onto the new
end: the chain and the head then agree. What they cannot change is a file they do not hold.
Once a day (Celery beat, or `manage.py write_audit_checkpoint`) every head is written to
AUDIT_CHECKPOINT_DIR:

* ``heads-<date>T<time>Z.tsv`` — one line per case: ``case_id<TAB>seq<TAB>hash``;
* one line appended to ``checkpoints.jsonl`` — date (Beijing), time (UTC), number of cases and
  events, the heads file's name and SHA-256, and an HMAC-SHA256 (AUDIT_HMAC_KEY) over all of
  that.

`verify_audit` reads the latest checkpoint (or the latest taken at or before a backup's time),
checks its signature and its heads file, and holds every chain to it: each case must still hold
the event the checkpoint signed, with the same hash. Events written after the checkpoint are
covered by the chain and the head only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from cases.models import CaseTrailHead
from cases.trail import chain_key

INDEX = "checkpoints.jsonl"
MAC_PREFIX = b"lanshan-aid checkpoint\n"


def _mac(record: dict, key: bytes) -> str:
    body = json.dumps({k: v for k, v in record.items() if k != "mac"}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, MAC_PREFIX + body.encode("utf-8"), hashlib.sha256).hexdigest()


def _directory(directory: Path | str | None) -> Path:
    return Path(directory if directory is not None else settings.AUDIT_CHECKPOINT_DIR)


def _write_synced(path: Path, data: bytes, *, append: bool = False) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_write(*, directory: Path | str | None = None) -> dict:
    """Write the heads of every case trail and append their signed record; returns the record.

    The heads are read in one query, so they are one consistent snapshot of committed chains.
    Running twice a day only adds a second record.
    """
    folder = _directory(directory)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = chain_key()
    heads = list(CaseTrailHead.objects.order_by("case_id").values_list("case_id", "seq",
                                                                       "hash"))
    # Taken after the read: every head in the file was committed by `taken_at`, so a backup
    # started after `taken_at` holds at least these events (`verify_audit --as-of`).
    now = timezone.now()
    text = "".join(f"{case_id}\t{seq}\t{digest}\n" for case_id, seq, digest in heads)
    data = text.encode("ascii")
    name = f"heads-{now.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}.tsv"
    _write_synced(folder / name, data)
    record = {
        "date": timezone.localdate(now).isoformat(),
        "taken_at": now.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "cases": len(heads),
        "events": sum(seq for _case, seq, _hash in heads),
        "heads_file": name,
        "heads_sha256": hashlib.sha256(data).hexdigest(),
    }
    record["mac"] = _mac(record, key)
    line = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    _write_synced(folder / INDEX, (line + "\n").encode("utf-8"), append=True)
    return record


@dataclass
class CheckpointReading:
    """What `checkpoint_read` found: the checkpoint to hold chains to, and any problems."""

    record: dict | None = None
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    later: int = 0  # checkpoints taken after `as_of` (not applied)


def checkpoint_read(*, directory: Path | str | None = None,
                    as_of: dt.datetime | None = None) -> CheckpointReading:
    """Verify every record's signature; load the latest checkpoint taken at or before `as_of`.

    A record whose signature or heads file does not match is a problem (someone changed the
    checkpoints, or they were written with another key); so is a record older than the one
    before it in the file.
    """
    folder = _directory(directory)
    reading = CheckpointReading()
    index = folder / INDEX
    if not index.exists():
        return reading
    key = chain_key()
    chosen = None
    previous_at = None
    for number, line in enumerate(index.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            taken_at = dt.datetime.fromisoformat(record["taken_at"])
        except (ValueError, KeyError, TypeError):
            reading.problems.append(f"检查点文件第{number}行无法读取（已被改动）")
            continue
        if not isinstance(record.get("mac"), str) or not hmac.compare_digest(
                record["mac"], _mac(record, key)):
            reading.problems.append(f"检查点文件第{number}行签名不符（已被改动或密钥不同）")
            continue
        if previous_at is not None and taken_at < previous_at:
            reading.problems.append(f"检查点文件第{number}行的时间早于前一行（顺序被改动）")
        previous_at = taken_at
        if as_of is not None and taken_at > as_of:
            reading.later += 1
            continue
        chosen = record
    if chosen is None:
        return reading
    reading.record = chosen
    heads_path = folder / Path(chosen["heads_file"]).name
    try:
        data = heads_path.read_bytes()
    except OSError:
        reading.problems.append(f"检查点 {chosen['taken_at']} 的末端清单 {heads_path.name} 缺失")
        return reading
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), chosen["heads_sha256"]):
        reading.problems.append(f"检查点 {chosen['taken_at']} 的末端清单与签名记录不符")
        return reading
    for line in data.decode("ascii").splitlines():
        case_id, seq, digest = line.split("\t")
        reading.heads[int(case_id)] = (int(seq), digest)
    return reading
