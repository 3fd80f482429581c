"""Shared helpers of the browser journeys: Debian's Chromium driven by Playwright against the
live test server, signed in by session cookie, a screenshot per step, and no request allowed
to leave the live server.

* Chromium is `/usr/bin/chromium` (``executable_path``); no browser is ever downloaded.
* Signing in: `django.test.Client.force_login` makes the session and the browser gets its
  cookie (the login page, with its lockout and second factor, has its own tests).
* Staff forms: every POST the browser sends to the live server is recorded with its URL name,
  status and Origin header; a test marked `@submits("name", ...)` (tests/browser/forms.py)
  fails unless each named form was POSTed, answered below 400, with the page's own origin.
* Screenshots: `var/test-artifacts/<test>/NN-step.png` (``/var/`` is not in git). With
  ``LANSHAN_DOCS_IMG=1`` the steps that illustrate the docs are also written to `docs/img/`.
* The journeys interleave browser steps with database checks, and Playwright's sync API keeps
  an event loop in this thread, so these tests (only these) set DJANGO_ALLOW_ASYNC_UNSAFE.
  Playwright is started and stopped inside each test, never left running for the next.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
# Date inputs follow the page's lang (zh-Hans: 2026/11/26), as in an office's Chinese Chrome.
# Without the Blink feature they follow the browser's UI locale, which stays en-US (11/26/2026)
# whatever `--lang`, LANG/LANGUAGE or the context's locale say: the machine's chromium has only
# the en-US locale pack (Debian's chromium-l10n is not installed).
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run",
        "--enable-blink-features=LangAttributeAwareFormControlUI"]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"
DOCS_IMG = Path(settings.BASE_DIR) / "docs" / "img"
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "step"


class Journey:
    """One browser for one test; a separate context (cookie jar) per signed-in user."""

    def __init__(self, *, live_server, name: str):
        from playwright.sync_api import sync_playwright

        self.base = live_server.url
        self.dir = ARTIFACTS / _slug(name)
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.step = 0
        self.blocked: list[str] = []
        self.posted: dict[str, list[tuple[int, str]]] = {}  # url name -> (status, Origin)
        self._manager = sync_playwright()
        self._playwright = self._manager.start()
        self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        self._contexts = []

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def _guard(self, route) -> None:
        """Let requests to the live server through; abort and record every other one."""
        url = route.request.url
        if url.startswith((self.base + "/", "data:", "blob:")) or url == self.base:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _record(self, response) -> None:
        """Note each POST to the live server: its URL name, status and Origin header."""
        from urllib.parse import urlsplit

        from django.urls import Resolver404, resolve

        request = response.request
        if request.method != "POST" or not request.url.startswith(self.base + "/"):
            return
        try:
            name = resolve(urlsplit(request.url).path).view_name
        except Resolver404:
            name = urlsplit(request.url).path
        origin = request.header_value("origin") or ""
        self.posted.setdefault(name, []).append((response.status, origin))

    def unsubmitted(self, names) -> dict[str, list[tuple[int, str]]]:
        """The named forms not POSTed with success (status < 400) from the server's origin."""
        return {name: self.posted.get(name, []) for name in names
                if not any(status < 400 and origin == self.base
                           for status, origin in self.posted.get(name, []))}

    def page_as(self, user, *, viewport: dict = DESK, mobile: bool = False):
        """A new page signed in as `user` (a fresh session made now, on the current clock)."""
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = {"name": settings.SESSION_COOKIE_NAME,
                  "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                  "url": self.base}
        context = self.browser.new_context(viewport=viewport, device_scale_factor=1,
                                           is_mobile=mobile, has_touch=mobile, locale="zh-CN")
        context.set_default_timeout(30000)
        context.route("**/*", self._guard)
        context.on("response", self._record)
        context.add_cookies([cookie])
        self._contexts.append(context)
        return context.new_page()

    def public_page(self, *, viewport: dict = DESK, mobile: bool = False):
        """A new page for a visitor who is not signed in (the public pages under /gongshi/)."""
        context = self.browser.new_context(viewport=viewport, device_scale_factor=1,
                                           is_mobile=mobile, has_touch=mobile, locale="zh-CN")
        context.set_default_timeout(30000)
        context.route("**/*", self._guard)
        self._contexts.append(context)
        return context.new_page()

    def shot(self, page, step: str, *, full_page: bool = False, docs: str = "") -> Path:
        """Save this step's screenshot as NN-step.png and return its path; `docs` names the
        copy in `docs/img/` written when LANSHAN_DOCS_IMG is set."""
        self.step += 1
        path = self.dir / f"{self.step:02d}-{_slug(step)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        if docs and os.environ.get("LANSHAN_DOCS_IMG"):
            shutil.copyfile(path, DOCS_IMG / docs)
        return path

    def close(self) -> None:
        # While Playwright's loop runs, Django keeps this thread's connections in a separate
        # (async-context) store: close them here, or PostgreSQL keeps a session open on the
        # test database and it cannot be dropped at the end of the run.
        from django.db import connections

        connections.close_all()
        for context in self._contexts:
            context.close()
        self.browser.close()
        self._manager.__exit__(None, None, None)


@pytest.fixture
def journey(request, live_server, monkeypatch):
    """A `Journey` for this test; fails the test if any request tried to leave the server."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    trip = Journey(live_server=live_server, name=request.node.name)
    try:
        yield trip
    finally:
        trip.close()
    assert trip.blocked == [], f"requests outside the live server: {trip.blocked}"
    declared = [name for mark in request.node.iter_markers("submits") for name in mark.args]
    missing = trip.unsubmitted(declared)
    assert not missing, f"declared forms not submitted with success from Chromium: {missing}"


def photo_file(path: Path, size=(1600, 1200)) -> Path:
    """A JPEG with some texture, like a phone photo."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (180, 170, 150))
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 40):
        draw.line([(i, 0), (size[0] - i, size[1])], fill=(i % 255, 90, 60), width=7)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path
