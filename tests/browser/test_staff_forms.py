"""Staff forms submitted in Chromium, the way the offices submit them: a real browser sends
an Origin header (and `Origin: null` under a wrong referrer policy), which Django's test client
never does. Each test shares one browser and one signed-in page per person, and the `journey`
fixture checks that every form named in `@submits` was POSTed from the page's own origin and
accepted (tests/browser/forms.py).

PC-sized windows for the desk forms; 360 px for the forms village assistants use on phones.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import idnumber
from cases.demo_cases import build_case
from cases.models import Household, Objection, VerificationRequest
from cases.permissions import Role
from cases.verification import services as vs
from tests.browser.conftest import SMALL_PHONE
from tests.browser.forms import submits
from tests.factories import HouseholdFactory, make_user
from tests.verification.conftest import scan_all

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
HEAD_ID = idnumber.make_number("371302", dt.date(1972, 5, 9), 118)
SPOUSE_ID = idnumber.make_number("371302", dt.date(1975, 8, 21), 226)


def _expect():
    from playwright.sync_api import expect

    return expect


def _message(page, text: str) -> None:
    _expect()(page.locator(".messages")).to_contain_text(text)


def _fits(page, viewport: dict) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.clause("S21")
@submits("household_create", "household_edit", "logout")
def test_the_clerk_registers_and_edits_a_household_on_a_pc(journey, village_a, clerk_a):
    expect = _expect()
    with time_machine.travel(START, tick=True):
        page = journey.page_as(clerk_a)
        page.goto(journey.url("/households/new/"))
        expect(page.locator("h1")).to_have_text("登记新家庭")
        page.select_option("#id_village", str(village_a.pk))
        page.fill("#id_address", "兰山街道通达路12号")
        page.select_option("#id_hukou_type", "rural")
        page.fill("#id_m-0-name", "周桂兰")
        page.locator("#id_m-0-id_number").press_sequentially(HEAD_ID, delay=2)
        page.select_option("#id_m-0-relationship", "head")
        page.select_option("#id_m-0-hukou_type", "rural")
        page.get_by_role("button", name="保存").click()
        _message(page, "家庭信息已保存。")
        household = Household.objects.get(address="兰山街道通达路12号")
        assert [m.person.name for m in household.current_members()] == ["周桂兰"]

        # The edit form: a new address and a second member in the blank row.
        page.goto(journey.url(f"/households/{household.pk}/edit/"))
        expect(page.locator("h1")).to_contain_text("修改家庭")
        page.fill("#id_address", "兰山街道通达路14号")
        page.fill("#id_m-1-name", "孙建国")
        page.locator("#id_m-1-id_number").press_sequentially(SPOUSE_ID, delay=2)
        page.select_option("#id_m-1-relationship", "spouse")
        page.select_option("#id_m-1-hukou_type", "rural")
        page.get_by_role("button", name="保存").click()
        _message(page, "家庭信息已保存。")
        journey.shot(page, "household-saved")
        household.refresh_from_db()
        assert household.address == "兰山街道通达路14号"
        assert sorted(m.person.name for m in household.current_members()) == ["周桂兰",
                                                                              "孙建国"]

        # Signing out is a form too (POST only).
        page.get_by_role("button", name="退出").click()
        page.wait_for_url("**/login/**")


@pytest.mark.clause("S4", "S19", "S20")
@submits("verification_cancel", "verification_query", "verification_compile")
def test_the_verification_officer_queries_cancels_and_compiles_on_a_pc(
        journey, village_a, clerk_a, leader_a, settings):
    expect = _expect()
    settings.VERIFICATION_SIMULATED_SOURCE = True  # the demo's channel that answers at once
    with time_machine.travel(START, tick=True):
        officer = make_user("officer_a", Role.VERIFIER, townships=[village_a.township])
        household = HouseholdFactory(village=village_a, members=2)
        case = build_case("investigating", household=household, clerk=clerk_a,
                          verifier=officer, leader=leader_a, days_ago=1)
        scan_all(case, clerk_a)
        waiting = vs.verification_query(case=case, by=officer, sources=["tax"], purpose="核对",
                                        persons=[case.applicant])[0]

        page = journey.page_as(officer)
        page.goto(journey.url(f"/cases/{case.pk}/verification/"))
        expect(page.locator("h1")).to_contain_text("家庭经济状况核对")
        # 1. A request the platform never answered is cancelled with a reason.
        row = page.locator("tr", has_text=waiting.number)
        row.locator("input[name=x-reason]").fill("平台超时，重新发起")
        row.get_by_role("button", name="作废").click()
        expect(page.locator("h1")).to_contain_text("家庭经济状况核对")
        waiting.refresh_from_db()
        assert waiting.status == VerificationRequest.Status.CANCELLED

        # 2. A new query through the simulated channel, then the report.
        query = page.locator(f"form[action$='/cases/{case.pk}/verification/query/']")
        query.locator("input[name=q-sources][value=bank]").check()
        query.locator("input[name=q-purpose]").fill("低保申请核对")
        query.locator("select[name=q-channel]").select_option("simulated")
        query.get_by_role("button", name="发起查询").click()
        expect(page.locator("h1")).to_contain_text("家庭经济状况核对")
        assert VerificationRequest.objects.filter(case=case, source="bank",
                                                  status="answered").exists()
        compile_form = page.locator(f"form[action$='/cases/{case.pk}/verification/compile/']")
        compile_form.locator("textarea[name=c-conclusion]").fill("经核对，如实反映家庭收入。")
        compile_form.get_by_role("button", name="生成报告").click()
        expect(page.locator("h1")).to_contain_text("家庭经济状况核对")
        journey.shot(page, "verification-compiled", full_page=True)
        assert case.verification_reports.exists()


@pytest.mark.clause("S4", "S6", "S21")
@submits("home_visit_new", "publicity_objection_new", "publicity_objection_handle",
         "publicity_appraisal_new")
def test_visits_and_objections_on_a_360_px_phone_and_their_handling_on_a_pc(
        journey, village_a, clerk_a, verifier_a, leader_a, assistant_a, tmp_path):
    from tests.publicity.files import pdf_with_metadata

    expect = _expect()
    with time_machine.travel(START, tick=True):
        appraised = build_case("awaiting_appraisal",
                               household=HouseholdFactory(village=village_a),
                               clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=12)
        record = tmp_path / "民主评议记录.pdf"
        record.write_bytes(pdf_with_metadata())
        visiting = build_case("investigating", household=HouseholdFactory(village=village_a),
                              clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=1)
        posted = build_case("in_publicity", household=HouseholdFactory(village=village_a),
                            clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=1)
        batch = posted.publicity_entry.batch

        phone = journey.page_as(assistant_a, viewport=SMALL_PHONE, mobile=True)
        # 1. The home visit form at 360 px.
        phone.goto(journey.url(f"/cases/{visiting.pk}/home-visit/"))
        expect(phone.locator("h1")).to_have_text("入户调查")
        _fits(phone, SMALL_PHONE)
        phone.fill("#id_investigator_1", "王强")
        phone.fill("#id_investigator_2", "李娜")
        phone.select_option("#id_housing_type", "self_built")
        phone.fill("#id_housing_area", "46")
        phone.fill("#id_vehicles", "无")
        phone.check("input[name=recommendation][value=eligible]")
        phone.fill("#id_conclusion", "家庭人均收入低于当地低保标准。")
        phone.locator("button[type=submit]").click()
        phone.wait_for_url(journey.url(f"/assistant/?saved={visiting.pk}"))

        # 2. An objection a villager made in person, registered on the phone.
        phone.goto(journey.url(f"/publicity/cases/{posted.pk}/objection/"))
        expect(phone.locator("h1")).to_have_text("登记公示异议")
        _fits(phone, SMALL_PHONE)
        phone.select_option("#id_channel", "in_person")
        phone.fill("#id_content", "该户家中有经营性车辆，收入不实。")
        phone.get_by_role("button", name="登记").click()
        _message(phone, "已登记公示异议")
        journey.shot(phone, "assistant-objection")
        objection = Objection.objects.get(case=posted)

        # 3. The clerk writes down how it was handled, on the board sheet's page (PC).
        page = journey.page_as(clerk_a)
        page.goto(journey.url(f"/publicity/batches/{batch.pk}/"))
        form = page.locator(f"form[action$='/publicity/objections/{objection.pk}/handle/']")
        form.locator("textarea").fill("已入户核实：车辆为亲属所有，登记在亲属名下。")
        form.locator("button[type=submit]").click()
        _message(page, "已登记处理情况。")
        assert objection.publicity_detail.__class__.objects.get(
            pk=objection.publicity_detail.pk).handling

        # 4. Another household's objection went to a democratic appraisal (民主评议).
        page.goto(journey.url(f"/publicity/cases/{appraised.pk}/appraisal/"))
        page.fill("#id_held_on", "2026-11-02")
        page.fill("#id_place", "村委会会议室")
        page.fill("#id_chair", "张书记")
        page.fill("#id_recorder", "李会计")
        page.fill("#id_participants", "王一，村民代表\n王二，村(居)委成员\n王三，党员代表")
        page.fill("#id_votes_for", "3")
        page.fill("#id_votes_against", "0")
        page.fill("#id_votes_abstain", "0")
        page.select_option("#id_outcome", "supported")
        page.fill("#id_minutes", "反映情况经核实不属实。")
        page.set_input_files("#id_scan", str(record))
        page.get_by_role("button", name="录入").click()
        _message(page, "已录入民主评议，案件转分管领导审批。")


@pytest.mark.clause("S16", "S18")
@submits("document_deliver", "household_attachments", "case_review", "inbox_read",
         "inbox_read_all", "inbox_settings", "roster_export", "password_change", "otp_setup")
def test_the_desk_forms_of_the_clerk_and_the_leader_on_a_pc(
        journey, village_a, clerk_a, verifier_a, leader_a, tmp_path):
    from cases.models import Notification, NotificationProfile
    from documents.kinds import DocumentKind
    from documents.models import Attachment
    from tests.factories import PASSWORD
    from tests.verification.conftest import pdf

    expect = _expect()
    with time_machine.travel(START, tick=True):
        accepted = build_case("investigating", household=HouseholdFactory(village=village_a),
                              clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=1)
        approved = build_case("approved", household=HouseholdFactory(village=village_a),
                              clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=20)
        notice = accepted.documents.get(kind=DocumentKind.ACCEPTANCE)
        for title in ("核对即将到期", "入户调查即将到期"):
            Notification.objects.create(recipient=clerk_a, case=accepted, kind="at_risk",
                                        title=title, body="请及时办理。")
        scan = tmp_path / "低保证复印件.pdf"
        scan.write_bytes(pdf().read())

        page = journey.page_as(clerk_a)
        # 1. The acceptance notice was handed over at the window (送达).
        page.goto(journey.url(f"/documents/{notice.pk}/deliver/"))
        page.select_option("#id_method", "in_person")
        page.fill("#id_attempted_at", "2026-11-01T16:00")
        page.select_option("#id_outcome", "delivered")
        page.fill("#id_recipient", accepted.applicant.name)
        page.get_by_role("button", name=re.compile("保存")).click()
        _message(page, "送达记录已保存。")
        assert notice.deliveries.count() == 1

        # 2. A scanned paper for the household file (一户一档).
        page.goto(journey.url(f"/documents/households/{accepted.household_id}/attachments/"))
        page.select_option("#id_kind", "other")
        page.set_input_files("#id_file", str(scan))
        page.get_by_role("button", name="上传").click()
        _message(page, "材料已上传。")
        assert Attachment.objects.filter(household=accepted.household).count() == 1

        # 3. The periodic review of an approved household, by the leader in charge.
        leader = journey.page_as(leader_a)
        leader.goto(journey.url(f"/cases/{approved.pk}/review/"))
        leader.check("input[name=outcome][value=continue]")
        leader.fill("#id_note", "家庭情况无变化，继续保障。")
        leader.get_by_role("button", name="保存复核结果").click()
        _message(leader, "动态管理复核结果已录入。")
        #    The leader also turns on the second factor: the code of the authenticator app.
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        leader.goto(journey.url("/account/otp/"))
        device = TOTPDevice.objects.get(user=leader_a, confirmed=False)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        leader.fill("#id_token", f"{code:0{device.digits}d}")
        leader.get_by_role("button", name="启用").click()
        _message(leader, "已启用双因素认证")

        # 4. Reminders: one read, then all, then the SMS number.
        page.goto(journey.url("/inbox/"))
        page.locator("tr", has_text="核对即将到期").get_by_role("button",
                                                              name="标为已读").click()
        expect(page.locator("h1")).to_have_text("我的提醒")
        page.get_by_role("button", name="全部标为已读").click()
        _message(page, "已将1条提醒标为已读。")
        assert not Notification.objects.filter(recipient=clerk_a, read_at=None).exists()
        page.fill("#id_mobile", "13805391234")
        page.get_by_role("button", name="保存设置").click()
        expect(page.locator("h1")).to_have_text("我的提醒")
        assert NotificationProfile.objects.get(user=clerk_a).mobile == "13805391234"

        # 5. The month's roster downloads as a workbook.
        page.goto(journey.url("/exports/roster/"))
        page.select_option("#id_township", str(village_a.township_id))
        page.fill("#id_month", "2026-10")
        with page.expect_download() as download:
            page.get_by_role("button", name="导出Excel").click()
        assert download.value.suggested_filename.endswith(".xlsx")

        # 6. A new password.
        page.goto(journey.url("/account/password/"))
        page.fill("#id_old_password", PASSWORD)
        page.fill("#id_new_password1", "Yihe-River#2026")
        page.fill("#id_new_password2", "Yihe-River#2026")
        page.get_by_role("button", name="确认修改").click()
        page.wait_for_url("**/account/password/done/")
        clerk_a.refresh_from_db()
        assert clerk_a.check_password("Yihe-River#2026")


@pytest.mark.clause("S2", "S4", "S19", "S20")
@submits("authorization_scans", "relatives", "assessment", "verification_import")
def test_the_verification_desk_forms_on_a_pc(journey, village_a, clerk_a, leader_a, tmp_path):
    from cases.models import Assessment, StaffRelative
    from tests.verification.conftest import pdf
    from tests.verification.test_import import good_rows, xlsx

    expect = _expect()
    with time_machine.travel(START, tick=True):
        officer = make_user("officer_a", Role.VERIFIER, townships=[village_a.township])
        received = build_case("received", household=HouseholdFactory(village=village_a),
                              clerk=clerk_a, verifier=officer, leader=leader_a, days_ago=1)
        verified = build_case("investigating",
                              household=HouseholdFactory(village=village_a, members=2),
                              clerk=clerk_a, verifier=officer, leader=leader_a, days_ago=2)
        scan_all(verified, clerk_a)
        pending = vs.verification_query(case=verified, by=officer, sources=["bank"],
                                        purpose="核对")
        scan = tmp_path / "授权书.pdf"
        scan.write_bytes(pdf().read())
        results = tmp_path / "市平台反馈结果.xlsx"
        results.write_bytes(xlsx(good_rows(pending)))
        signer = received.adult_members()[0]

        page = journey.page_as(clerk_a)
        # 1. The signed authorization's scan (先授权后核对).
        page.goto(journey.url(f"/cases/{received.pk}/authorizations/"))
        page.select_option("#id_a-person", str(signer.pk))
        page.fill("#id_a-signed_on", "2026-11-01")
        page.set_input_files("#id_a-scan", str(scan))
        page.get_by_role("button", name="保存").click()
        _message(page, f"已录入{signer.name}的核对授权书扫描件。")

        # 2. A staff member's close relative is declared (备案): the applicant whose paper
        #    was just scanned (the clerk is recused from that case from now on).
        relative = received.applicant
        page.goto(journey.url("/relatives/"))
        page.fill("#id_staff_name", "窗口小李")
        page.select_option("#id_post", "township_staff")
        page.select_option("#id_township", str(village_a.township_id))
        page.fill("#id_relative_name", relative.name)
        page.fill("#id_relative_id_number", relative.id_number)
        page.select_option("#id_relationship", "spouse")
        page.fill("#id_declared_on", "2026-11-01")
        page.get_by_role("button", name="备案").click()
        _message(page, "已备案。")
        assert StaffRelative.objects.count() == 1

        # 3. The amount is computed from the verification report (the standards in force).
        page.goto(journey.url(f"/cases/{verified.pk}/assessment/"))
        page.fill("#id_m-on", "2026-11-02")
        page.get_by_role("button", name="计算并保存").click()
        _message(page, "已计算（第1版）")
        assert Assessment.objects.filter(case=verified).count() == 1

        # 4. The officer imports the city platform's answers.
        desk = journey.page_as(officer)
        desk.goto(journey.url("/verification/import/"))
        desk.set_input_files("#id_file", str(results))
        desk.get_by_role("button", name="校验并导入").click()
        expect(desk.locator("h1")).to_be_visible()
        journey.shot(desk, "verification-imported")
        assert not VerificationRequest.objects.filter(pk__in=[r.pk for r in pending],
                                                      status="pending").exists()


@pytest.mark.clause("S1")
@submits("bureau_dashboard_refresh", "spot_check_new", "spot_check_finding",
         "spot_check_answer", "spot_check_close")
def test_the_bureau_draws_a_spot_check_and_the_township_answers_on_a_pc(
        journey, village_a, clerk_a, verifier_a, leader_a, bureau):
    from cases.models import Case
    from oversight.models import SpotCheck

    expect = _expect()
    with time_machine.travel(START, tick=True):
        decided = build_case("received", household=HouseholdFactory(village=village_a),
                             clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=1)
        Case.objects.filter(pk=decided.pk).update(
            status="approved", decided_at=START - dt.timedelta(days=2))

        page = journey.page_as(bureau)
        page.goto(journey.url("/oversight/"))
        page.get_by_role("button", name="立即更新统计").click()
        _message(page, "已提交统计数据更新")

        page.goto(journey.url("/oversight/spot-checks/new/"))
        page.select_option("#id_township", str(village_a.township_id))
        page.fill("#id_decided_from", "2026-10-01")
        page.fill("#id_decided_to", "2026-11-02")
        page.fill("#id_size", "1")
        page.get_by_role("button", name="抽取").click()
        _message(page, "已抽取1件案件。")
        check = SpotCheck.objects.get()
        page.check("input[name=finding][value=problem]")
        page.fill("textarea[name=text]", "入户调查表缺少调查人签字。")
        page.get_by_role("button", name="记录").click()
        _message(page, "已记录第1件的抽查结果。")

        township = journey.page_as(leader_a)
        township.goto(journey.url(f"/oversight/spot-checks/{check.pk}/"))
        township.fill("textarea[aria-label=答复]", "已补签，并对经办人员进行了提醒。")
        township.get_by_role("button", name="答复").click()
        _message(township, "已答复第1件的抽查结果。")

        page.goto(journey.url(f"/oversight/spot-checks/{check.pk}/"))
        page.fill("#id_conclusion", "抽查1件，发现1处手续问题，已整改。")
        page.get_by_role("button", name="结束抽查").click()
        _message(page, "抽查已结束。")
        expect(page.locator("h1")).to_be_visible()
        check.refresh_from_db()
        assert check.status != "open"
