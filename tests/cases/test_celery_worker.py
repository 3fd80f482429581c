"""A real Celery worker process against the local Redis and the test database (PostgreSQL).

Two sweeps enqueued at once run side by side in two worker processes and still write exactly
one reminder per clock, person and state. A worker process killed in the middle of a batch
(after the rows are locked and marked, before the commit) loses nothing: Redis redelivers the
task (``acks_late`` + ``reject_on_worker_lost``) and the rerun completes it with no duplicate.

Runs when REDIS_URL is set and the database is PostgreSQL (CI); skipped otherwise. The worker
is this module run as a program (`run_worker`), so that it can trace its batches to a file.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)"),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the worker process needs the test database on PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BASE_DIR = Path(settings.BASE_DIR)
STARTUP_TIMEOUT = 20
WORK_TIMEOUT = 20


# --- The worker program -----------------------------------------------------------------------

def run_worker() -> None:
    """Start a worker on the queue named by LANSHAN_TEST_QUEUE, tracing to LANSHAN_TEST_TRACE.

    LANSHAN_TEST_HOLD: seconds to hold each batch's locks before committing (so that two
    sweeps overlap). LANSHAN_TEST_CRASH: a marker path; the first batch of the first sweep
    creates it and SIGKILLs its own process, inside the transaction.
    """
    import django

    django.setup()
    from celery.signals import task_postrun, worker_ready

    from cases.sweep import batch_marked
    from lanshan_aid.celery import app

    queue = os.environ["LANSHAN_TEST_QUEUE"]
    trace = Path(os.environ["LANSHAN_TEST_TRACE"])
    hold = float(os.environ.get("LANSHAN_TEST_HOLD", "0"))
    crash = os.environ.get("LANSHAN_TEST_CRASH")
    settings.DEADLINE_SWEEP_ON_WORKER_START = False
    settings.DEADLINE_SWEEP_BATCH = int(os.environ.get("LANSHAN_TEST_BATCH", "10"))
    app.conf.task_default_queue = queue

    def write(line: str) -> None:
        with trace.open("a") as f:
            f.write(line + "\n")

    def on_batch(sender, stage, ids, **kwargs):
        write(f"batch {os.getpid()} {stage} {','.join(map(str, ids))}")
        if crash and not os.path.exists(crash):
            Path(crash).touch()
            write(f"crash {os.getpid()}")
            os.kill(os.getpid(), signal.SIGKILL)
        if hold:
            time.sleep(hold)

    batch_marked.connect(on_batch, weak=False)
    worker_ready.connect(lambda **kw: write("ready"), weak=False)
    task_postrun.connect(lambda task_id=None, task=None, **kw: write(f"done {task.name}"),
                         weak=False)
    app.worker_main(["worker", "-Q", queue, "-c", "2", "-P", "prefork", "-l", "WARNING",
                     "-n", f"{queue}@%h", "--without-gossip", "--without-mingle",
                     "--without-heartbeat"])


# --- Helpers for the tests --------------------------------------------------------------------

def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, tmp_path: Path, **env: str):
        self.queue = f"lanshan-test-{uuid.uuid4().hex[:12]}"
        self.trace = tmp_path / "trace.log"
        self.trace.touch()
        environment = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "lanshan_aid.settings.test",
            "DATABASE_URL": _database_url(), "CELERY_TASK_ALWAYS_EAGER": "false",
            "LANSHAN_TEST_QUEUE": self.queue, "LANSHAN_TEST_TRACE": str(self.trace), **env,
        }
        self.log = (tmp_path / "worker.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cases.test_celery_worker"], cwd=BASE_DIR,
            env=environment, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def lines(self, prefix: str) -> list[str]:
        return [ln for ln in self.trace.read_text().splitlines() if ln.startswith(prefix)]

    def wait_for(self, prefix: str, count: int, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.lines(prefix)
            if len(found) >= count:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        log = Path(self.log.name).read_text()[-3000:]
        raise AssertionError(f"worker: {count}× '{prefix}' not seen in {timeout}s\n{log}")

    def send(self, name: str) -> None:
        from lanshan_aid.celery import app

        with warnings.catch_warnings():  # the test settings' eager mode does not apply here
            warnings.simplefilter("ignore")
            app.send_task(name, queue=self.queue)

    def stop(self) -> None:
        """TERM, then KILL after 10 s, the worker's own process group; drop its queue."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()
        import redis

        prefix = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("global_keyprefix", "")
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(prefix + self.queue)


@pytest.fixture
def worker(tmp_path):
    started: list[Worker] = []

    def start(**env: str) -> Worker:
        w = Worker(tmp_path, **env)
        started.append(w)
        w.wait_for("ready", 1, STARTUP_TIMEOUT)
        return w

    yield start
    for w in started:
        w.stop()


