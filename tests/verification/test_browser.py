"""A village assistant records a home visit with a photo on a phone (390 × 844), in a real
browser: Debian's Chromium driven by Playwright against the live test server.

The database work happens outside the `sync_playwright()` block (Django refuses database
calls inside its event loop), so no DJANGO_ALLOW_ASYNC_UNSAFE is needed.
"""

from __future__ import annotations

import io

import pytest

from cases.demo_cases import build_case
from cases.models import HomeVisit

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.clause("S4"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _photo(path) -> None:
    """A 2400 × 1800 JPEG with some texture, like a phone photo (shrunk in the browser)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (2400, 1800), (180, 170, 150))
    draw = ImageDraw.Draw(image)
    for i in range(0, 2400, 40):
        draw.line([(i, 0), (2400 - i, 1800)], fill=(i % 255, 90, 60), width=7)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    path.write_bytes(buf.getvalue())


def test_the_assistant_records_a_home_visit_with_a_photo_on_a_phone(
        officer_a, live_server, household_a, clerk_a, verifier_a, leader_a, assistant_a, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    case = build_case("investigating", household=household_a, clerk=clerk_a,
                      verifier=officer_a, leader=leader_a, days_ago=2)
    members = [m.person for m in case.household.current_members()]
    visits_before = HomeVisit.objects.filter(case=case).count()
    photo = tmp_path / "门口.jpg"
    _photo(photo)
    url = f"{live_server.url}/cases/{case.pk}/home-visit/"
    # Signed in as assistant_a: the session is made here, outside the browser block, and
    # handed to the browser as its cookie (the login page has its own tests).
    from django.conf import settings
    from django.test import Client

    session = Client()
    session.force_login(assistant_a)
    cookie = {"name": settings.SESSION_COOKIE_NAME,
              "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
              "url": live_server.url}

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844},
                                      device_scale_factor=3, is_mobile=True, has_touch=True,
                                      locale="zh-CN")
        context.add_cookies([cookie])
        page = context.new_page()
        external = []
        page.on("request", lambda r: external.append(r.url)
                if not r.url.startswith(live_server.url) and not r.url.startswith(("data:",
                                                                                   "blob:"))
                else None)
        page.goto(url)
        expect(page.locator("h1")).to_have_text("入户调查")
        # One column on a phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.fill("#id_investigator_1", "王强")
        page.fill("#id_investigator_2", "李娜")
        page.select_option("#id_housing_type", "self_built")
        page.fill("#id_housing_area", "58.5")
        page.fill("#id_housing_condition", "砖混平房，无装修")
        page.fill("#id_durable_goods", "旧电视机一台")
        page.fill("#id_vehicles", "无")
        page.select_option(f"#id_labour_{members[0].pk}", "partial")
        page.fill("#id_income_sources", "务农，年收入约3000元")
        page.set_input_files("#id_photos", str(photo))
        expect(page.locator("#photo-status")).to_contain_text("已选1张照片", timeout=15000)
        expect(page.locator("#photo-thumbs img")).to_have_count(1)
        page.check("input[name=recommendation][value=eligible]")
        page.fill("#id_conclusion", "家庭人均收入低于当地低保标准，住房简陋。")
        page.click("button[type=submit]")
        # Saved: back to 我的村居 for the next house.
        page.wait_for_url(f"{live_server.url}/assistant/?saved={case.pk}", timeout=20000)
        expect(page.locator("h1")).to_have_text("我的村居")
        expect(page.locator(".messages")).to_contain_text("入户调查已保存")
        expect(page.locator(".messages")).to_contain_text("照片1张")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        context.close()
        browser.close()

    assert external == []
    visits = HomeVisit.objects.filter(case=case).order_by("id")
    assert visits.count() == visits_before + 1
    visit = visits.last()
    assert visit.recorded_by == assistant_a
    assert visit.investigators == ["王强", "李娜"]
    assert visit.housing_type == "self_built"
    assert visit.recommendation == "eligible"
    assert {c["person"]: c["labour"] for c in visit.member_conditions}[members[0].pk] == \
        "partial"
    photo_row = visit.photos.get()
    assert max(photo_row.width, photo_row.height) == 1600
