"""The main list queries use the indexes meant for them (PostgreSQL only).

Each test captures the SQL a page really runs (through the test client, on data from
`seed_scale`), asks PostgreSQL for its plan with sequential scans, bitmap scans and sorts
discouraged — on a few hundred rows the planner would otherwise rightly prefer them, while
on a million it must not — and checks which indexes the plan reads and that no sort of the
whole scope is left. Index names are looked up by their columns, so a renamed index does not break a
test and a missing one fails it.

Tests marked `xfail(strict=True)` describe changes recommended in docs/benchmarks.md and not
made yet; once a change is made, its test passes and the marker must go.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, Household

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TOWNSHIP = "371302001"
BIG_TABLES = {"cases_case", "cases_deadline", "cases_caseevent", "cases_household",
              "cases_membership", "cases_person"}


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL")


@pytest.fixture
def clerk(db):
    call_command("seed_scale", households=300, no_progress=True, stdout=StringIO())
    return get_user_model().objects.get(username=f"scale-clerk-{TOWNSHIP}")


def page_queries(client, user, url: str) -> list[str]:
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def main_query(queries: list[str], table: str) -> str:
    """The page's row query on `table`: a SELECT with a LIMIT that is not a count."""
    found = [q for q in queries if q.startswith("SELECT") and f'FROM "{table}"' in q
             and " LIMIT " in q and "COUNT(*)" not in q]
    assert found, f"no row query on {table}"
    return found[-1]


def plan(sql: str) -> list[dict]:
    """Every node of the plan, depth first."""
    with connection.cursor() as cursor:
        # Small test tables: make the planner show what the indexes can do, as on big ones.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cursor.fetchone()[0]
    root = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def indexes_on(table: str, *columns: str) -> set[str]:
    """Names of the indexes of `table` whose leading columns are `columns`, in order."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.relname, array_agg(a.attname ORDER BY k.n)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE t.relname = %s GROUP BY i.relname""", [table])
        return {name for name, cols in cursor.fetchall()
                if tuple(cols[:len(columns)]) == columns}


def used_indexes(nodes: list[dict]) -> set[str]:
    return {n["Index Name"] for n in nodes if "Index Name" in n}


def seq_scans(nodes: list[dict]) -> set[str]:
    return {n["Relation Name"] for n in nodes
            if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in BIG_TABLES}


def sorts_everything(nodes: list[dict]) -> bool:
    """A Sort node above the scan: every row in scope is read and sorted for one page."""
    return any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes)


# --- Searches: served by indexes today -------------------------------------------------------

def test_search_by_id_number_looks_up_the_person_and_membership_by_index(client, clerk):
    person = Household.objects.filter(village__township__code=TOWNSHIP).first().head
    nodes = plan(main_query(page_queries(client, clerk, f"{reverse('home')}?q="
                                          f"{person.id_number}"), "cases_household"))
    assert used_indexes(nodes) & indexes_on("cases_person", "id_number_hash")
    assert used_indexes(nodes) & indexes_on("cases_membership", "person_id")
    assert not seq_scans(nodes)


def test_search_by_an_id_tail_looks_up_the_tail_hash_and_membership_by_index(client, clerk):
    person = Household.objects.filter(village__township__code=TOWNSHIP).first().head
    nodes = plan(main_query(page_queries(client, clerk, f"{reverse('home')}?q="
                                          f"{person.id_number[-6:]}"), "cases_household"))
    assert used_indexes(nodes) & indexes_on("cases_person", "id_tail_hash")
    assert used_indexes(nodes) & indexes_on("cases_membership", "person_id")
    assert not seq_scans(nodes)


def test_case_page_reads_trail_and_clocks_by_case(client, clerk):
    """The clocks on the case page's summary, the trail on its tab: each read by the case."""
    from django.urls import reverse

    case = Case.objects.filter(township__code=TOWNSHIP, status="approved").first()
    summary = page_queries(client, clerk, case.get_absolute_url())
    trail = page_queries(client, clerk, reverse("case_trail", args=[case.pk]))
    events = next(q for q in trail if q.startswith("SELECT") and 'FROM "cases_caseevent"' in q)
    clocks = next(q for q in summary if q.startswith("SELECT") and 'FROM "cases_deadline"' in q)
    assert used_indexes(plan(events)) & indexes_on("cases_caseevent", "case_id")
    assert used_indexes(plan(clocks)) & indexes_on("cases_deadline", "case_id")
    assert not seq_scans(plan(events)) | seq_scans(plan(clocks))


def test_due_clocks_are_found_by_status_and_due_time(db):
    """What the deadline sweep and the deadline pages ask first: open clocks due soonest."""
    from django.utils import timezone

    from cases.models import Deadline

    due = Deadline.objects.filter(status="open", due_at__lte=timezone.now()).order_by("due_at")
    with CaptureQueriesContext(connection) as captured:
        list(due.values_list("pk", flat=True)[:2000])
    nodes = plan(captured.captured_queries[-1]["sql"])
    assert used_indexes(nodes) & indexes_on("cases_deadline", "status", "due_at")
    assert not sorts_everything(nodes)


