"""Benchmark: the deadline sweep over 100,000 open deadlines in PostgreSQL.

Not a test: it prints how long the sweep takes. It creates a scratch database next to the one
DATABASE_URL names (default postgresql://postgres@127.0.0.1:5432/postgres), migrates it, loads
100,000 open cases with one running clock each — most comfortably in time, some at risk, some
breached, some 24-hour emergency clocks past 12 hours — and times:

* the catch-up sweep, which marks every clock that is due and writes its reminders and e-mail
  outbox rows (what happens after the worker was down for a while);
* the steady-state sweep right after it, with nothing new to do (what runs every two minutes).

Usage: python bench/sweep.py [--deadlines 100000] [--keep]
Target on a 2-core machine: under 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

BENCH_DB = "lanshan_bench_sweep"


def _admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def _prepare_database(url: str) -> str:
    """A fresh scratch database on the same server; returns its URL."""
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_DB}"))


def _drop_database(url: str) -> None:
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def _load(n: int, rng: random.Random) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from cases import idnumber, scoping
    from cases.management.commands.sync_roles import sync_roles
    from cases.models import (
        Case,
        Deadline,
        DeadlineKind,
        DeadlineUnit,
        Household,
        Membership,
        Person,
        Township,
    )
    from cases.permissions import Role
    from cases.workflow import CaseKind, CaseStatus

    sync_roles()
    User = get_user_model()
    townships = list(Township.objects.prefetch_related("villages").order_by("code"))
    groups = {role: Group.objects.get(name=role.value) for role in Role}

    def user(name: str, role: Role, township=None):
        u = User.objects.create_user(name, f"{name}@lanshan.example", "bench-pass-2026")
        u.groups.add(groups[role])
        if township is not None:
            scoping.assign_township(u, township)
        return u

    for i in range(3):
        user(f"bureau{i}", Role.BUREAU)
    households, clerks = [], {}
    for t_index, township in enumerate(townships):
        clerks[township.pk] = [user(f"clerk{t_index}_{k}", Role.CLERK, township)
                               for k in range(2)]
        user(f"leader{t_index}", Role.LEADER, township)
        for v_index, village in enumerate(list(township.villages.all())[:5]):
            born = dt.date(1950 + v_index, 1 + t_index % 12, 1 + v_index)
            person = Person.objects.create(
                name="王秀英", id_number=idnumber.make_number("371302", born, t_index),
                gender="F", birth_date=born, hukou_type="rural")
            household = Household.objects.create(village=village, address="兰山区",
                                                 hukou_type="rural", head=person)
            Membership.objects.create(household=household, person=person, relationship="head")
            households.append(household)

    now = timezone.now()
    kinds = [CaseKind.DIBAO, CaseKind.TEKUN, CaseKind.TEMP_EXPENDITURE]
    cases = []
    for i in range(n):
        household = households[i % len(households)]
        township = household.village.township
        cases.append(Case(
            number=f"B{i:07d}", kind=rng.choice(kinds), household=household,
            applicant=household.head, township=township, village=household.village,
            applied_at=now - dt.timedelta(days=30), accepted_at=now - dt.timedelta(days=29),
            created_by=rng.choice(clerks[township.pk]), status=CaseStatus.INVESTIGATING))
    Case.objects.bulk_create(cases, batch_size=5000)

    shares = {"breached": 0.04, "at_risk": 0.06, "escalate": 0.005}
    deadlines = []
    for i, case in enumerate(cases):
        r = i / n
        if r < shares["breached"]:
            due = now - dt.timedelta(hours=rng.randint(1, 240))
            unit, kind, amount = DeadlineUnit.WORKDAY, DeadlineKind.DECISION, 20
        elif r < shares["breached"] + shares["at_risk"]:
            due = now + dt.timedelta(hours=rng.randint(1, 30))
            unit, kind, amount = DeadlineUnit.WORKDAY, DeadlineKind.RECHECK, 10
        elif r < shares["breached"] + shares["at_risk"] + shares["escalate"]:
            due = now + dt.timedelta(hours=rng.randint(7, 11))
            unit, kind, amount = DeadlineUnit.HOUR, DeadlineKind.EMERGENCY_AID, 24
        else:
            due = now + dt.timedelta(days=rng.randint(10, 60))
            unit, kind, amount = DeadlineUnit.WORKDAY, DeadlineKind.DECISION, 20
        start = due - (dt.timedelta(hours=24) if unit == DeadlineUnit.HOUR
                       else dt.timedelta(days=28))
        deadlines.append(Deadline(case=case, kind=kind, clause="S4", unit=unit, amount=amount,
                                  start_at=start, due_at=due))
    Deadline.objects.bulk_create(deadlines, batch_size=5000)
    return {"townships": len(townships), "households": len(households)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/sweep.py measures PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    os.environ["DATABASE_URL"] = _prepare_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanshan_aid.settings.base")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "false")  # as deployed: no per-query recording
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway database

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from cases.models import Deadline, DeadlineStatus, Notification, NotificationDelivery
    from cases.sweep import sweep_deadlines

    try:
        print(f"Preparing {BENCH_DB}: migrate, then {args.deadlines:,} open deadlines ...",
              flush=True)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        info = _load(args.deadlines, random.Random(2026))
        with connection.cursor() as cursor:  # settle the bulk load as a live database would be
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        open_count = Deadline.objects.filter(status=DeadlineStatus.OPEN).count()
        print(f"Loaded {open_count:,} open deadlines on {open_count:,} cases in "
              f"{info['townships']} townships ({time.perf_counter() - started:.1f} s).")

        started = time.perf_counter()
        first = sweep_deadlines()
        catch_up = time.perf_counter() - started
        started = time.perf_counter()
        second = sweep_deadlines()
        steady = time.perf_counter() - started

        print(f"Catch-up sweep:     {catch_up:6.2f} s  — {first}; "
              f"{NotificationDelivery.objects.count():,} e-mail copies queued")
        print(f"Steady-state sweep: {steady:6.2f} s  — {second}")
        print(f"Reminders in inboxes: {Notification.objects.count():,}")
        print(f"Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        verdict = "within" if max(catch_up, steady) < 5 else "OVER"
        print(f"Target < 5 s over {open_count:,} open deadlines: {verdict} "
              f"(worst {max(catch_up, steady):.2f} s).")
    finally:
        connection.close()
        if not args.keep:
            _drop_database(url)


if __name__ == "__main__":
    main()
