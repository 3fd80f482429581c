"""The payee-account change in a real browser: the clerk asks on the household page with the
bank card's scan, the leader confirms from their list — on a desk screen and on a 360 px phone."""

from __future__ import annotations

import pytest

from cases.models import AccountChange, Household
from cases.permissions import Role
from tests.browser.conftest import DESK, SMALL_PHONE
from tests.browser.forms import submits
from tests.factories import HouseholdFactory, make_user
from tests.security.world import pdf_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_ACCOUNT = "6228480000007654321"


def _expect():
    from playwright.sync_api import expect

    return expect


@submits("household_account", "account_change_confirm")
@pytest.mark.parametrize("viewport", [DESK, SMALL_PHONE], ids=["desk", "phone-360"])
def test_a_clerk_asks_and_the_leader_confirms_an_account_change(journey, village_a, clerk_a,
                                                                 leader_a, tmp_path, viewport):
    expect = _expect()
    mobile = viewport is SMALL_PHONE
    household = HouseholdFactory(village=village_a, members=2)
    household.bank_name, household.bank_account = "临沂农商银行", "6217000010001234567"
    household.save(update_fields=["bank_name", "bank_account"])
    make_user("assistant_x", Role.ASSISTANT, villages=[village_a])
    scan = tmp_path / "card.pdf"
    scan.write_bytes(pdf_bytes())

    page = journey.page_as(clerk_a, viewport=viewport, mobile=mobile)
    page.goto(journey.url(household.get_absolute_url()))
    expect(page.locator("#payee-account")).to_contain_text("6217***********4567")
    page.click("#payee-account a.button")
    page.fill("#id_bank_name", "中国农业银行临沂兰山支行")
    page.fill("#id_bank_account", NEW_ACCOUNT)
    page.fill("#id_reason", "原银行卡遗失，已补办新卡。")
    page.set_input_files("#id_scan", str(scan))
    journey.shot(page, "clerk-fills-the-account-change", full_page=True)
    if mobile:
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    page.click("#account-change-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("待分管领导确认")
    expect(page.locator("#payee-account")).to_contain_text("待确认")
    assert Household.objects.get(pk=household.pk).bank_account == "6217000010001234567"

    leader = journey.page_as(leader_a, viewport=viewport, mobile=mobile)
    leader.goto(journey.url("/leader/queue/"))
    leader.click("#account-changes-link")
    card = leader.locator("section.account-change").first
    expect(card).to_contain_text("原银行卡遗失")
    expect(card).to_contain_text("6228***********4321")
    journey.shot(leader, "leader-sees-the-change-to-confirm", full_page=True)
    if mobile:
        assert leader.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    card.get_by_role("button", name="确认变更").click()
    expect(leader.locator(".messages")).to_contain_text("已确认收款账户变更")
    journey.shot(leader, "leader-confirmed")

    change = AccountChange.objects.get()
    assert change.status == AccountChange.Status.CONFIRMED and change.decided_by == leader_a
    assert Household.objects.get(pk=household.pk).bank_account == NEW_ACCOUNT


@submits("account_change_refuse")
def test_the_leader_refuses_an_account_change_with_a_reason(journey, village_a, clerk_a,
                                                           leader_a):
    """The leader's 退回 form in Chromium: the change is refused with its reason and the
    household keeps the confirmed account."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.payee import account_change_request

    expect = _expect()
    household = HouseholdFactory(village=village_a, members=2)
    household.bank_name, household.bank_account = "临沂农商银行", "6217000010001234567"
    household.save(update_fields=["bank_name", "bank_account"])
    account_change_request(household=household, by=clerk_a, bank_name="中国农业银行临沂兰山支行",
                           bank_account=NEW_ACCOUNT, bank_payee="", reason="原银行卡遗失。",
                           scan=SimpleUploadedFile("card.pdf", pdf_bytes(),
                                                   content_type="application/pdf"))
    leader = journey.page_as(leader_a, viewport=DESK)
    leader.goto(journey.url("/households/account-changes/"))
    card = leader.locator("section.account-change").first
    card.locator("textarea[name=reason]").fill("扫描件上的户名与户主不一致，请核实后重新申请。")
    card.get_by_role("button", name="退回").click()
    expect(leader.locator(".messages")).to_contain_text("已退回收款账户变更")
    change = AccountChange.objects.get()
    assert change.status == AccountChange.Status.REFUSED and change.decided_by == leader_a
    assert Household.objects.get(pk=household.pk).bank_account == "6217000010001234567"
