"""Users read rules in words: no clause id (S1–S22) on any page, document or message.

Clause ids stay in code comments, docstrings, tests and docs (docs/clauses.md). This scans
the templates (outside template and HTML comments), every Chinese string literal of the
product's Python code (messages of views, services, forms, notifications …; docstrings are
skipped), and the rendered key pages.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from cases.basis import CLAUSE_WORDS, clause_words
from cases.demo_cases import build_case
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("accounts", "cases", "documents", "publicity", "oversight", "templates", "lanshan_aid")
CLAUSE_ID = re.compile(r"(?<![A-Za-z0-9_])S\d{1,2}(?![0-9])")
CJK = re.compile(r"[\u4e00-\u9fff]")
TEMPLATE_COMMENTS = re.compile(
    r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|<!--.*?-->", re.S)


def _product_files(suffix: str):
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob(f"*{suffix}")):
            if "migrations" not in path.parts:
                yield path


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def shown_clause_ids_in_python(source: str) -> list[str]:
    """Chinese string literals (what users read) naming a clause id; docstrings skipped."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in skip and CJK.search(node.value) and CLAUSE_ID.search(node.value)]


def shown_clause_ids_in_template(source: str) -> list[str]:
    return CLAUSE_ID.findall(TEMPLATE_COMMENTS.sub("", source))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.parts.extend(v for k, v in attrs if k in ("title", "aria-label", "placeholder")
                          and v)

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_the_scanners_catch_a_clause_id():
    assert shown_clause_ids_in_python('x = "审批权限在镇街（S1）"\n')
    assert not shown_clause_ids_in_python('"""Accept (S3)."""\nclause = "S4"  # S4\n')
    assert shown_clause_ids_in_template("<p>公示（S6）</p>")
    assert not shown_clause_ids_in_template("{# S6 #}{% comment %}S22{% endcomment %}<p>公示</p>")
    assert CLAUSE_ID.search(visible_text("<td>S4</td>"))
    assert not CLAUSE_ID.search(visible_text('<td class="S">公示</td><script>a="S4"</script>'))


def test_no_template_shows_a_clause_id():
    found = {str(p.relative_to(ROOT)): ids for p in _product_files(".html")
             if (ids := shown_clause_ids_in_template(p.read_text(encoding="utf-8")))}
    assert found == {}


def test_no_message_in_python_shows_a_clause_id():
    found = {str(p.relative_to(ROOT)): texts for p in _product_files(".py")
             if (texts := shown_clause_ids_in_python(p.read_text(encoding="utf-8")))}
    assert found == {}


def test_every_clause_has_words():
    assert set(CLAUSE_WORDS) == {f"S{n}" for n in range(1, 23)}
    assert clause_words("S6") == "审批公示7天"
    assert clause_words("S99") == "" and clause_words("") == ""


@pytest.mark.django_db
def test_key_pages_show_no_clause_id(client, village_a, clerk_a, verifier_a, leader_a, bureau):
    case = build_case(CaseStatus.IN_PUBLICITY, household=HouseholdFactory(village=village_a),
                      clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    pages = {clerk_a: ["case_detail", "case_trail", "deadline_list", "inbox", "case_list",
                       "home"],
             bureau: ["deadline_district", "bureau_dashboard", "spot_check_list"]}
    seen = 0
    for user, names in pages.items():
        client.force_login(user)
        for name in names:
            url = reverse(name, args=[case.pk]) if name.startswith("case_") and \
                name != "case_list" else reverse(name)
            response = client.get(url)
            assert response.status_code == 200, name
            text = visible_text(response.content.decode())
            assert not CLAUSE_ID.findall(text), (name, CLAUSE_ID.findall(text))
            seen += 1
    assert seen == 9


@pytest.mark.parametrize("kind", ["at_risk", "breached", "escalated"])
@pytest.mark.parametrize("clock,clause,unit", [("decision", "S4", "workday"),
                                               ("publicity", "S6", "day"),
                                               ("emergency_aid", "S11", "hour")])
def test_reminders_name_the_rule_in_words(kind, clock, clause, unit):
    import datetime as dt

    from django.utils import timezone

    from cases.notifications import deadline_message, publicity_message

    at = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))
    row = {"kind": clock, "unit": unit, "clause": clause, "start_at": at, "due_at": at,
           "case__number": "371302001-2026-DB-00001", "case__kind": "dibao",
           "case__township__name": "柳青街道", "case__village__name": "柳青社区"}
    message = deadline_message(kind, row)
    assert not CLAUSE_ID.search(message.title + message.body)
    if kind != "escalated":
        assert f"（依据规定：{clause_words(clause)}）" in message.body
    for closing in ("publicity_closed", "publicity_objected"):
        m = publicity_message(closing, number="1", case_kind="低保", place="柳青社区",
                              ended_at=at, objections=1)
        assert not CLAUSE_ID.search(m.title + m.body)
