"""Server-time benchmark of the main pages on a database seeded by `seed_scale`.

    python bench/run.py --households 50000 [--out bench/results.jsonl]

Creates the database if needed (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/
lanshan_bench), migrates it and seeds it to N households (idempotent), then measures each page
through Django's test client, logged in as the generated staff of one township: median and
p95 server time, SQL queries per request, and the time of hand-written SQL that fetches the
same rows (the page/raw ratio is the cost of everything that is not fetching those rows).
Prints one table; with --out also appends the figures as JSON lines.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Benchmark the checkout this file is in, even where an editable install points elsewhere.
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()
                    and "editable" not in getattr(f, "__module__", "").lower()]
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/lanshan_bench"
TARGET_MS = 50.0
TARGET_QUERIES = 10
TARGET_RATIO = 3.0
# A page slower than this in warm-up is timed only SLOW_REPEAT times.
SLOW_SECONDS = 2.0
SLOW_REPEAT = 5
# Pages the issue sets targets for (at 1,000,000 households on a 2-core machine); the case
# page's sections (below) are held to the case page's targets.
TARGETED = {"case list", "search by ID number", "case page", "leader queue"}
CASE_SECTIONS = [("case_materials", "核对与授权"), ("case_visits", "入户调查"),
                 ("case_objections", "异议与评议"), ("case_documents", "文书"),
                 ("case_trail", "办理轨迹")]


@dataclass
class Row:
    page: str
    url: str = ""
    user: str = ""
    n: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    raw_median_ms: float | None = None
    ratio: float | None = None
    page_sql_ms: float | None = None
    page_sql_ratio: float | None = None
    rows_match: bool | None = None
    note: str = ""
    targeted: bool = False
    meets_targets: bool | None = None
    missed: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--households", type=int,
                   default=int(os.environ.get("BENCH_HOUSEHOLDS", "50000")),
                   help="households the database must hold, seeded if fewer (default "
                        "BENCH_HOUSEHOLDS or 50000; `make bench` passes no arguments)")
    p.add_argument("--cases-per-household", type=float, default=1.0)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    p.add_argument("--township", default="371302001",
                   help="code of the township whose generated staff log in (兰山街道)")
    p.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    p.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    p.add_argument("--out", help="append the figures as JSON lines to this file")
    p.add_argument("--no-seed", action="store_true",
                   help="do not migrate or seed; the database must be ready")
    p.add_argument("--only", help="page names separated by ';' (default: all)")
    return p.parse_args()


# --- Set-up ---------------------------------------------------------------------------------

def ensure_database(url: str) -> None:
    """Create the database named in `url` when it does not exist (PostgreSQL only)."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "false")  # as deployed: no query log, no debug pages
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # a throwaway database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanshan_aid.settings.base")
    os.chdir(ROOT)
    import django

    django.setup()


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    import django

    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": mem_gib,
            "os": platform.platform(), "python": platform.python_version(),
            "django": django.get_version(), "postgresql": pg,
            "shared_buffers": shared_buffers, "load_avg": [round(x, 2) for x in os.getloadavg()]}


# --- Measuring ------------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def count_queries(fn: Callable[[], object]) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        value = fn()
    return len(captured.captured_queries), value


def time_raw(statements: list[tuple[str, list | None]]) -> tuple[float, list[list]]:
    """Run the statements one after another; (milliseconds, rows of each: [] for a statement
    that returns none)."""
    from django.db import connection

    started = time.perf_counter()
    results = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(cursor.fetchall() if cursor.description is not None else [])
    return (time.perf_counter() - started) * 1000, results


TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


