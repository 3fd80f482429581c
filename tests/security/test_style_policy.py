"""Strict style policy: the CSP allows styles only from this site's files (`style-src 'self'`,
no 'unsafe-inline'), so no page a browser shows may carry a `<style>` block or a `style="…"`
attribute — the browser would refuse it and the page would look broken.

Templates rendered only to PDF by WeasyPrint never reach a browser and are not subject to the
CSP; they are allowed inline styles, each listed in PDF_ONLY with the reason. The guards below
keep that list honest: an allowed template is referenced only by the modules that turn HTML
into PDF, and no browser template extends or includes one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template
from django.test import override_settings
from django.urls import reverse

from cases.demo_cases import build_case
from cases.verification import services as vs
from tests.verification.conftest import scan_all

BASE = Path(settings.BASE_DIR)

INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
TEMPLATE_REF = re.compile(r"""{%\s*(?:extends|include)\s+["']([^"']+)["']""")

# Rendered to PDF only (WeasyPrint): path relative to the checkout (a folder ends in "/").
PDF_ONLY: dict[str, str] = {
    "documents/templates/documents/kinds/":
        "the standardized documents' bodies: documents.render.render_html feeds them only to "
        "WeasyPrint (render_pdf_document); issued documents are downloaded as PDF",
    "documents/templates/documents/base_notice.html":
        "the A4 page (@page rules, header, seal) every document and printed sheet extends; "
        "WeasyPrint only",
    "documents/templates/documents/archive/index.html":
        "卷内目录 of the household file: documents.archive._index_pdf → archive PDF/ZIP",
    "documents/templates/documents/archive/trail.html":
        "办理过程记录 of a case in the household file: documents.archive._trail_pdf → archive PDF",
    "documents/templates/documents/archive/unreadable_page.html":
        "the page standing in for an unreadable stored file: documents.archive._parts → "
        "archive PDF",
    "documents/templates/documents/archive/scan_page.html":
        "an image scan laid on an A4 page: documents.archive._entry_pdf → archive PDF",
    "publicity/templates/publicity/board.html":
        "the village board sheet (extends base_notice.html): publicity.printing.board_pdf",
    "publicity/templates/publicity/leaflet.html":
        "the policy leaflet PDF (extends base_notice.html): publicity.printing.leaflet_pdf; "
        "the browser's policy page is publicity/public/policy.html",
}
# The only modules that may name a PDF-only template: each hands the HTML to html_to_pdf.
PDF_RENDERERS = {"documents/render.py", "documents/kinds.py", "documents/archive.py",
                 "publicity/printing.py"}


def template_files() -> list[Path]:
    """Every template of the project (the project folder and each app's `templates/`)."""
    roots = [BASE / "templates", *BASE.glob("*/templates")]
    return sorted(p for root in roots if ".venv" not in root.parts and root.is_dir()
                  for p in root.rglob("*") if p.is_file() and p.suffix in {".html", ".svg"})


def rel(path: Path) -> str:
    return str(path.relative_to(BASE))


def pdf_only(path: Path) -> bool:
    name = rel(path)
    return any(name == entry or (entry.endswith("/") and name.startswith(entry))
               for entry in PDF_ONLY)


def inline_styles(text: str) -> list[str]:
    """Each inline style found, as `line N: <excerpt>`."""
    return [f"line {text.count(chr(10), 0, m.start()) + 1}: "
            f"{text[m.start():m.start() + 40].strip().splitlines()[0]}"
            for m in INLINE_STYLE.finditer(text)]


def test_the_finder_finds_style_blocks_and_attributes_only():
    page = ('<style>p{}</style>\n<p style="color:red">x</p><p STYLE = \'a\'>y</p>'
            '<p class="style">z</p><p data-style="q">w</p><link rel="stylesheet" href="a.css">'
            "<p>lifestyle</p>")
    found = inline_styles(page)
    assert len(found) == 3
    assert found[0].startswith("line 1: <style>") and found[1].startswith('line 2: style="')


def test_no_browser_served_template_has_inline_styles():
    offenders = {rel(p): inline_styles(p.read_text(encoding="utf-8"))
                 for p in template_files() if not pdf_only(p)}
    offenders = {name: found for name, found in offenders.items() if found}
    assert not offenders, (
        "inline styles in browser-served templates (refused by the CSP; use a class of "
        f"static/css/ instead): {offenders}")


def test_every_pdf_only_entry_exists_and_has_a_reason():
    for entry, reason in PDF_ONLY.items():
        assert (BASE / entry).exists(), f"PDF_ONLY lists a missing template: {entry}"
        assert len(reason) > 20, entry


def test_pdf_only_templates_are_named_only_by_the_pdf_renderers():
    names = {entry.split("/templates/", 1)[1] for entry in PDF_ONLY}
    apps = [d for d in BASE.iterdir()
            if (d / "__init__.py").exists() and d.name not in {"tests", "bench"}]
    sources = [p for app in apps for p in app.rglob("*.py") if "migrations" not in p.parts]
    found = {}
    for path in sources:
        text = path.read_text(encoding="utf-8")
        # A kind's template is "documents/kinds/" + name (documents/kinds.py); the others by name.
        named = [n for n in names if n in text]
        if named and rel(path) not in PDF_RENDERERS:
            found[rel(path)] = named
    assert not found, f"a PDF-only template used outside the PDF renderers: {found}"
    users_of_render_html = {rel(p) for p in sources
                            if "render_html(" in p.read_text(encoding="utf-8")}
    assert users_of_render_html == {"documents/render.py"}, (
        "documents.render.render_html (PDF-only templates) called outside the renderer: "
        f"{users_of_render_html}")


def test_no_browser_template_extends_or_includes_a_pdf_only_one():
    found = []
    for path in template_files():
        if pdf_only(path):
            continue
        for name in TEMPLATE_REF.findall(path.read_text(encoding="utf-8")):
            target = Path(get_template(name).origin.name)
            if target.is_relative_to(BASE) and pdf_only(target):
                found.append(f"{rel(path)} → {name}")
    assert not found, f"browser templates pulling in a PDF-only template: {found}"


def test_no_admin_disables_both_action_bars():
    """Django's change list adds a <style> block when a ModelAdmin shows actions neither on
    top nor at the bottom."""
    from django.contrib import admin

    bare = [type(model_admin).__name__ for model_admin in admin.site._registry.values()
            if not model_admin.actions_on_top and not model_admin.actions_on_bottom]
    assert not bare


# --- The header and the pages as served ----------------------------------------------------


def style_src(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    return directives.get("style-src", directives.get("default-src", "")).split()


def test_the_csp_allows_styles_only_from_this_site(client, db):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert style_src(response) == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert "style-src-attr" not in policy and "style-src-elem" not in policy
    assert "script-src 'self'" in policy


def test_the_style_directive_reader_reads_the_policy():
    header = {"Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'"}
    assert style_src(header) == ["'self'", "'unsafe-inline'"]
    assert style_src({"Content-Security-Policy": "default-src 'self'"}) == ["'self'"]


@pytest.mark.django_db
@override_settings(VERIFICATION_SIMULATED_SOURCE=True)
def test_pages_as_served_carry_no_inline_styles(client, household_a, clerk_a, verifier_a,
                                                 leader_a, bureau, superuser):
    case = build_case("investigating", household=household_a, clerk=clerk_a,
                      verifier=verifier_a, leader=leader_a, days_ago=3)
    scan_all(case, clerk_a)
    vs.verification_query(case=case, by=verifier_a, sources=["bank"], purpose="核对",
                          channel="simulated")
    report = vs.report_compile(case=case, by=verifier_a, conclusion="如实反映。")
    pages = [
        (None, reverse("login")),
        (None, reverse("public_case_status")),
        (None, reverse("verify_lookup")),
        (clerk_a, reverse("home")),
        (clerk_a, case.get_absolute_url()),
        *[(clerk_a, reverse(name, args=[case.pk])) for name in (
            "case_materials", "case_visits", "case_objections", "case_documents", "case_trail")],
        (clerk_a, reverse("publicity_batch_list")),
        (verifier_a, reverse("verification_case", args=[case.pk])),
        (verifier_a, reverse("verification_report_print", args=[report.pk])),
        (bureau, reverse("verification_access_log")),
        (superuser, reverse("admin:index")),
        (superuser, reverse("admin:cases_calendaryear_import")),
        (superuser, reverse("admin:cases_case_changelist")),
    ]
    for user, url in pages:
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert style_src(response) == ["'self'"], url
        found = inline_styles(response.content.decode())
        assert not found, f"{url}: {found}"
