"""Every GET parameter of every page, fuzzed: the answer is never a server error (5xx).

The parameters each view reads are listed below (`PAGE_PARAMS`; the API's come from its query
schemas), and `test_the_list_names_every_get_parameter_the_source_reads` checks the list
against the source: a view that starts reading a new query-string value fails it until the
value is listed here, and so fuzzed. Each page is requested by a signed-in user of the access
matrix's world who gets it with a 200 (`tests/security/access_matrix.py`), first with every
parameter set at once to each hostile value (NUL, other control characters, a lone surrogate,
numbers beyond bigint, negative numbers, other scripts' digits, very long text), then with
hypothesis-drawn combinations.

Marked `postgres`: PostgreSQL is where NUL in a text parameter fails (a SQLite run skips it;
CI runs it with DATABASE_URL set). `max_examples` keeps the run within about a minute and a
half.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.api import params as api_params
from tests.security import access_matrix as table
from tests.security import matrix_engine as engine
from tests.security.world import ANON, USER_LABELS

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "cases", "documents", "publicity", "oversight", "lanshan_aid")

# url name → the query-string values its view reads.
PAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "home": ("q", "page"),
    "id_check": ("m-0-id_number",),  # any key ending in "id_number" (one per member row)
    "case_list": ("status", "q", "page"),
    "deadline_list": ("state", "kind", "township", "page"),
    "inbox": ("unread", "page"),
    "verification_home": ("page",),
    "verification_access_log": ("user", "from", "to", "refused", "page"),
    "relatives": ("page",),
    "relative_cases": ("page",),
    "leader_queue": ("page",),
    "accept_start": ("household", "back", "emergency"),
    "accept_lookup": ("head_id",),
    "assistant_home": ("saved",),
    "spot_check_detail": ("reproduce",),
    "public_objection": ("entry",),
    "publicity_batch_list": ("page",),
    "district_reports": ("state", "page"),
    "verify_lookup": ("code",),
}
# API list endpoints: url name → the query schema (its fields are the parameters).
API_QUERIES = {
    "api:household_list": api_params.HouseholdQuery,
    "api:case_list": api_params.CaseQuery,
    "api:deadline_list": api_params.DeadlineQuery,
    "api:document_list": api_params.DocumentQuery,
}
# Reads of `request.GET` that name no single parameter, and why they are covered.
OTHER_READS = {
    ("cases/views/households.py", "request.GET.items()"): "id_check: keys ending id_number",
    ("cases/views/verification.py", "request.GET.copy()"): "access_log: the pager's links",
    ("cases/admin_base.py", "request.GET.get(SEARCH_VAR"):
        "the admin's search term, masked before it is logged; Django's admin reads it itself",
}
READ_PATTERNS = (
    re.compile(r"request\.GET\.get\(\s*[\"']([^\"']+)[\"']"),
    re.compile(r"request\.GET\[\s*[\"']([^\"']+)[\"']\s*\]"),
    re.compile(r"search\.(?:term|id_param)\(\s*request\s*,\s*[\"']([^\"']+)[\"']"),
)
DEFAULT_TERM = re.compile(r"search\.term\(\s*request\s*\)")  # the search box, "q"

HOSTILE = [
    "\x00", "a\x00b", "%00", "\x01\x08\x1b\x7f\x85", "\ud800", "\udfff1",
    "99999999999999999999999999", "9223372036854775808", "-1", "0", "-9223372036854775809",
    "1e309", "NaN", "²", "١٢٣", "９", "𝟗", "2026-02-30", "0000-00-00", "' OR 1=1 --",
    "<script>alert(1)</script>", "😀" * 50, "x" * 5000, "张" * 3000, " ", "\u202e\u200b",
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=200),
    st.integers().map(str),
    st.from_regex(r"-?[0-9]{1,30}", fullmatch=True),
    st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x9F), max_size=40),
)
PREFERENCE = ("clerk", "leader", "verifier", "assistant", "bureau", "superuser", "sysadmin",
              "auditor", "secadmin", ANON)
MAX_EXAMPLES = 8


def query_string(params: dict[str, str]) -> str:
    """Percent-encoded as a browser would send it; a lone surrogate goes as its raw bytes
    (invalid UTF-8)."""
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
                    for k, v in params.items())


def fuzzed_params(name: str) -> tuple[str, ...]:
    if name in API_QUERIES:
        return tuple(API_QUERIES[name].model_fields)
    return PAGE_PARAMS[name]


# --- The list is the source's ------------------------------------------------------------------


def _callbacks(resolver: URLResolver | None = None, namespaces: tuple = ()):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _callbacks(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield ":".join((*namespaces, entry.name)), entry.callback


def _source_file(callback) -> str | None:
    try:
        path = Path(inspect.getsourcefile(inspect.unwrap(callback))).resolve()
    except TypeError:
        return None
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else None


def _reads() -> tuple[dict[str, set[str]], list[str]]:
    """(file → parameter names read, lines reading `request.GET` otherwise)."""
    found: dict[str, set[str]] = {}
    unexplained = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel == "cases/search.py":  # the reader itself: its callers name the values
                continue
            text = path.read_text(encoding="utf-8")
            names = {m.group(1) for p in READ_PATTERNS for m in p.finditer(text)}
            if DEFAULT_TERM.search(text):
                names.add("q")
            if names:
                found[rel] = names
            for line in text.splitlines():
                named = any(p.search(line) for p in READ_PATTERNS)
                explained = any(rel == f and r in line for f, r in OTHER_READS)
                if "request.GET" in line and not named and not explained:
                    unexplained.append(f"{rel}: {line.strip()}")
    return found, unexplained


def test_the_list_names_every_get_parameter_the_source_reads():
    found, unexplained = _reads()
    assert not unexplained, ("request.GET read without a parameter name; read it through "
                             f"cases.search, or explain it in OTHER_READS: {unexplained}")
    declared: dict[str, set[str]] = {}
    for name, callback in _callbacks():
        source = _source_file(callback)
        if source and name in PAGE_PARAMS:
            declared.setdefault(source, set()).update(
                "id_number" if p.endswith("id_number") else p for p in PAGE_PARAMS[name])
    missing = {f: sorted(names - declared.get(f, set()) - {"id_number"})
               for f, names in found.items()}
    missing = {f: names for f, names in missing.items() if names}
    assert not missing, f"GET parameters read but not fuzzed (add them to PAGE_PARAMS): {missing}"
    stale = {f: sorted(names - found.get(f, set()) - {"id_number"})
             for f, names in declared.items()}
    assert not {f: n for f, n in stale.items() if n}, f"listed but no longer read: {stale}"
    api_sources = "\n".join(p.read_text(encoding="utf-8")
                            for p in sorted((ROOT / "cases" / "api").glob("*.py")))
    used = set(re.findall(r"Query\[(\w+)\]", api_sources))
    assert used == {schema.__name__ for schema in API_QUERIES.values()}
    names = {name for name, _ in _callbacks()}
    assert set(PAGE_PARAMS) | set(API_QUERIES) <= names


# --- Fuzzing ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_clients(world, django_db_blocker):
    with django_db_blocker.unblock():
        out = {ANON: Client()}
        for label in USER_LABELS:
            if label != ANON:
                out[label] = Client()
                out[label].force_login(world.user(label))
    return out


def _page(world, name: str) -> tuple[str, str]:
    """(path, user label) of a page a user of the world gets with a 200."""
    from tests.security.test_access_matrix import path_of

    pattern = next(p for p in engine.all_patterns() if p.key == name)
    entry = table.ENTRIES[name]
    expected = entry.expected("GET")
    label = next(label for label in PREFERENCE if expected.get(label) == "200")
    return path_of(world, pattern, entry), label


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("name", [*PAGE_PARAMS, *API_QUERIES])
def test_no_get_parameter_value_makes_a_server_error(world, fuzz_clients, name):
    if connection.vendor != "postgresql":
        pytest.skip("fuzzed on PostgreSQL (DATABASE_URL), where NUL in text is refused")
    path, label = _page(world, name)
    client = fuzz_clients[label]
    params = fuzzed_params(name)
    assert client.get(path).status_code == 200, (name, label)

    def ask(values: dict[str, str]) -> None:
        url = f"{path}?{query_string(values)}"
        response = client.get(url)
        assert response.status_code < 500, (label, url[:300], response.status_code)

    for value in HOSTILE:  # every parameter at once, then one by one for the worst ones
        ask(dict.fromkeys(params, value))
    for param in params:
        for value in ("\x00", "99999999999999999999999999", "²"):
            ask({param: value})

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional=dict.fromkeys(params, VALUES)))
    def fuzz(values):
        ask(values)

    fuzz()


def test_the_query_string_sends_a_lone_surrogate_as_invalid_utf8():
    assert query_string({"q": "\ud800"}) == "q=%ED%A0%80"
    assert query_string({"q": "a\x00b"}) == "q=a%00b"
    assert reverse("home") == "/"
