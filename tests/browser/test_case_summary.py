"""The case summary's moves in Chromium, at a PC window and at 360 px: what can be done now
is a form with its button, what is still blocked is listed with a link to where it is done."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESK, SMALL_PHONE
from tests.cases.test_case_summary_moves import accepted_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("viewport", [DESK, SMALL_PHONE], ids=["pc", "360px"])
def test_summary_shows_offered_and_blocked_moves(journey, viewport, village_a, clerk_a,
                                                 verifier_a, leader_a):
    from playwright.sync_api import expect

    case = accepted_case(village_a, clerk_a, verifier_a, leader_a)
    page = journey.page_as(clerk_a, viewport=viewport, mobile=viewport is SMALL_PHONE)
    page.goto(journey.url(f"/cases/{case.pk}/"))

    blocked = page.locator("#blocked-actions")
    expect(blocked).to_contain_text("受理核对结果异议")
    expect(blocked).to_contain_text("尚未录入家庭经济状况核对报告")
    expect(blocked.locator("button")).to_have_count(0)
    expect(page.locator("#actions").get_by_role("button", name="审核同意并公示")).to_have_count(0)
    withdraw = page.locator('#actions button[value="withdraw"]')
    expect(withdraw).to_be_visible()
    expect(withdraw).to_have_class("danger")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    journey.shot(page, "summary", full_page=True)

    blocked.locator('li[data-action="propose_approval"]').get_by_role(
        "link", name="入户调查").click()
    expect(page).to_have_url(journey.url(f"/cases/{case.pk}/visits/"))


@pytest.mark.parametrize("viewport", [DESK, SMALL_PHONE], ids=["pc", "360px"])
def test_a_rejected_form_is_summarized_and_its_first_error_has_the_focus(
        journey, viewport, village_a, clerk_a, verifier_a, leader_a):
    from playwright.sync_api import expect

    case = accepted_case(village_a, clerk_a, verifier_a, leader_a)
    page = journey.page_as(clerk_a, viewport=viewport, mobile=viewport is SMALL_PHONE)
    page.goto(journey.url(f"/cases/{case.pk}/"))
    page.fill("#id_withdraw-note", "   ")  # passes the browser's check, not the server's
    page.locator('#actions button[value="withdraw"]').click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("请更正以下1项后重新提交")
    expect(summary.get_by_role("link", name="撤回方式和理由")).to_be_visible()
    expect(page.locator("#id_withdraw-note")).to_be_focused()
    journey.shot(page, "form-errors")