def page_statements(client, url: str) -> list[str]:
    """The SQL one request of `url` runs, as sent (parameters bound), without the transaction
    control statements around it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _consume(client.get(url))
    return [q["sql"] for q in captured.captured_queries
            if not TRANSACTION_CONTROL.match(q["sql"])]


def time_replay(statements: list[str]) -> float:
    """Milliseconds to run `statements` again as they are, every row fetched, inside a
    transaction that is rolled back (the page's own writes, such as the access log, are
    replayed too and then undone)."""
    from django.db import transaction

    with transaction.atomic():
        elapsed = time_raw([(sql, None) for sql in statements])[0]
        transaction.set_rollback(True)
    return elapsed


def https_client():
    """A test client whose requests arrive over HTTPS, as behind the deployment's TLS proxy
    (with HTTPS on, plain http requests are only redirected)."""
    from django.test import Client

    class HttpsClient(Client):
        def get(self, *args, **kwargs):
            kwargs.setdefault("secure", True)
            return super().get(*args, **kwargs)

    return HttpsClient()


class Bench:
    def __init__(self, args):
        from cases.models import Household, Person, Township

        self.args = args
        self.township = Township.objects.get(code=args.township)
        self.village_ids = list(self.township.villages.values_list("pk", flat=True))
        # Where the recommended denormalised fields exist, the hand-written SQL uses them.
        from cases.models import Case as CaseModel

        self.case_next_due = any(f.name == "next_due_at" for f in CaseModel._meta.fields)
        self.household_township = any(f.name == "township" for f in Household._meta.fields)
        self.users = {}
        self.clients = {}
        for role in ("clerk", "leader", "bureau"):
            username = "scale-bureau" if role == "bureau" else f"scale-{role}-{args.township}"
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.get(username=username)
            client = https_client()
            client.force_login(user)
            self.users[role] = user
            self.clients[role] = client
        self.anonymous = https_client()
        import random

        rng = random.Random(7)
        household_ids = list(Household.objects.filter(village_id__in=self.village_ids)
                             .values_list("pk", flat=True)[:200_000])
        picked = rng.sample(household_ids, min(len(household_ids), 200))
        heads = list(Person.objects.filter(headed_households__in=picked)
                     .values_list("id_number", "name"))
        rng.shuffle(heads)
        self.id_numbers = [n for n, _ in heads][:args.repeat]
        self.names = [name for _, name in heads][:args.repeat]
        from cases.models import Case

        case_ids = list(Case.objects.filter(township=self.township)
                        .values_list("pk", flat=True)[:200_000])
        self.case_ids = rng.sample(case_ids, min(len(case_ids), args.repeat))

    # -- generic page measurement ----------------------------------------------------------
    def page(self, name: str, role: str | None, urls: list[str],
             raw: Callable[[int], list[tuple[str, list]]] | None = None,
             ids_from_page: str | None = None, note: str = "", expect: int = 200) -> Row:
        """GET `urls` in turn (warm-up, then timed); raw(i) gives the SQL of request i."""
        client = self.clients[role] if role else self.anonymous
        row = Row(page=name, url=urls[0], user=role or "anonymous", note=note,
                  targeted=name in TARGETED or name.startswith("case page: "))
        warm = []
        for i in range(self.args.warmup):
            started = time.perf_counter()
            response = client.get(urls[i % len(urls)])
            if response.status_code != expect:
                row.note = f"HTTP {response.status_code} for {urls[i % len(urls)]}"
                return row
            _consume(response)
            warm.append(time.perf_counter() - started)
        repeat = self.args.repeat
        if warm and min(warm) > SLOW_SECONDS:  # a page of seconds: a few samples say enough
            repeat = min(repeat, SLOW_REPEAT)
        # Each URL's own statements, replayed after each timed request: the database's share
        # of the page (the page/page-SQL ratio is what Django adds: middleware, ORM, template).
        replays = {url: page_statements(client, url) for url in dict.fromkeys(urls[:repeat])}
        times, raw_times, replay_times = [], [], []
        for i in range(repeat):
            url = urls[i % len(urls)]
            started = time.perf_counter()
            response = client.get(url)
            _consume(response)
            times.append((time.perf_counter() - started) * 1000)
            replay_times.append(time_replay(replays[url]))
            if raw:
                raw_times.append(time_raw(raw(i))[0])
        row.n = len(times)
        row.median_ms = round(statistics.median(times), 1)
        row.p95_ms = round(p95(times), 1)
        row.queries, response = count_queries(lambda: client.get(urls[0]))
        row.page_sql_ms = round(statistics.median(replay_times), 2)
        row.page_sql_ratio = (round(row.median_ms / row.page_sql_ms, 1) if row.page_sql_ms
                              else None)
        if raw:
            row.raw_median_ms = round(statistics.median(raw_times), 2)
            row.ratio = round(row.median_ms / row.raw_median_ms, 1) if row.raw_median_ms else None
            if ids_from_page:
                shown = [int(x) for x in re.findall(ids_from_page, _text(response))]
                rows = time_raw(raw(0))[1][0]
                row.rows_match = shown == [r[0] for r in rows]
        return row

    # -- raw SQL for each page -------------------------------------------------------------
    def raw_case_list(self, status: str = "") -> list[tuple[str, list]]:
        where = "AND c.status = %s" if status else ""
        if self.case_next_due:  # the nearest due moment kept on the case
            return [(f"""
            SELECT c.id, c.number, c.kind, c.status, p.name, v.name, c.next_due_at
            FROM cases_case c
            JOIN cases_person p ON p.id = c.applicant_id
            JOIN cases_village v ON v.id = c.village_id
            WHERE c.township_id = %s {where}
            ORDER BY c.next_due_at ASC NULLS LAST, c.applied_at DESC, c.id DESC
            LIMIT 25""", [self.township.pk] + ([status] if status else []))]  # noqa: S608
        params = [self.village_ids] + ([status] if status else [])
        return [(f"""
            SELECT c.id, c.number, c.kind, c.status, p.name, v.name,
                   MIN(d.due_at) FILTER (WHERE d.status = 'open') AS next_due
            FROM cases_case c
            JOIN cases_person p ON p.id = c.applicant_id
            JOIN cases_village v ON v.id = c.village_id
            LEFT JOIN cases_deadline d ON d.case_id = c.id
            WHERE c.village_id = ANY(%s) {where}
            GROUP BY c.id, p.name, v.name
            ORDER BY next_due ASC, c.applied_at DESC, c.id DESC
            LIMIT 25""", params)]  # noqa: S608 - constant fragments only

    def raw_households(self, condition: str = "", params: list | None = None):
        scope, value = (("h.township_id = %s", self.township.pk) if self.household_township
                        else ("h.village_id = ANY(%s)", self.village_ids))
        return [(f"""
            SELECT h.id, hp.name, hp.id_number, t.name, v.name, h.updated_at,
                   (SELECT COUNT(*) FROM cases_membership m
                    WHERE m.household_id = h.id AND m.ended_on IS NULL)
            FROM cases_household h
            JOIN cases_village v ON v.id = h.village_id
            JOIN cases_township t ON t.id = v.township_id
            LEFT JOIN cases_person hp ON hp.id = h.head_id
            WHERE {scope} {condition}
            ORDER BY h.updated_at DESC, h.id DESC
            LIMIT 25""", [value, *(params or [])])]  # noqa: S608

    def raw_leader_queue(self) -> list[tuple[str, list]]:
        """The queue and the evidence it shows: nearest deadline first, 25 a page, where the
        case keeps its next due moment; before that, oldest application first, at most 100."""
        if self.case_next_due:
            order, limit = "next_due_at ASC NULLS LAST, applied_at DESC, id DESC", 25
        else:
            order, limit = "applied_at, id", 100
        ids = ("SELECT id FROM cases_case WHERE township_id = %s AND status = "  # noqa: S608
               f"'awaiting_sign_off' ORDER BY {order} LIMIT {limit}")
        main = f"""
            SELECT c.id, c.number, c.kind, c.proposed_amount, c.covered_persons,
                   c.review_opinion, p.name, v.name
            FROM cases_case c JOIN cases_person p ON p.id = c.applicant_id
            JOIN cases_village v ON v.id = c.village_id
            WHERE c.id IN ({ids}) ORDER BY {", ".join("c." + o.strip() for o in order.split(","))}"""  # noqa: S608, E501
        evidence = [f"SELECT * FROM {table} WHERE case_id IN ({ids})"  # noqa: S608
                    for table in ("cases_verificationreport", "cases_homevisit",
                                  "cases_objection", "cases_appraisal")]
        township = self.township.pk
        return [(main, [township])] + [(sql, [township]) for sql in evidence]

    MEMBERS = ("SELECT m.household_id FROM cases_membership m JOIN cases_person p "
               "ON p.id = m.person_id WHERE m.ended_on IS NULL AND ")

    def raw_search_id(self, i: int):
        from cases.crypto import id_hash  # the number is encrypted: look up its keyed hash

        return self.raw_households(f"AND h.id IN ({self.MEMBERS} p.id_number_hash = %s)",
                                   [id_hash(self.id_numbers[i % len(self.id_numbers)])])

    def raw_search_name(self, i: int):
        """Households with a member whose name starts with the name (the page reads addresses
        only when no name matches; the bench's names are heads' names, so some always do)."""
        name = self.names[i % len(self.names)]
        return self.raw_households(f"AND h.id IN ({self.MEMBERS} p.name LIKE %s)", [name + "%"])

    def raw_case_page(self, i: int):
        """The rows of the case page's summary: the case with its people and places, its
        clocks, the household's members and the authorizations (the evidence, documents and
        trail are on the section pages)."""
        pk = self.case_ids[i % len(self.case_ids)]
        return [
            ("""SELECT c.*, p.*, h.*, t.*, v.* FROM cases_case c
                JOIN cases_person p ON p.id = c.applicant_id
                JOIN cases_household h ON h.id = c.household_id
                JOIN cases_township t ON t.id = c.township_id
                JOIN cases_village v ON v.id = c.village_id WHERE c.id = %s""", [pk]),
            ("SELECT * FROM cases_deadline WHERE case_id = %s ORDER BY start_at, id", [pk]),
            ("""SELECT a.*, p.name FROM cases_verificationauthorization a
                JOIN cases_person p ON p.id = a.person_id WHERE a.case_id = %s""", [pk]),
            ("""SELECT m.*, p.* FROM cases_membership m JOIN cases_person p ON p.id = m.person_id
                WHERE m.ended_on IS NULL AND m.household_id =
                  (SELECT household_id FROM cases_case WHERE id = %s)""", [pk]),
        ]


def _consume(response) -> None:
    if getattr(response, "streaming", False):
        for _chunk in response.streaming_content:
            pass


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", "replace")


def reverse_first(*names: str, args=()) -> tuple[str, str] | None:
    """The first of the URL names that exists, reversed; None when none does."""
    from django.urls import NoReverseMatch, reverse

    for name in names:
        try:
            return name, reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


# --- The pages ------------------------------------------------------------------------------

def measure(bench: Bench, only: set[str] | None) -> list[Row]:
    from django.urls import reverse

    from cases.workflow import CaseStatus

    rows: list[Row] = []

    def want(name: str) -> bool:
        return not only or name in only

    cases_url = reverse("case_list")
    home = reverse("home")
    if want("floor: signed-in redirect"):
        # The least a signed-in request costs here: the whole middleware stack, the session,
        # the user and the roles, and a redirect instead of a page. No page can be quicker.
        found = reverse_first("start")
        if found:
            rows.append(bench.page("floor: signed-in redirect", "clerk", [found[1]],
                                   expect=302, note="/start/: middleware, session, user, "
                                   "roles; no template"))
    if want("case list"):
        rows.append(bench.page("case list", "clerk", [cases_url], lambda i: bench.raw_case_list(),
                               ids_from_page=r'href="/cases/(\d+)/"'))
    if want("case list, page 200"):
        rows.append(bench.page("case list, page 200", "clerk", [cases_url + "?page=200"],
                               note="OFFSET pagination"))
    if want("search by ID number"):
        rows.append(bench.page("search by ID number", "clerk",
                               [f"{home}?q={n}" for n in bench.id_numbers], bench.raw_search_id,
                               ids_from_page=r'href="/households/(\d+)/"',
                               note="household search (home)"))
    if want("search by name"):
        from urllib.parse import quote

        rows.append(bench.page("search by name", "clerk",
                               [f"{home}?q={quote(n)}" for n in bench.names],
                               bench.raw_search_name, ids_from_page=r'href="/households/(\d+)/"',
                               note="household search (home), full name"))
    if want("case search by ID number"):
        rows.append(bench.page("case search by ID number", "clerk",
                               [f"{cases_url}?q={n}" for n in bench.id_numbers],
                               note="case list ?q="))
    if want("household list"):
        rows.append(bench.page("household list", "clerk", [home], lambda i: bench.raw_households(),
                               ids_from_page=r'href="/households/(\d+)/"'))
    if want("case page"):
        rows.append(bench.page("case page", "clerk",
                               [reverse("case_detail", args=[pk]) for pk in bench.case_ids],
                               bench.raw_case_page, note="summary tab (概况)"))
    # The case page's sections (tabs of the same case), each its own request: the case page's
    # targets hold for every one of them.
    for url_name, label in CASE_SECTIONS:
        name = f"case page: {label}"
        if want(name) and reverse_first(url_name, args=[bench.case_ids[0]]):
            rows.append(bench.page(name, "clerk",
                                   [reverse(url_name, args=[pk]) for pk in bench.case_ids],
                                   note=f"tab {label} of the case page"))
    if want("leader queue"):
        queue = reverse_first("leader_queue", "sign_off_queue")
        if queue:
            rows.append(bench.page("leader queue", "leader", [queue[1]],
                                   lambda i: bench.raw_leader_queue(),
                                   ids_from_page=r'href="/cases/(\d+)/"',
                                   note="sign-off queue page with evidence, "
                                   + ("25 a page" if bench.case_next_due else "up to 100")))
        else:
            status = CaseStatus.AWAITING_SIGN_OFF.value
            rows.append(bench.page(
                "leader queue", "leader", [f"{cases_url}?status={status}"],
                lambda i: bench.raw_case_list(status), ids_from_page=r'href="/cases/(\d+)/"',
                note="no queue page yet: case list ?status=awaiting_sign_off"))
    if want("case list by state"):
        status = CaseStatus.AWAITING_SIGN_OFF.value
        rows.append(bench.page("case list by state", "leader", [f"{cases_url}?status={status}"],
                               lambda i: bench.raw_case_list(status),
                               ids_from_page=r'href="/cases/(\d+)/"',
                               note="case list ?status=awaiting_sign_off"))
    if want("bureau dashboard"):
        found = reverse_first("bureau_dashboard", "dashboard", "district_dashboard")
        rows.append(bench.page("bureau dashboard", "bureau", [found[1]]) if found else
                    Row("bureau dashboard", note="skipped: no dashboard page yet"))
    if want("district deadlines"):
        found = reverse_first("deadline_district")
        if found:
            rows.append(bench.page("district deadlines", "bureau", [found[1]],
                                   note="bureau's deadline supervision page"))
    if want("township deadlines"):
        found = reverse_first("deadline_list")
        if found:
            rows.append(bench.page("township deadlines", "clerk", [found[1]]))
    if want("public village page"):
        from cases.models import Village

        code = Village.objects.get(pk=bench.village_ids[0]).code
        found = reverse_first("public_village", "publicity_village", args=[code])
        rows.append(bench.page("public village page", None, [found[1]],
                               note="seed_scale writes no publicity batches") if found else
                    Row("public village page", note="skipped: no public village page yet"))
    if want("deadline sweep"):
        rows.append(measure_sweep(bench))
    if want("monthly roster export"):
        found = reverse_first("roster_export", "monthly_roster", "roster_monthly")
        rows.append(bench.page("monthly roster export", "clerk", [found[1]]) if found else
                    Row("monthly roster export", note="skipped: no roster export yet"))
    if want("notice render"):
        rows.append(measure_notice(bench))
    return rows


def measure_sweep(bench: Bench) -> Row:
    """The deadline sweep, run inside a transaction that is rolled back (nothing changes)."""
    try:
        from cases.sweep import sweep_deadlines
    except ImportError:
        return Row("deadline sweep", note="skipped: cases/sweep.py does not exist yet")
    from django.db import transaction

    times, queries = [], None
    for _ in range(max(3, bench.args.repeat // 10)):
        with transaction.atomic():
            started = time.perf_counter()
            n, _ = count_queries(sweep_deadlines)
            times.append((time.perf_counter() - started) * 1000)
            queries = n if queries is None else queries
            transaction.set_rollback(True)
    return Row("deadline sweep", n=len(times), median_ms=round(statistics.median(times), 1),
               p95_ms=round(p95(times), 1), queries=queries,
               note="one sweep, rolled back each time")


def measure_notice(bench: Bench) -> Row:
    """A one-page notice (受理通知书): context from the database, then WeasyPrint."""
    from cases.models import Case
    from documents.context import build_context, freeze
    from documents.kinds import DocumentKind
    from documents.render import render_pdf

    case = Case.objects.filter(township=bench.township, status="investigating").first()
    if case is None:
        return Row("notice render", note="skipped: no accepted case to render")
    kind = DocumentKind.ACCEPTANCE

    def once():
        return render_pdf(kind, freeze(build_context(kind, case=case, by=bench.users["clerk"])))

    once()  # fonts and imports
    times = []
    for _ in range(max(5, bench.args.repeat // 3)):
        started = time.perf_counter()
        once()
        times.append((time.perf_counter() - started) * 1000)
    queries, _ = count_queries(once)
    return Row("notice render", n=len(times), median_ms=round(statistics.median(times), 1),
               p95_ms=round(p95(times), 1), queries=queries, note="受理通知书, 1 page")


# --- Output ---------------------------------------------------------------------------------

def judge(row: Row) -> None:
    """Mark a targeted row: `meets_targets`, and in `missed` the targets it misses."""
    if not row.targeted or row.p95_ms is None:
        return
    missed = []
    if row.p95_ms > TARGET_MS:
        missed.append("p95")
    if (row.queries or 0) > TARGET_QUERIES:
        missed.append("queries")
    if row.ratio is not None and row.ratio > TARGET_RATIO:
        missed.append("ratio")
    row.missed = missed
    row.meets_targets = not missed


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def print_table(rows: list[Row], info: dict) -> None:
    head = (f"{'page':<26}{'n':>4}{'median ms':>10}{'p95 ms':>10}{'queries':>9}{'raw ms':>9}"
            f"{'ratio':>7}{'page SQL':>9}{'ratio':>7}{'same rows':>10}{'target':>18}  note")
    print(f"\n{info['households']:,} households, {info['cases']:,} cases; "
          f"township {info['township']} ({info['villages']} villages, "
          f"{info['township_cases']:,} cases); n = timed requests")
    print(head)
    print("-" * len(head))
    for r in rows:
        target = "" if r.meets_targets is None else ("ok" if r.meets_targets else
                                                     "MISS:" + ",".join(r.missed))
        print(f"{r.page:<26}{_fmt(r.n or None):>4}{_fmt(r.median_ms):>10}{_fmt(r.p95_ms):>10}"
              f"{_fmt(r.queries):>9}{_fmt(r.raw_median_ms, 2):>9}{_fmt(r.ratio):>7}"
              f"{_fmt(r.page_sql_ms, 2):>9}{_fmt(r.page_sql_ratio):>7}"
              f"{_fmt(r.rows_match):>10}{target:>18}  {r.note}")
    m = info["machine"]
    print(f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB; PostgreSQL "
          f"{m['postgresql']} (shared_buffers {m['shared_buffers']}); Python {m['python']}, "
          f"Django {m['django']}; load average at start {m['load_avg']}, at end "
          f"{info['load_avg_end']}")
    print(f"Targets (rows marked): p95 <= {TARGET_MS:g} ms, <= {TARGET_QUERIES} queries, "
          f"page/raw ratio <= {TARGET_RATIO:g}.")


def main() -> int:
    args = parse_args()
    if not args.database_url.startswith("postgres"):
        print("bench/run.py measures PostgreSQL only.", file=sys.stderr)
        return 2
    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    from cases.models import Case, Household

    if not args.no_seed:
        call_command("migrate", verbosity=0)
        call_command("seed_scale", households=args.households,
                     cases_per_household=args.cases_per_household)
    have = Household.objects.count()
    if have != args.households:
        print(f"The database holds {have:,} households, not {args.households:,}.",
              file=sys.stderr)
        return 2
    info = {"households": have, "cases": Case.objects.count(), "machine": machine(),
            "repeat": args.repeat, "township": args.township}
    bench = Bench(args)
    info.update(villages=len(bench.village_ids),
                township_cases=Case.objects.filter(township=bench.township).count())
    only = {name.strip() for name in args.only.split(";")} if args.only else None
    rows = measure(bench, only)
    for row in rows:
        judge(row)
    info["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    print_table(rows, info)
    if args.out:
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with open(args.out, "a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps({"at": stamp, **info,
                                      **asdict(row)}, ensure_ascii=False) + "\n")
        print(f"Figures appended to {args.out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
