"""scripts/restore refuses to certify a backup whose case trail was cut before it was made
(S17): the trail's head and the signed checkpoint outside the database give it away.

Runs the scripts as an operator would, on a scratch database (see test_backup_drill.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.test_backup_drill import (
    pg,
    run,
    scratch,  # noqa: F401 - the scratch fixture
)
from tests.security.test_backup_drill import pytestmark as drill_marks

pytestmark = [*drill_marks, pytest.mark.clause("S17")]

# The owner's edit: the case's last two events gone, the head moved back onto the new end,
# all with the triggers off. Chain and head agree afterwards; only the checkpoint remembers.
CUT = """
SET session_replication_role = replica;
CREATE TEMP TABLE target AS
  SELECT case_id, max(seq) AS top FROM cases_caseevent
  WHERE case_id = (SELECT min(case_id) FROM cases_casetrailhead) GROUP BY case_id;
DELETE FROM cases_caseevent e USING target t WHERE e.case_id = t.case_id AND e.seq > t.top - 2;
UPDATE cases_casetrailhead h SET seq = e.seq, hash = e.hash
  FROM target t, cases_caseevent e
  WHERE h.case_id = t.case_id AND e.case_id = t.case_id AND e.seq = t.top - 2;
"""


def test_restoring_a_backup_of_a_cut_trail_fails_on_the_checkpoint(scratch):  # noqa: F811
    name, env, tmp = scratch
    url = env["DATABASE_URL"]
    env["AUDIT_CHECKPOINT_DIR"] = str(tmp / "checkpoints")
    py = sys.executable
    for step in (["manage.py", "migrate", "--noinput"], ["manage.py", "seed_demo"],
                 ["manage.py", "write_audit_checkpoint"]):
        result = run([py, *step], env)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]

    # A clean backup restores and is held to the checkpoint taken before it.
    clean = run(["scripts/backup", str(tmp / "backups")], env)
    assert clean.returncode == 0, clean.stderr
    clean_folder = Path(clean.stdout.strip().splitlines()[-1])

    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", CUT], check=True,
                   capture_output=True, timeout=120)
    tampered = run(["scripts/backup", str(tmp / "backups-tampered")], env)
    assert tampered.returncode == 0, tampered.stderr
    tampered_folder = Path(tampered.stdout.strip().splitlines()[-1])

    pg("dropdb", name)
    pg("createdb", name)
    refused = run(["scripts/restore", "--force", str(tampered_folder)], env)
    assert refused.returncode == 1, refused.stdout[-2000:] + refused.stderr[-4000:]
    assert "对照检查点" in refused.stdout
    assert "现存仅" in refused.stderr and "检查点之后事件被删除" in refused.stderr
    assert "verify_audit failed" in refused.stderr

    restored = run(["scripts/restore", "--force", str(clean_folder)], env)
    assert restored.returncode == 0, restored.stdout[-2000:] + restored.stderr[-4000:]
    assert "对照检查点" in restored.stdout and "校验通过" in restored.stdout
