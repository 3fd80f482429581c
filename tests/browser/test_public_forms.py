"""The public forms in a real browser, on an office PC and on a 360-px phone: the status
look-up (/gongshi/chaxun/) and the online objection with its captcha (/gongshi/<村>/yiyi/).

Django's test client sends no Origin header, so only a real browser shows what the CSRF check
makes of the page's referrer policy: with `no-referrer` Chromium sends `Origin: null` and every
public POST is refused (403). These tests submit each form, check the Origin the browser sent,
and expect the result page.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from cases.models import Objection
from publicity import captcha
from publicity.models import ObjectionDetail
from tests.browser.conftest import DESK, SMALL_PHONE
from tests.factories import HouseholdFactory
from tests.publicity.builders import publicize

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = [pytest.param(DESK, False, id="pc"), pytest.param(SMALL_PHONE, True, id="phone-360")]


def _expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def on_display(village_a, clerk_a, verifier_a, leader_a, township_a):
    """A 低保 case of village A in its publicity period, on the village's board sheet."""
    cache.clear()  # the public forms' rate limits
    township_a.hotline = "0539-8123456"
    township_a.save(update_fields=["hotline"])
    household = HouseholdFactory(village=village_a, members=2)
    _case, entry = publicize(household, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    yield entry
    cache.clear()


def _origins(page) -> list[str]:
    """The Origin header of every POST the page sends (filled in as they go)."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.headers.get("origin", "(none)"))
            if r.method == "POST" else None)
    return sent


def _fits(page, viewport: dict) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"page is {width}px wide on a {viewport['width']}px screen"


@pytest.mark.parametrize(("viewport", "mobile"), SCREENS)
def test_a_visitor_looks_up_the_status_of_a_case(journey, on_display, viewport, mobile):
    """Guards: the public pages' referrer policy (`same-origin`, meta tag and header) that
    keeps the Origin header the CSRF check compares."""
    case = on_display.case
    page = journey.public_page(viewport=viewport, mobile=mobile)
    origins = _origins(page)
    page.goto(journey.url("/gongshi/chaxun/"))
    _fits(page, viewport)
    page.get_by_label("案件编号").fill(case.number)
    page.get_by_label("申请人身份证号码后6位").fill(case.applicant.id_number[-6:])
    journey.shot(page, "status-form", full_page=True)
    page.get_by_role("button", name="查询").click()
    _expect()(page.locator("#result")).to_have_text(f"案件{case.number}")
    _expect()(page.locator(".stage")).to_have_text("审批公示中")
    journey.shot(page, "status-result", full_page=True)
    _fits(page, viewport)
    assert origins == [journey.base]


@pytest.mark.clause("S22")
@pytest.mark.parametrize(("viewport", "mobile"), SCREENS)
def test_a_visitor_objects_online_with_the_captcha(journey, on_display, viewport, mobile):
    """Guards: the referrer policy (as above) and the captcha served locally and checked."""
    village = on_display.batch.village
    page = journey.public_page(viewport=viewport, mobile=mobile)
    origins = _origins(page)
    page.goto(journey.url(f"/gongshi/{village.code}/yiyi/"))
    image = page.locator(".pub-captcha img")
    _expect()(image).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", image.element_handle())
    _fits(page, viewport)
    page.get_by_label("对哪一户有异议").select_option(str(on_display.pk))
    page.get_by_label("异议内容").fill("该户家中有小轿车一辆，请核实。")
    key = page.locator("input[name=captcha_0]").input_value()
    page.get_by_label("验证码：请填写图中的4位数字").fill(captcha.answer_for(key))
    journey.shot(page, "objection-form", full_page=True)
    page.get_by_role("button", name="提交").click()
    _expect()(page.locator(".pub-receipt")).to_be_visible()
    journey.shot(page, "objection-receipt", full_page=True)
    _fits(page, viewport)
    assert origins == [journey.base]
    objection = Objection.objects.get(case=on_display.case)
    receipt = ObjectionDetail.objects.get(objection=objection).receipt
    _expect()(page.locator(".pub-receipt")).to_have_text(receipt)
