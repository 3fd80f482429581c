"""Two whole procedures in a real browser, each person on their own screen.

1. 城乡低保: the clerk accepts the application in the three-screen flow (/accept/), the
   verification officer records the result on the case page, the village assistant records
   the home visit on a phone, the clerk proposes approval, the assistant confirms the board
   sheet posted (the 7 days start the next day), the 7 days pass (the clock is moved with
   time-machine; the live server runs in this process) and the scheduled sweep closes them,
   the leader signs off from the queue, and the district bureau receives and acknowledges
   the approval table.
2. 急难型临时救助: the emergency is reported, aid is given first (先行救助) and the paperwork
   is completed afterwards (补办).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases import idnumber, services
from cases.models import Case, HomeVisit
from cases.workflow import CaseKind, CaseStatus
from tests.browser.conftest import PHONE, SMALL_PHONE, photo_file
from tests.browser.forms import submits
from tests.factories import HouseholdFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEAD_ID = idnumber.make_number("371302", dt.date(1968, 3, 14), 226)
# A Monday morning in a year whose official calendar is known.
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


def _expect():
    from playwright.sync_api import expect

    return expect


def _status_is(page, label: str) -> None:
    _expect()(page.locator(".bar .badge").first).to_have_text(label)


def _message(page, text: str) -> None:
    _expect()(page.locator(".messages")).to_contain_text(text)


def _accepted_elsewhere(village, clerk) -> Case:
    """Another household's 低保 case, accepted through the services (not on screen)."""
    household = HouseholdFactory(village=village, members=1)
    case = services.case_create(household=household, applicant=household.head,
                                kind=CaseKind.DIBAO, by=clerk, hardship="无稳定收入。")
    for person in case.adult_members():
        services.authorization_record(case=case, person=person,
                                      signed_on=timezone.localdate(), by=clerk)
    return services.case_accept(case=case, by=clerk)


@pytest.mark.clause("S3", "S4", "S6", "S7")
@submits("accept_start", "accept_case", "accept_sign", "case_evidence", "home_visit_new",
         "case_action", "publicity_batch_confirm", "leader_queue", "district_report_ack")
