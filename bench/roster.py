"""Benchmark: the monthly bank roster export (the Excel file the bank pays from) at scale.

Not a test: it prints how long `cases.exports.write_roster` takes for the township with the
most beneficiaries in a `seed_scale` database, how many rows it wrote and the process's peak
memory. The export streams (openpyxl write-only, rows fetched in chunks), so its memory should
not grow with the roster.

Usage (the database must hold `seed_scale` data; DEBUG is off, so the encryption keys of the
seeded data must be set, see docs/benchmarks.md):

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lanshan_bench_million \\
        python bench/roster.py [--township 371302001] [--month 2026-10] [--min-rows 100000]

With `--min-rows` it exports the townships with the most beneficiaries one after the other,
as one file each, until that many rows are written (going on with the month before when every
township's roster of the month has been written: a smaller database), and reports the total,
rows per second and the time per 100,000 rows.
Target on a 2-core machine: 100,000 rows in 30 s or less, peak memory 300 MB or less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/lanshan_bench"))
    p.add_argument("--township", help="township code (default: the biggest roster first)")
    p.add_argument("--month", help="YYYY-MM (default: the month before this one)")
    p.add_argument("--min-rows", type=int, default=100_000)
    args = p.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanshan_aid.settings.base")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.db.models import Count

    from cases.exports import write_roster
    from cases.models import Township

    today = dt.date.today()
    if args.month:
        year, month = (int(x) for x in args.month.split("-"))
    else:
        first = today.replace(day=1) - dt.timedelta(days=1)
        year, month = first.year, first.month
    townships = Township.objects.all()
    if args.township:
        townships = townships.filter(code=args.township)
    else:  # biggest first, by cases (the roster's upper bound)
        townships = townships.annotate(n=Count("cases")).order_by("-n")
    townships = list(townships)
    months = [(year, month)] if args.township else [
        ((year * 12 + month - 1 - back) // 12, (year * 12 + month - 1 - back) % 12 + 1)
        for back in range(12)]
    baseline = _peak_mb()
    rows = 0
    started = time.perf_counter()
    per_file = []
    with tempfile.TemporaryDirectory() as tmp:
        for y, m in months:
            for township in townships:
                if rows >= args.min_rows and not args.township:
                    break
                t0 = time.perf_counter()
                path = Path(tmp) / f"{township.code}-{y}{m:02d}.xlsx"
                written = write_roster(township, y, m, str(path)).rows
                per_file.append((f"{township.name} {y}-{m:02d}", written,
                                 time.perf_counter() - t0, path.stat().st_size / 1e6))
                rows += written
    elapsed = time.perf_counter() - started
    for name, written, seconds, size in per_file:
        print(f"  {name}: {written:,} rows in {seconds:,.1f} s ({size:,.1f} MB)")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"roster export from {year}-{month:02d}: {rows:,} rows in {len(per_file)} file(s), "
          f"{elapsed:,.1f} s, {rows / elapsed if elapsed else 0:,.0f} rows/s, "
          f"{elapsed * 100_000 / rows if rows else 0:,.1f} s per 100,000 rows; peak memory "
          f"{_peak_mb():,.0f} MB (after Django set-up {baseline:,.0f} MB); load average {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
