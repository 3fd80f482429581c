"""`python manage.py seed_scale --households N [--cases-per-household K]`: benchmark data.

Generates N households (in total: a second run tops up, or does nothing) with people, cases
in every state, deadlines, evidence and intact hash-chained trails. See `cases.scale` for
what is generated and the rules a run must pass.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from cases import scale


class Progress:
    """A one-line progress bar on stderr (households, rate, time left)."""

    def __init__(self, stream, width: int = 30):
        self.stream = stream
        self.width = width
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0.0
        left = (total - done) / rate if rate else 0.0
        filled = int(self.width * done / total) if total else self.width
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done:,}/{total:,} households "
            f"{rate:,.0f}/s, {left:,.0f} s left ")
        self.stream.flush()
        if done >= total:
            self.stream.write("\n")


class Command(BaseCommand):
    help = "Generate synthetic households, people and cases in bulk for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True,
                            help="total number of generated households wanted")
        parser.add_argument("--cases-per-household", type=float, default=1.0,
                            help="average cases per household (default 1; 0.3 = 30%% have one)")
        parser.add_argument("--seed", type=int, default=2024, help="random seed")
        parser.add_argument("--chunk", type=int, default=5000,
                            help="households per transaction (default 5000)")
        parser.add_argument("--password", default=scale.DEFAULT_PASSWORD,
                            help="password of the generated staff accounts")
        parser.add_argument("--no-vacuum", action="store_true",
                            help="PostgreSQL: only ANALYZE at the end, no VACUUM")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        try:
            plan = scale.plan(opts["households"],
                              cases_per_household=opts["cases_per_household"],
                              seed=opts["seed"])
        except scale.ScaleError as exc:
            raise CommandError(str(exc)) from exc
        if not plan.to_add:
            self.stdout.write(f"Already seeded: {plan.total:,} generated households; "
                              "nothing to do.")
            return
        self.stdout.write(f"Generating {plan.to_add:,} households "
                          f"({plan.start:,} → {plan.total:,}), "
                          f"{plan.cases_per_household:g} cases each on average.")
        progress = None
        if not opts["no_progress"] and opts["verbosity"] > 0:
            progress = Progress(sys.stderr)
        try:
            result = scale.run(plan, chunk=opts["chunk"], progress=progress,
                               password=opts["password"], vacuum=not opts["no_vacuum"])
        except scale.ScaleError as exc:
            raise CommandError(str(exc)) from exc
        rows = ", ".join(f"{name} {n:,}" for name, n in result.rows.items())
        rate = result.households / result.seconds if result.seconds else 0
        self.stdout.write(self.style.SUCCESS(
            f"Done in {result.seconds:,.1f} s ({rate:,.0f} households/s): {rows}."))
