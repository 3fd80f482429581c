"""Screen 1 in a real browser: a registered household found by its head's ID number as the
clerk types shows an income input per member (acceptance.js); what is typed there goes into the
draft with the look-up, and the 申请书 printed from the draft shows it."""

from __future__ import annotations

import pytest

from cases.views.acceptance import DRAFT_KEY
from tests.browser.conftest import SMALL_PHONE
from tests.browser.forms import submits
from tests.factories import HouseholdFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.clause("S15"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@submits("accept_start")
def test_the_looked_up_household_takes_each_members_declared_income(journey, clerk_a,
                                                                     village_a):
    from django.contrib.sessions.models import Session
    from playwright.sync_api import expect

    household = HouseholdFactory(village=village_a, members=2)
    head, spouse = [m.person for m in household.current_members().order_by("id")]
    page = journey.page_as(clerk_a, viewport=SMALL_PHONE, mobile=True)
    page.goto(journey.url("/accept/"))
    page.locator("input[data-lookup]").press_sequentially(head.id_number, delay=5)
    box = page.locator("#lookup-result")
    expect(box).to_contain_text("找到家庭", timeout=10000)
    expect(box.locator("input")).to_have_count(2)
    page.fill(f"input[name=income_{spouse.pk}]", "1,860.5")
    journey.shot(page, "lookup-with-incomes", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    page.click("#lookup-submit")
    expect(page.locator(".steps [aria-current=step]")).to_contain_text("2")

    (session,) = [s.get_decoded() for s in Session.objects.all()
                  if DRAFT_KEY in s.get_decoded()]
    assert session[DRAFT_KEY]["incomes"] == {head.id_number: None,
                                             spouse.id_number: "1860.50"}
