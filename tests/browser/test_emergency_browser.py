"""急难求助 first (S11), in Chromium at a PC window and at 360 px: the clerk starts from the
workspace's 急难求助 entry, finds the household by its head's ID number and reports; the report
is on the clerk's 24-hour list with the time left; the clerk gives the aid with the cause,
救助方式 and 经办意见; the case page names the next step and who takes it; the leader sees it on
the 5-working-day list of the queue and registers it with the 审批意见, and the issued
临时救助登记审批表 carries every entry (read back with pdftotext).
"""

from __future__ import annotations

import subprocess

import pytest

from cases.models import Case, DeadlineKind
from cases.workflow import CaseKind, CaseStatus
from documents.kinds import DocumentKind
from tests.browser.conftest import DESK, SMALL_PHONE
from tests.browser.forms import submits

pytestmark = [
    pytest.mark.browser,
    pytest.mark.clause("S11"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("size", ["pc", "phone360"])
@submits("accept_start", "emergency_report", "case_action")
def test_an_emergency_starts_from_the_workspace_and_is_on_both_clocks(
        journey, size, clerk_a, leader_a, household_a):
    from playwright.sync_api import expect

    viewport, mobile = (DESK, False) if size == "pc" else (SMALL_PHONE, True)
    head = household_a.head

    # 1. From the workspace: 急难求助, the household by its head's ID number, the report.
    page = journey.page_as(clerk_a, viewport=viewport, mobile=mobile)
    page.goto(journey.url("/work/"))
    page.click("#start-emergency")
    expect(page.locator("h1")).to_have_text("急难求助")
    page.fill("#id_head_id", head.id_number)
    page.click("#lookup-submit")
    expect(page.locator("#emergency-form")).to_be_visible()
    page.select_option("#id_applicant", "0")
    page.fill("#id_hardship", "夜间房屋失火，衣物被褥全部烧毁。")
    journey.shot(page, "emergency-report", full_page=True)
    page.click("#emergency-submit")
    expect(page.locator("#next-step")).to_contain_text("下一步：24小时内先行救助")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    case = Case.objects.get(household=household_a, kind=CaseKind.TEMP_EMERGENCY)
    assert case.status == CaseStatus.EMERGENCY_REPORTED

    # 2. On the clerk's 待我处理 with its 24-hour clock.
    page.goto(journey.url("/work/"))
    row = page.locator("#waiting-emergency-aid li", has_text=case.number)
    expect(row).to_contain_text("剩余")
    expect(row).to_contain_text("小时")
    journey.shot(page, "clerk-emergency-list", full_page=True)

    # 3. The aid, with what the registration table needs.
    page.goto(journey.url(case.get_absolute_url()))
    aid = page.locator("form[action$='/do/give_aid/']")
    aid.locator("input[name$='amount']").fill("1500")
    aid.locator("select[name$='cause']").select_option("fire")
    aid.locator("input[name$='method'][value=in_kind]").check()
    aid.locator("textarea[name$='reason']").fill("房屋失火，先行发放被褥衣物。")
    aid.locator("textarea[name$='handling_opinion']").fill("情况属实，建议先行实物救助。")
    aid.locator("button[type=submit]").click()
    expect(page.locator("#next-step")).to_contain_text(
        "下一步：5个工作日内补齐登记（补齐签字、盖章，签署审批意见后出具临时救助登记审批表） — "
        "窗口经办人补齐手续，分管领导登记审批")
    expect(page.locator("#next-step")).to_contain_text("个工作日")
    journey.shot(page, "aid-given-next-step", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # 4. The leader's queue: on the 5-working-day list; registered with the 审批意见.
    page = journey.page_as(leader_a, viewport=viewport, mobile=mobile)
    page.goto(journey.url("/leader/queue/"))
    row = page.locator("#waiting-emergency-registration li", has_text=case.number)
    expect(row).to_contain_text("剩余")
    expect(row).to_contain_text("个工作日")
    journey.shot(page, "leader-emergency-list", full_page=True)
    row.locator("a").click()
    register = page.locator("form[action$='/do/register_emergency/']")
    expect(register.locator("textarea[name$='handling_opinion']")).to_have_value(
        "情况属实，建议先行实物救助。")
    register.locator("textarea[name$='leader_opinion']").fill("同意实物救助，折合1500元。")
    register.locator("input[name$='paperwork_complete']").check()
    register.locator("button[type=submit]").click()
    expect(page.locator(".badge").first).to_contain_text("已办结")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert not case.deadlines.filter(kind=DeadlineKind.EMERGENCY_REGISTRATION,
                                     settled_at__isnull=True).exists()
    with case.documents.get(kind=DocumentKind.TEMP_REGISTRATION).pdf.open("rb") as fh:
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=fh.read(),
                              capture_output=True, check=True).stdout.decode()
    for expected in ("火灾", "发放实物", "1,500.00", "情况属实，建议先行实物救助。",
                     "同意实物救助，折合1500元。"):
        assert expected in text, expected
    assert "未填写" not in text
