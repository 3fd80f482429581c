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


@pytest.mark.parametrize("viewport", ["pc", "phone360"])
@submits("case_create")
def test_the_household_pages_application_form_takes_each_members_declared_income(
        journey, clerk_a, village_a, viewport):
    """The household page's 登记救助申请: an income typed for one member is stored for the case,
    a member left blank is stored as not declared (no row), and a wrong amount is refused in
    Chinese with nothing saved."""
    from playwright.sync_api import expect

    from cases.models import Case, DeclaredIncome
    from tests.browser.conftest import DESK

    phone = viewport == "phone360"
    household = HouseholdFactory(village=village_a, members=2)
    head, spouse = [m.person for m in household.current_members().order_by("id")]
    page = journey.page_as(clerk_a, viewport=SMALL_PHONE if phone else DESK, mobile=phone)
    page.goto(journey.url(household.get_absolute_url()))
    page.get_by_role("link", name="登记救助申请").click()
    page.select_option("#id_applicant", str(head.pk))
    page.fill("#id_hardship", "家中主要劳动力患病，无稳定收入。")
    page.fill(f"input[name=income_{head.pk}]", "-5")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("form.card")).to_contain_text("月收入不能为负数；没有收入的请填0。")
    assert not Case.objects.filter(household=household).exists()

    page.fill(f"input[name=income_{head.pk}]", "")
    page.fill(f"input[name=income_{spouse.pk}]", "1,200.5")
    journey.shot(page, f"case-create-incomes-{viewport}", full_page=True)
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    page.get_by_role("button", name="登记").click()
    expect(page.locator(".messages")).to_contain_text("已登记申请，案件编号")
    case = Case.objects.get(household=household)
    assert {(d.person_id, str(d.monthly_amount))
            for d in DeclaredIncome.objects.filter(case=case)} == {(spouse.pk, "1200.50")}
    assert journey.blocked == []