# --- Case lists: read in index order (Case.next_due_at, cases scoped by township) -------------

def test_case_list_page_is_read_in_index_order(client, clerk):
    nodes = plan(main_query(page_queries(client, clerk, reverse("case_list")), "cases_case"))
    assert used_indexes(nodes) & indexes_on("cases_case", "township_id", "next_due_at")
    assert not sorts_everything(nodes)
    assert not seq_scans(nodes)


def test_case_list_by_state_is_read_in_index_order(client, clerk):
    url = reverse("case_list") + "?status=awaiting_sign_off"
    nodes = plan(main_query(page_queries(client, clerk, url), "cases_case"))
    assert used_indexes(nodes) & indexes_on("cases_case", "township_id", "status", "next_due_at")
    assert not sorts_everything(nodes)


def test_search_by_name_uses_a_prefix_index(client, clerk):
    person = Household.objects.filter(village__township__code=TOWNSHIP).first().head
    nodes = plan(main_query(page_queries(client, clerk, f"{reverse('home')}?q={person.name}"),
                            "cases_household"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexrelid::regclass::text FROM pg_index x JOIN pg_opclass o "
                       "ON o.oid = x.indclass[0] WHERE x.indrelid = 'cases_person'::regclass "
                       "AND o.opcname IN ('varchar_pattern_ops', 'text_pattern_ops')")
        pattern = {row[0] for row in cursor.fetchall()}
    assert used_indexes(nodes) & pattern & indexes_on("cases_person", "name")


def test_household_list_page_is_read_in_index_order(client, clerk):
    nodes = plan(main_query(page_queries(client, clerk, reverse("home")), "cases_household"))
    ordered = indexes_on("cases_household", "township_id", "updated_at") | indexes_on(
        "cases_household", "village_id", "updated_at")
    assert used_indexes(nodes) & ordered
    assert not sorts_everything(nodes)
    assert not seq_scans(nodes)


# --- Deadline sweep ---------------------------------------------------------------------------

def test_sweep_reads_a_bounded_range_of_unmarked_clocks(db):
    """The at-risk query of the sweep: clocks not yet marked (a partial index), due between
    now and the furthest cut-off (both ends in the index condition, not every future clock)."""
    from django.db.models import Q
    from django.utils import timezone

    from cases.models import Deadline
    from cases.sweep import at_risk_cutoffs, at_risk_q

    condition = at_risk_q(at_risk_cutoffs(timezone.now())) & Q(
        breached_at__isnull=True, at_risk_at__isnull=True)
    with CaptureQueriesContext(connection) as captured:
        list(Deadline.objects.filter(condition).order_by("due_at", "pk")
             .values_list("pk", flat=True)[:500])
    nodes = plan(captured.captured_queries[-1]["sql"])
    scans = [n for n in nodes if n.get("Relation Name") == "cases_deadline"]
    assert scans and all("Index" in n["Node Type"] for n in scans)
    cond = " ".join(n.get("Index Cond", "") for n in scans)
    assert "due_at >=" in cond and "due_at <=" in cond, cond
    assert used_indexes(nodes) & {"deadline_unwarned_idx", "deadline_unbreached_idx",
                                  "deadline_status_due_idx"}


# --- Deadline pages ---------------------------------------------------------------------------

def _reads_the_whole_index(nodes: list[dict], names: set[str]) -> bool:
    """An index of `names` scanned without a condition: every entry read (a merge join)."""
    return any(n.get("Index Name") in names and not n.get("Index Cond") for n in nodes)


def test_deadline_list_counts_the_township_cases_due_by_its_last_moment(client, clerk):
    """The township's deadline list: its capped count reads the township's cases due by the
    latest moment the page shows through a (township, next_due_at) index and looks their
    clocks up by case, instead of every clock through the deadline case_id index (a merge
    join); the page reads the clocks in due order and stops after a page."""
    queries = page_queries(client, clerk, reverse("deadline_list"))
    with connection.cursor() as cursor:
        # A few hundred cases lie in key order: read by the key index they look as cheap as
        # the township's; with pages in memory (as at 1,000,000 households) they are not.
        cursor.execute("SET LOCAL random_page_cost = 1.1")
    count = next(q for q in queries if q.startswith("SELECT COUNT(*)")
                 and 'FROM "cases_deadline"' in q)
    by_township = (indexes_on("cases_case", "township_id", "next_due_at")
                   | indexes_on("cases_case", "township_id", "status", "next_due_at"))
    by_case = indexes_on("cases_deadline", "case_id")
    nodes = plan(count)
    assert used_indexes(nodes) & by_township
    assert not _reads_the_whole_index(nodes, by_case)
    assert not seq_scans(nodes)
    nodes = plan(main_query(queries, "cases_deadline"))
    assert used_indexes(nodes) & indexes_on("cases_deadline", "status", "due_at")
    assert not _reads_the_whole_index(nodes, by_case)
    assert not seq_scans(nodes)
    assert all(n["Node Type"] == "Incremental Sort" and "due_at" in str(n.get("Presorted Key"))
               for n in nodes if "Sort" in n["Node Type"]), "no sort of every clock in scope"
