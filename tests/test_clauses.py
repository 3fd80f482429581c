"""docs/clauses.md stays true: every clause has one row, and the tests it names exist and prove it.

The table is `| Clause | Rule | Code | Tests | Status |`. Tests are named
`tests/path.py::test_name` (or `tests/path.py::TestClass::test_name`), comma-separated.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import CLAUSE_IDS, DOCSTRING_CLAUSES, clauses_of

BASE = Path(settings.BASE_DIR)
TABLE = BASE / "docs" / "clauses.md"
TESTS = BASE / "tests"
STATUSES = {"implemented", "partial", "not yet"}
TEST_REF = re.compile(r"tests/[\w/]+\.py(?:::\w+)+")
MARKER = re.compile(r"""mark\.clause\(\s*(?P<args>(?:["']S\d+["']\s*,?\s*)+)\)""")
ORDER = [f"S{n}" for n in range(1, 23)]


def parse_table(text: str) -> list[dict[str, str]]:
    rows = []
    header = None
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        rows.append(dict(zip(header, cells, strict=True)))
    if header != ["Clause", "Rule", "Code", "Tests", "Status"]:
        raise AssertionError(f"unexpected header {header}")
    return rows


@cache
def rows() -> list[dict[str, str]]:
    return parse_table(TABLE.read_text(encoding="utf-8"))


def ids_in_source(text: str) -> set[str]:
    found = set()
    for match in MARKER.finditer(text):
        found |= set(re.findall(r"S\d+", match.group("args")))
    for group in DOCSTRING_CLAUSES.findall(text):
        found |= {part.strip() for part in group.split(",")}
    return found


def suite_sources() -> dict[Path, str]:
    skip = {TESTS / "conftest.py", Path(__file__).resolve()}
    return {p: p.read_text(encoding="utf-8") for p in sorted(TESTS.rglob("*.py"))
            if p.resolve() not in skip}


def _decorator_clauses(decorators: list[ast.expr]) -> set[str]:
    found = set()
    for dec in decorators:
        if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "clause"):
            found |= {a.value for a in dec.args if isinstance(a, ast.Constant)}
    return found


def _pytestmark_clauses(body: list[ast.stmt]) -> set[str]:
    for node in body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            marks = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            return _decorator_clauses(marks)
    return set()


def clauses_of_test(ref: str) -> set[str] | None:
    """The clauses a named test carries, or None if it does not exist."""
    file_part, *names = ref.split("::")
    path = BASE / file_part
    if not path.is_file():
        return None
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = _pytestmark_clauses(tree.body)
    scope = tree.body
    for i, name in enumerate(names):
        last = i == len(names) - 1
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef) if last else (ast.ClassDef,)
        node = next((n for n in scope if isinstance(n, kinds) and n.name == name), None)
        if node is None:
            return None
        found |= _decorator_clauses(node.decorator_list)
        doc = ast.get_docstring(node) or ""
        for group in DOCSTRING_CLAUSES.findall(doc):
            found |= {part.strip() for part in group.split(",")}
        if not last:
            found |= _pytestmark_clauses(node.body)
            scope = node.body
    return found


def test_the_table_has_one_row_per_clause_in_order():
    assert [row["Clause"] for row in rows()] == ORDER


def test_every_row_has_a_known_status_and_a_rule():
    for row in rows():
        assert row["Status"] in STATUSES, row["Clause"]
        assert row["Rule"] and row["Rule"] != "—", row["Clause"]


def test_code_lists_module_paths_that_exist():
    for row in rows():
        if row["Code"] == "—":
            continue
        for module in (m.strip() for m in row["Code"].split(",")):
            assert (BASE / module).exists(), f"{row['Clause']}: {module} does not exist"


@pytest.mark.parametrize("clause", ORDER)
def test_named_tests_exist_and_carry_their_clause(clause):
    row = next(r for r in rows() if r["Clause"] == clause)
    named = TEST_REF.findall(row["Tests"])
    leftover = TEST_REF.sub("", row["Tests"]).replace(",", "").replace("—", "").strip()
    assert leftover == "", f"{clause}: cannot read {leftover!r} as tests/path.py::test_name"
    if row["Status"] in ("implemented", "partial"):
        assert named, f"{clause} is {row['Status']} but names no test"
    for ref in named:
        carried = clauses_of_test(ref)
        assert carried is not None, f"{clause}: {ref} does not exist"
        assert clause in carried, f"{clause}: {ref} does not carry the {clause} marker"


@pytest.mark.parametrize("clause", ORDER)
def test_an_implemented_clause_has_a_marked_test_in_the_suite(clause):
    row = next(r for r in rows() if r["Clause"] == clause)
    if row["Status"] != "implemented":
        return
    carriers = [p for p, text in suite_sources().items() if clause in ids_in_source(text)]
    assert carriers, f"{clause} is implemented but no test carries clause({clause!r})"


def test_the_suite_uses_only_known_clause_ids():
    for path, text in suite_sources().items():
        unknown = ids_in_source(text) - CLAUSE_IDS
        assert not unknown, f"{path.relative_to(BASE)}: unknown clause id(s) {sorted(unknown)}"


# --- The checker itself ---------------------------------------------------------------


def test_the_table_parser_reads_rows_and_rejects_a_wrong_header():
    text = ("| Clause | Rule | Code | Tests | Status |\n|---|---|---|---|---|\n"
            "| S1 | 规则 | cases/scoping.py | tests/a.py::test_b, tests/a.py::C::test_d "
            "| partial |\n")
    (row,) = parse_table(text)
    assert row["Status"] == "partial"
    assert TEST_REF.findall(row["Tests"]) == ["tests/a.py::test_b", "tests/a.py::C::test_d"]
    with pytest.raises(AssertionError):
        parse_table("| Clause | Rule | Tests |\n|---|---|---|\n| S1 | x | — |\n")


def test_marker_and_docstring_forms_are_both_read():
    source = '''
@pytest.mark.clause("S4")
def test_a():
    """Twenty working days.

    clause: S12, S1
    """
'''
    assert ids_in_source(source) == {"S1", "S4", "S12"}


def test_a_named_test_is_found_with_its_clauses():
    ref = ("tests/cases/test_org.py::"
           "test_the_development_zone_is_an_approving_unit_like_the_townships")
    assert clauses_of_test(ref) == {"S1"}
    assert clauses_of_test("tests/cases/test_org.py::test_no_such_test") is None
    assert clauses_of_test("tests/no_such_file.py::test_x") is None


def test_collection_reads_markers_and_docstrings():
    class Mark:
        def __init__(self, *args):
            self.args = args

    class Item:
        def __init__(self, marks, doc):
            self._marks = marks
            self.function = type("F", (), {"__doc__": doc})

        def iter_markers(self, name):
            return iter(self._marks if name == "clause" else [])

    assert clauses_of(Item([Mark("S4")], None)) == {"S4"}
    assert clauses_of(Item([], "Text.\n\n    clause: S1, S21\n")) == {"S1", "S21"}
    assert clauses_of(Item([Mark("S2")], "clause: S3")) == {"S2", "S3"}