def test_a_dibao_application_from_the_window_to_the_district_inbox(
        journey, village_a, clerk_a, verifier_a, leader_a, assistant_a, bureau, tmp_path):
    expect = _expect()
    with time_machine.travel(START, tick=True) as clock:
        # 1. The clerk accepts the application at the window in the three-screen flow (S3):
        #    the household and its member, then the kind and materials, then the signed
        #    authorization uploaded before the acceptance.
        page = journey.page_as(clerk_a)
        page.goto(journey.url("/work/"))
        page.click("#start-acceptance")
        expect(page.locator("h1")).to_have_text("受理申请")
        page.select_option("#id_village", str(village_a.pk))
        page.fill("#id_address", "兰山街道沂河路8号")
        page.select_option("#id_hukou_type", "rural")
        page.fill("#id_m-0-name", "孙玉兰")
        page.locator("#id_m-0-id_number").press_sequentially(HEAD_ID, delay=5)
        expect(page.locator("#id_m-0-id_number + .idcheck")).to_contain_text("号码有效")
        page.select_option("#id_m-0-relationship", "head")
        page.select_option("#id_m-0-hukou_type", "rural")
        page.click("#household-submit")
        page.check("input[name=kind][value=dibao]")
        page.fill("#id_hardship", "患慢性病，无稳定收入。")
        page.check("input[name=materials][value=申请人居民身份证]")
        page.check("input[name=materials][value=社会救助申请书]")
        page.click("#case-submit")
        page.set_input_files("#scans", str(photo_file(tmp_path / "authorization.jpg")))
        expect(page.locator("#scan-for-0")).to_have_value("0")
        page.click("#accept-submit")
        expect(page.locator("h1")).to_have_text("受理完成")
        journey.shot(page, "clerk-accepted")
        case = Case.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[-1]))
        head = case.applicant
        assert head.name == "孙玉兰"
        assert case.status == CaseStatus.INVESTIGATING
        assert case.created_by == clerk_a and case.accepted_at is not None
        page.goto(journey.url(case.get_absolute_url()))
        _status_is(page, "核对与入户调查")
        expect(page.locator("#clocks")).to_contain_text("受理后20个工作日内完成核对")

        # 2. The verification officer records the result on the case page (S4).
        clock.shift(dt.timedelta(hours=3))
        page = journey.page_as(verifier_a)
        page.goto(journey.url(case.get_absolute_url()))
        form = page.locator("form[action$='/record/verification/']")
        form.locator("input[name$='monthly_income']").fill("300")
        form.locator("textarea[name$='conclusion']").fill("家庭人均收入低于当地低保标准。")
        form.get_by_role("button", name="保存").click()
        _message(page, "已记录。")
        journey.shot(page, "verifier-recorded")
        assert case.verification_reports.count() == 1

        # 3. The village assistant finds the visit on 我的村居 and records it on a phone (S4).
        clock.shift(dt.timedelta(days=1))
        phone = journey.page_as(assistant_a, viewport=PHONE, mobile=True)
        phone.goto(journey.url("/assistant/"))
        expect(phone.locator("#visits")).to_contain_text(head.name)
        phone.locator(f"#visits a[href='/cases/{case.pk}/home-visit/']").click()
        expect(phone.locator("h1")).to_have_text("入户调查")
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        phone.fill("#id_investigator_1", "王强")
        phone.fill("#id_investigator_2", "李娜")
        phone.select_option("#id_housing_type", "self_built")
        phone.fill("#id_housing_area", "58.5")
        phone.fill("#id_vehicles", "无")
        phone.check("input[name=recommendation][value=eligible]")
        phone.fill("#id_conclusion", "家庭人均收入低于当地低保标准，住房简陋。")
        phone.evaluate("window.scrollTo(0, 0)")
        journey.shot(phone, "assistant-home-visit", docs="phone-home-visit.png")
        phone.locator("button[type=submit]").click()
        phone.wait_for_url(journey.url(f"/assistant/?saved={case.pk}"))
        expect(phone.locator(".messages")).to_contain_text("入户调查已保存")
        visit = HomeVisit.objects.get(case=case)
        assert visit.recorded_by == assistant_a
        assert visit.investigators == ["王强", "李娜"]

        # 4. The clerk calculates the amount, then proposes approval with the calculated
        #    figures: publicity in the village starts (S6).
        page = journey.page_as(clerk_a)
        page.goto(journey.url(case.get_absolute_url()))
        propose = page.locator("form[action$='/do/propose_approval/']")
        expect(propose).to_contain_text("尚未进行保障金额计算")
        page.goto(journey.url(f"/cases/{case.pk}/assessment/"))
        page.get_by_role("button", name="计算并保存").click()
        expect(page.locator("#calculation")).to_contain_text("符合条件")
        assessment = case.assessments.get()
        page.goto(journey.url(case.get_absolute_url()))
        propose = page.locator("form[action$='/do/propose_approval/']")
        expect(propose).to_contain_text(
            f"{assessment.amount}元/月，保障{assessment.covered_persons}人")
        propose.locator("textarea[name$='opinion']").fill("符合条件，同意纳入保障。")
        propose.locator("button[type=submit]").click()
        _message(page, "操作已完成。")
        _status_is(page, "审批公示中")
        # The 7 days start only once the sheet is on the village board.
        expect(page.locator("#blocked-actions")).to_contain_text("公示单尚未确认张贴")
        case.refresh_from_db()
        assert case.status == CaseStatus.IN_PUBLICITY
        assert services.case_publicity_period(case) is None
        assert case.proposed_amount == assessment.amount and not case.amount_overridden
        batch = case.publicity_entry.batch

        # 5. The assistant prints, posts and confirms the board sheet with a photo. Another
        #    household of the village has meanwhile been accepted and waits for its visit.
        other = _accepted_elsewhere(village_a, clerk_a)
        phone = journey.page_as(assistant_a, viewport=SMALL_PHONE, mobile=True)
        phone.goto(journey.url("/assistant/"))
        expect(phone.locator("#boards")).to_contain_text("待张贴确认")
        expect(phone.locator("#objections")).to_contain_text(head.name)
        expect(phone.locator("#visits")).to_contain_text(other.applicant.name)
        assert phone.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
        journey.shot(phone, "assistant-home", full_page=True, docs="assistant-home.png")
        phone.locator("#boards a.task").first.click()
        expect(phone.locator("#confirm")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
        phone.fill("#id_posted_place", "村委会公示栏")
        phone.set_input_files("#id_photo", str(photo_file(tmp_path / "board.jpg")))
        phone.get_by_role("button", name="确认已张贴").click()
        _message(phone, "已确认张贴。")
        batch.refresh_from_db()
        assert batch.confirmed_by == assistant_a
        period = services.case_publicity_period(case)
        assert period.first_day == timezone.localdate(batch.posted_at) + dt.timedelta(days=1)
        expect(phone.locator("dl.facts")).to_contain_text(
            f"{period.first_day:%Y年}{period.first_day.month}月{period.first_day.day}日至")

        # 6. Seven days pass with no objection; the scheduled sweep closes publicity (S6, S7).
        clock.shift(dt.timedelta(days=8))
        from cases.tasks import sweep_deadlines_task

        assert sweep_deadlines_task()["publicity_closed"] == 1
        case.refresh_from_db()
        assert case.status == CaseStatus.AWAITING_SIGN_OFF

        # 7. The leader signs off from the queue (S7).
        page = journey.page_as(leader_a)
        page.goto(journey.url("/leader/queue/"))
        expect(page.locator("h1")).to_have_text("待审批案件（1）")
        row = page.locator("tr", has_text=case.number)
        expect(row).to_contain_text("公示期满无异议")
        row.locator("input[type=checkbox]").check()
        page.get_by_role("button", name="对所选案件审批同意").click()
        _message(page, f"已审批同意1件：{case.number}。")
        case.refresh_from_db()
        assert case.status == CaseStatus.APPROVED
        page.goto(journey.url(case.get_absolute_url()))
        _status_is(page, "已批准")
        journey.shot(page, "case-page", full_page=True, docs="case-page.png")
        page.locator("nav.tabs").get_by_role("link", name="办理轨迹").click()
        expect(page.locator("nav.tabs [aria-current=page]")).to_have_text("办理轨迹")
        expect(page.locator("#timeline")).to_contain_text("审批同意")

        # 8. The district bureau sees the approval table in its inbox and acknowledges it.
        page = journey.page_as(bureau)
        page.goto(journey.url("/district/approval-tables/"))
        row = page.locator("tr", has_text=case.number)
        expect(row).to_contain_text(head.name)
        row.get_by_role("button", name="签收").click()
        _message(page, "已签收审核审批表")
        journey.shot(page, "bureau-acknowledged")
        report = case.district_reports.get()
        assert report.acknowledged_by == bureau
    assert journey.blocked == []


@pytest.mark.clause("S11")
@submits("case_create", "case_action")
def test_an_emergency_is_aided_first_and_the_paperwork_completed_after(
        journey, village_a, clerk_a, leader_a):
    expect = _expect()
    with time_machine.travel(START, tick=True) as clock:
        household = HouseholdFactory(village=village_a, members=2)
        head = household.head

        # 1. The clerk registers the emergency: the 24-hour clock starts (S11).
        page = journey.page_as(clerk_a)
        page.goto(journey.url(household.get_absolute_url()))
        page.get_by_role("link", name="登记救助申请").click()
        page.select_option("#id_kind", CaseKind.TEMP_EMERGENCY)
        page.select_option("#id_applicant", str(head.pk))
        page.fill("#id_hardship", "房屋失火，生活无着。")
        page.get_by_role("button", name="登记").click()
        _message(page, "已登记申请，案件编号")
        _status_is(page, "急难求助已报告")
        case = Case.objects.get(household=household)
        assert case.status == CaseStatus.EMERGENCY_REPORTED
        expect(page.locator("#clocks")).to_contain_text("24小时内先行救助")
        journey.shot(page, "emergency-reported")

        # 2. Within hours the clerk gives the aid first (先行救助).
        clock.shift(dt.timedelta(hours=3))
        page = journey.page_as(clerk_a)
        page.goto(journey.url(case.get_absolute_url()))
        expect(page.locator("#clocks")).to_contain_text("24小时内先行救助")
        aid = page.locator("form[action$='/do/give_aid/']")
        aid.locator("input[name$='amount']").fill("2000")
        aid.locator("select[name$='cause']").select_option("fire")
        aid.locator("input[name$='method'][value=cash]").check()
        aid.locator("textarea[name$='reason']").fill("房屋失火，生活无着，先行救助。")
        aid.locator("textarea[name$='handling_opinion']").fill("情况属实，建议先行救助。")
        aid.locator("button[type=submit]").click()
        _message(page, "操作已完成。")
        _status_is(page, "已先行救助")
        expect(page.locator("dl.facts")).to_contain_text("2000.00元")
        journey.shot(page, "aid-given")
        case.refresh_from_db()
        assert case.status == CaseStatus.AID_GIVEN
        assert case.aid_amount == Decimal("2000.00")

        # 3. Days later the leader registers it and confirms signatures and seals (补办).
        clock.shift(dt.timedelta(days=2))
        page = journey.page_as(leader_a)
        page.goto(journey.url(case.get_absolute_url()))
        register = page.locator("form[action$='/do/register_emergency/']")
        register.locator("input[name$='amount']").fill("2000")
        register.locator("textarea[name$='reason']").fill("房屋失火，生活无着。")
        register.locator("textarea[name$='leader_opinion']").fill("同意救助2000元。")
        register.locator("input[type=checkbox]").check()
        register.locator("button[type=submit]").click()
        _message(page, "操作已完成。")
        _status_is(page, "已办结")
        page.locator("nav.tabs").get_by_role("link", name="办理轨迹").click()
        expect(page.locator("#timeline")).to_contain_text("登记并补齐手续")
        journey.shot(page, "emergency-closed", full_page=True)
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED
    assert journey.blocked == []


def test_the_guard_stops_and_records_a_request_to_another_host(journey, clerk_a):
    from playwright.sync_api import Error

    page = journey.page_as(clerk_a)
    page.goto(journey.url("/cases/"))
    _expect()(page.locator("h1")).to_contain_text("案件")
    assert journey.blocked == []
    with pytest.raises(Error):
        page.goto("http://198.51.100.7/gongshi/")
    assert journey.blocked == ["http://198.51.100.7/gongshi/"]
    journey.blocked.clear()  # seen; the fixture checks the list again at teardown
