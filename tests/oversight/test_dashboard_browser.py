"""The bureau's dashboard in a real browser (Debian's Chromium via Playwright, 1280 wide): the
SVG charts render and nothing is fetched from outside the live server.

The database work happens outside the `sync_playwright()` block. The screenshot goes to
var/test-artifacts/oversight/dashboard.png (docs/img/dashboard.png is a copy of it).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from cases.deadlines import SHANGHAI
from cases.permissions import Role
from cases.workflow import CaseStatus
from oversight.aggregates import add_months, last_months, refresh_dashboard
from tests.factories import make_user

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "oversight"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _history(mark_decided, staff_by_village) -> None:
    """A year of decisions in three townships, a few open cases."""
    rng = random.Random(2026)
    today = timezone.localdate()
    months = last_months(today)
    for village, staff in staff_by_village:
        for month in months[-8:]:
            for _ in range(rng.randint(0, 2)):
                end = min(add_months(month, 1) - dt.timedelta(days=1), today)
                decided = dt.datetime.combine(
                    month + dt.timedelta(days=rng.randint(0, (end - month).days)),
                    dt.time(10), tzinfo=SHANGHAI)
                applied = decided - dt.timedelta(days=rng.choice((12, 18, 24, 27, 33)))
                status = rng.choice((CaseStatus.APPROVED,) * 3 + (CaseStatus.REJECTED,))
                mark_decided(status, village=village, staff=staff, decided_at=decided,
                             applied_at=applied, amount=Decimal(rng.choice((480, 560, 650))))
        mark_decided(CaseStatus.INVESTIGATING, village=village, staff=staff,
                     decided_at=None)


def test_the_dashboard_renders_its_svg_charts_with_nothing_from_outside(
        live_server, bureau, mark_decided, decide, village_a, village_b, village_c,
        township_b, township_c, clerk_a, verifier_a, leader_a, clerk_b):
    staff_b = (clerk_b, make_user("verifier_b", Role.VERIFIER, townships=[township_b]),
               make_user("leader_b", Role.LEADER, townships=[township_b]))
    staff_c = tuple(make_user(f"{r.name.lower()}_c", r, townships=[township_c])
                    for r in (Role.CLERK, Role.VERIFIER, Role.LEADER))
    _history(mark_decided, [(village_a, (clerk_a, verifier_a, leader_a)),
                            (village_b, staff_b), (village_c, staff_c)])
    decide("investigating", days_ago=40)  # one breached decision clock
    refresh_dashboard()

    from django.test import Client

    session = Client()
    session.force_login(bureau)
    cookie = {"name": settings.SESSION_COOKIE_NAME,
              "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
              "url": live_server.url}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "dashboard.png"

    from playwright.sync_api import expect, sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      locale="zh-CN")
        context.add_cookies([cookie])
        page = context.new_page()
        page.on("request", lambda r: outside.append(r.url)
                if not r.url.startswith((live_server.url, "data:", "blob:")) else None)
        page.goto(f"{live_server.url}/oversight/")
        expect(page.locator("h1")).to_have_text("全区总览")
        charts = page.locator("svg.chart")
        expect(charts).to_have_count(2)
        # The bars and points are drawn with a real size, not collapsed.
        box = charts.first.bounding_box()
        assert box["width"] > 400 and box["height"] > 180
        assert page.locator("svg.chart rect.bar").count() == 36
        assert page.locator("svg.chart circle.point").count() >= 1
        assert page.locator("svg.chart line.limit").count() == 1
        expect(page.get_by_role("link", name="全区总览")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=str(shot), full_page=True)
        context.close()
        browser.close()
    assert outside == []
    assert shot.stat().st_size > 10_000
