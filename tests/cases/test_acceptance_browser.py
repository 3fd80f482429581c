"""A window clerk takes an application from the workspace to the printed bundle in at most
three screens (S15 最多跑一次), in a real browser: Debian's Chromium driven by Playwright
against the live test server.

The database work happens outside the `sync_playwright()` block (Django refuses database
calls inside its event loop). Screenshots go to var/test-artifacts/ (not committed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from cases import idnumber
from cases.demo_cases import build_case
from cases.models import Case
from cases.workflow import CaseStatus
from documents.kinds import DocumentKind
from tests.factories import HouseholdFactory

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.clause("S15"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEAD_ID = idnumber.make_number("371302", dt.date(1971, 5, 20), 318)
CHILD_ID = idnumber.make_number("371302", dt.date(2014, 9, 3), 322)


def _session_cookie(user, live_server) -> dict:
    from django.test import Client

    session = Client()
    session.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME,
            "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url}


def test_a_clerk_accepts_an_application_in_three_screens_and_prints_the_bundle(
        live_server, clerk_a, verifier_a, leader_a, village_a):
    from playwright.sync_api import expect, sync_playwright

    # Some work on the desk, so the workspace shows what a morning looks like.
    for state, days in (("received", 1), ("investigating", 22), ("investigating", 3),
                        ("in_publicity", 20)):
        build_case(state, household=HouseholdFactory(village=village_a, members=2),
                   clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=days)
    cases_before = set(Case.objects.values_list("pk", flat=True))
    cookie = _session_cookie(clerk_a, live_server)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      locale="zh-CN")
        context.add_cookies([cookie])
        page = context.new_page()
        external, screens = [], []
        page.on("request", lambda r: external.append(r.url)
                if not r.url.startswith(live_server.url) and not r.url.startswith(("data:",
                                                                                   "blob:"))
                else None)
        page.on("framenavigated", lambda f: screens.append(f.url)
                if f == page.main_frame else None)

        page.goto(f"{live_server.url}/work/")
        expect(page.locator("h1")).to_contain_text("窗口工作台")
        expect(page.locator("#waiting-accept li")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "clerk-home.png"), full_page=True)
        screens.clear()  # the flow starts here

        # Screen 1: a new household with its members, ID numbers checked as they are typed.
        page.click("#start-acceptance")
        expect(page.locator("h1")).to_have_text("受理申请")
        page.select_option("#id_village", str(village_a.pk))
        page.fill("#id_address", "兰山街道测试路12号")
        page.select_option("#id_hukou_type", "rural")
        page.fill("#id_m-0-name", "钱守信")
        page.locator("#id_m-0-id_number").press_sequentially(HEAD_ID[:-1] + (
            "0" if HEAD_ID[-1] != "0" else "1"), delay=5)
        expect(page.locator("#id_m-0-id_number + .idcheck")).to_have_class(
            "idcheck error", timeout=10000)
        page.fill("#id_m-0-id_number", "")
        page.locator("#id_m-0-id_number").press_sequentially(HEAD_ID, delay=5)
        expect(page.locator("#id_m-0-id_number + .idcheck")).to_contain_text(
            "号码有效", timeout=10000)
        page.select_option("#id_m-0-relationship", "head")
        page.select_option("#id_m-0-hukou_type", "rural")
        page.click("#add-member")
        page.fill("#id_m-1-name", "钱浩然")
        page.locator("#id_m-1-id_number").press_sequentially(CHILD_ID, delay=5)
        expect(page.locator("#id_m-1-id_number + .idcheck")).to_contain_text("号码有效",
                                                                             timeout=10000)
        page.select_option("#id_m-1-relationship", "son")
        page.select_option("#id_m-1-hukou_type", "rural")
        page.screenshot(path=str(ARTIFACTS / "accept-1-household.png"), full_page=True)
        page.click("#household-submit")

        # Screen 2: kind, hardship, materials, the adult's authorization.
        expect(page.locator("h2").first).to_contain_text("申请家庭")
        page.check("input[name=kind][value=dibao]")
        expect(page.locator("#auth-section")).to_be_visible()
        page.fill("#id_hardship", "户主患慢性病，无稳定收入，子女在读小学。")
        page.check("input[name=materials][value=申请人居民身份证]")
        page.check("input[name=materials][value=社会救助申请书]")
        page.check("#id_auth_0")
        expect(page.locator("#id_auth_1")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / "accept-2-case.png"), full_page=True)
        page.click("#accept-submit")

        # Screen 3: accepted; the bundle and the acceptance notice print as PDFs.
        expect(page.locator("h1")).to_have_text("受理完成")
        page.screenshot(path=str(ARTIFACTS / "accept-3-done.png"), full_page=True)
        flow_screens = list(screens)
        bundle = page.request.get(live_server.url + page.get_attribute("#print-bundle",
                                                                       "href"))
        notice = page.request.get(live_server.url + page.get_attribute("#print-notice",
                                                                       "href"))
        bundle_status, bundle_type = bundle.status, bundle.headers["content-type"]
        bundle_body = bundle.body()
        notice_status, notice_type = notice.status, notice.headers["content-type"]
        context.close()
        browser.close()

    assert len(flow_screens) <= 3, flow_screens
    assert [u.removeprefix(live_server.url).split("?")[0] for u in flow_screens] == [
        "/accept/", "/accept/case/", flow_screens[-1].removeprefix(live_server.url)]
    assert flow_screens[-1].removeprefix(live_server.url).startswith("/accept/done/")
    assert (bundle_status, bundle_type) == (200, "application/pdf")
    assert bundle_body.startswith(b"%PDF")
    assert (notice_status, notice_type) == (200, "application/pdf")
    assert external == []

    (case,) = Case.objects.exclude(pk__in=cases_before)
    assert case.status == CaseStatus.INVESTIGATING and case.created_by == clerk_a
    assert case.applicant.id_number == HEAD_ID
    assert {m.person.id_number for m in case.household.current_members()} == {HEAD_ID,
                                                                               CHILD_ID}
    assert [a.person.id_number for a in case.authorizations.all()] == [HEAD_ID]
    assert case.documents.filter(kind=DocumentKind.ACCEPTANCE).count() == 1
