"""No page may load anything from outside the site: the offices' intranet has no internet.

Rendered pages and every template are scanned for `src`/`href` (and CSS `url()`/`@import`)
pointing at another host; every local static file a page uses must exist.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

BASE = Path(settings.BASE_DIR)
SITE_HOSTS = {"testserver", "localhost", "127.0.0.1", *settings.ALLOWED_HOSTS}

# src="…", href='…', srcset=…, CSS url(…) and @import "…"
ATTR_URL = re.compile(
    r"""\b(?:src|href|srcset|poster|data)\s*=\s*(?P<q>["']?)(?P<url>[^"'\s>]+)""",
    re.IGNORECASE,
)
CSS_URL = re.compile(r"""(?:url\(\s*|@import\s+)(?P<q>["']?)(?P<url>[^"')\s;]+)""",
                     re.IGNORECASE)


def external_urls(text: str) -> list[str]:
    found = []
    for pattern in (ATTR_URL, CSS_URL):
        for match in pattern.finditer(text):
            url = match.group("url")
            if url.startswith("//") or re.match(r"(?i)https?:", url):
                host = urlsplit(url if "://" in url else "http:" + url).hostname
                if host not in SITE_HOSTS:
                    found.append(url)
    return found


def static_paths(text: str) -> list[str]:
    paths = []
    for pattern in (ATTR_URL, CSS_URL):
        for match in pattern.finditer(text):
            url = urlsplit(match.group("url")).path
            if url.startswith(settings.STATIC_URL):
                paths.append(url[len(settings.STATIC_URL):])
    return paths


def template_files() -> list[Path]:
    roots = [BASE / "templates", *BASE.glob("*/templates")]
    files = []
    for root in roots:
        if ".venv" in root.parts or not root.is_dir():
            continue
        files += [p for p in root.rglob("*") if p.is_file() and p.suffix in
                  (".html", ".txt", ".xml", ".svg", ".css", ".js")]
    return sorted(files)


def static_files() -> list[Path]:
    roots = [BASE / "static", *BASE.glob("*/static")]
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("*.css"))


def test_the_url_finder_finds_what_it_should():
    page = ('<script src="https://cdn.example.com/x.js"></script>'
            "<link href='//fonts.example.net/a.css'><img src=http://evil.example/a.png>"
            '<style>@import "https://x.example/y.css"; a{background:url(https://x.example/b)}'
            '</style><a href="/households/1/">x</a><a href="http://testserver/">home</a>'
            '<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    assert external_urls(page) == [
        "https://cdn.example.com/x.js", "//fonts.example.net/a.css",
        "http://evil.example/a.png", "https://x.example/y.css", "https://x.example/b",
    ]


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(BASE)))
def test_no_template_points_outside_the_site(path):
    assert external_urls(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", static_files(), ids=lambda p: str(p.relative_to(BASE)))
def test_no_stylesheet_points_outside_the_site(path):
    assert external_urls(path.read_text(encoding="utf-8")) == []


def test_there_are_templates_to_scan():
    names = {p.name for p in template_files()}
    assert {"base.html", "login.html", "home.html", "household_form.html"} <= names


@pytest.fixture
def pages(client, clerk_a, household_a):
    def fetch():
        yield "login", client.get(reverse("login"))
        client.force_login(clerk_a)
        yield "home", client.get(reverse("home"))
        yield "search", client.get(reverse("home"), {"q": household_a.head.name})
        yield "household detail", client.get(household_a.get_absolute_url())
        yield "household form", client.get(reverse("household_create"))
        yield "household edit", client.get(reverse("household_edit", args=[household_a.pk]))
        yield "404", client.get(reverse("household_detail", args=[999999]))

    return fetch


@pytest.mark.django_db
def test_main_pages_load_nothing_from_outside_the_site(pages):
    for name, response in pages():
        assert response.status_code in (200, 404), name
        assert external_urls(response.content.decode()) == [], name


@pytest.mark.django_db
def test_every_static_file_the_main_pages_use_is_shipped(pages):
    used = set()
    for _name, response in pages():
        used |= set(static_paths(response.content.decode()))
    assert "css/app.css" in used
    missing = sorted(p for p in used if finders.find(p) is None)
    assert missing == []