@pytest.fixture
def clocks(village_a, clerk_a, verifier_a, leader_a, bureau):
    """Committed clocks, relative to the real now: 40 breached, 30 at risk, 10 not yet due."""
    from cases.demo_cases import build_case
    from cases.models import Deadline, DeadlineKind, DeadlineUnit
    from cases.workflow import CaseStatus
    from tests.factories import HouseholdFactory

    case = build_case(CaseStatus.RECEIVED, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=0)
    now = timezone.now()

    def make(n, due):
        return Deadline.objects.bulk_create([
            Deadline(case=case, kind=DeadlineKind.DECISION, clause="S4",
                     unit=DeadlineUnit.HOUR, amount=24, start_at=now - dt.timedelta(hours=2),
                     due_at=due + dt.timedelta(seconds=i)) for i in range(n)])

    return {
        "breached": {d.pk for d in make(40, now - dt.timedelta(hours=1))},
        "at_risk": {d.pk for d in make(30, now + dt.timedelta(hours=3))},
        "ok": {d.pk for d in make(10, now + dt.timedelta(days=30))},
    }


def _assert_exactly_one_reminder_each(clocks) -> None:
    from django.db.models import Count

    from cases.models import Deadline, Notification

    marked = Deadline.objects.filter(pk__in=clocks["breached"], breached_at__isnull=False)
    assert set(marked.values_list("pk", flat=True)) == clocks["breached"]
    risky = Deadline.objects.filter(pk__in=clocks["at_risk"], at_risk_at__isnull=False,
                                    breached_at__isnull=True)
    assert set(risky.values_list("pk", flat=True)) == clocks["at_risk"]
    assert not Deadline.objects.filter(pk__in=clocks["ok"], at_risk_at__isnull=False).exists()
    per = (Notification.objects.values("deadline", "recipient__username", "kind")
           .annotate(n=Count("pk")))
    assert {row["n"] for row in per} == {1}
    breached = Notification.objects.filter(kind="breached")
    assert breached.count() == 3 * len(clocks["breached"])  # clerk, leader, bureau
    assert set(breached.values_list("recipient__username", flat=True)) == {
        "clerk_a", "leader_a", "bureau"}
    assert Notification.objects.filter(kind="at_risk").count() == 2 * len(clocks["at_risk"])
    assert Notification.objects.count() == 3 * 40 + 2 * 30


def _ids(lines: list[str], stage: str) -> list[int]:
    found = []
    for line in lines:
        _, _, line_stage, ids = line.split(" ", 3)
        if line_stage == stage:
            found.extend(int(i) for i in ids.split(","))
    return found


# --- The tests --------------------------------------------------------------------------------

def test_two_sweeps_at_once_on_two_worker_processes_remind_once(worker, clocks):
    w = worker(LANSHAN_TEST_HOLD="0.15", LANSHAN_TEST_BATCH="10")
    w.send("cases.sweep_deadlines")
    w.send("cases.sweep_deadlines")
    w.wait_for("done cases.sweep_deadlines", 2, WORK_TIMEOUT)
    batches = w.lines("batch")
    assert len({line.split()[1] for line in batches}) == 2  # both processes did some of it
    for stage, expected in (("breached", clocks["breached"]), ("at_risk", clocks["at_risk"])):
        ids = _ids(batches, stage)
        assert sorted(ids) == sorted(expected)  # every clock once: no batch taken twice
    _assert_exactly_one_reminder_each(clocks)


def test_a_worker_killed_inside_a_batch_loses_nothing_and_duplicates_nothing(
        worker, clocks, tmp_path):
    w = worker(LANSHAN_TEST_CRASH=str(tmp_path / "crashed"), LANSHAN_TEST_BATCH="10")
    w.send("cases.sweep_deadlines")
    w.wait_for("done cases.sweep_deadlines", 1, WORK_TIMEOUT)
    crash = w.lines("crash")
    batches = w.lines("batch")
    assert len(crash) == 1
    killed_pid = crash[0].split()[1]
    first = batches[0]
    assert first.split()[1] == killed_pid
    lost = {int(i) for i in first.split()[3].split(",")}
    # The killed batch was redone by the redelivered task, in another process.
    redone = [b for b in batches[1:] if lost & {int(i) for i in b.split()[3].split(",")}]
    assert redone and all(b.split()[1] != killed_pid for b in redone)
    assert sorted(_ids(batches[1:], "breached")) == sorted(clocks["breached"])
    _assert_exactly_one_reminder_each(clocks)


if __name__ == "__main__":
    run_worker()
