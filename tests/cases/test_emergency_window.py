"""急难求助 at the window (S11): the entry beside 受理新申请, the report in the household screen
plus one, the emergencies on their 24-hour and 5-working-day clocks in the clerk's 待我处理 and
the leader's queue, the next step on the case page, and the 临时救助登记审批表's entries read
back from the issued PDF.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.models import AidMethod, Case, DeadlineKind, EmergencyCause, Household
from cases.views import clerk as clerk_views
from cases.views.acceptance import DRAFT_KEY
from cases.workflow import CaseKind, CaseStatus
from documents.kinds import DocumentKind
from tests.cases.test_acceptance_flow import HEAD_ID, new_household_post

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S11")]

BEIJING = ZoneInfo("Asia/Shanghai")
# A Tuesday morning, Beijing time: the clocks' remaining time is exact while time stands still.
REPORTED = dt.datetime(2026, 11, 3, 9, 0, tzinfo=BEIJING)
START = reverse("accept_start")
REPORT = reverse("emergency_report")


def _report(household, clerk) -> Case:
    return services.case_create(household=household, applicant=household.head,
                                kind=CaseKind.TEMP_EMERGENCY, hardship="夜间房屋失火。", by=clerk)


def _aid(case, clerk, **kwargs) -> Case:
    return services.case_give_aid(case=case, by=clerk, amount=Decimal("2000"),
                                  reason="房屋失火，先行救助。", **kwargs)


def _pdf_text(document) -> str:
    with document.pdf.open("rb") as fh:
        content = fh.read()
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


# --- The entry and the report ---------------------------------------------------------------

def test_the_workspace_offers_the_emergency_entry_beside_the_acceptance(client, clerk_a):
    client.force_login(clerk_a)
    text = client.get(reverse("clerk_home")).content.decode()
    assert f'id="start-acceptance" href="{START}"' in text
    assert f'id="start-emergency" href="{START}?emergency=1">急难求助' in text
    page = client.get(START, {"emergency": "1"}).content.decode()
    assert "<h1>急难求助</h1>" in page and 'name="emergency" value="1"' in page


def test_a_new_household_reports_an_emergency_in_two_screens(client, clerk_a, village_a):
    client.force_login(clerk_a)
    households = Household.objects.count()
    response = client.post(START, {**new_household_post(village_a), "emergency": "1"})
    assert response.status_code == 302 and response["Location"] == REPORT
    assert Household.objects.count() == households, "the household waits in the draft"
    page = client.get(REPORT)
    assert page.status_code == 200 and "求助情况" in page.content.decode()

    token = client.session[DRAFT_KEY]["token"]
    response = client.post(REPORT, {"token": token, "applicant": "", "hardship": ""})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    assert not Case.objects.exists() and Household.objects.count() == households

    response = client.post(REPORT, {"token": token, "applicant": "0",
                                    "hardship": "夜间房屋失火，衣物被褥全部烧毁。"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.kind == CaseKind.TEMP_EMERGENCY and case.status == CaseStatus.EMERGENCY_REPORTED
    assert case.applicant.id_number == HEAD_ID and case.created_by == clerk_a
    assert case.deadlines.filter(kind=DeadlineKind.EMERGENCY_AID).exists()
    assert DRAFT_KEY not in client.session
    page = client.get(case.get_absolute_url()).content.decode()
    assert "下一步：24小时内先行救助" in page and "窗口经办人或分管领导" in page
    assert "/do/give_aid/" in page


def test_a_registered_household_is_found_for_an_emergency(client, clerk_a, household_a):
    client.force_login(clerk_a)
    response = client.post(START, {"head_id": household_a.head.id_number, "emergency": "1"})
    assert response["Location"] == REPORT
    response = client.post(REPORT, {"token": client.session[DRAFT_KEY]["token"],
                                    "applicant": "0", "hardship": "突发重病住院。"})
    assert response.status_code == 302
    assert Case.objects.get().household == household_a
    # Without the emergency mark the same household goes to the application instead.
    response = client.post(START, {"head_id": household_a.head.id_number})
    assert response["Location"] == reverse("accept_case")
    assert client.get(REPORT)["Location"] == START + "?emergency=1"


@pytest.mark.clause("S21")
@pytest.mark.parametrize("who", ["assistant_a", "leader_a", "verifier_a"])
def test_only_a_window_clerk_reports_at_the_window(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(REPORT).status_code == 403
    assert client.post(REPORT, {"applicant": "0", "hardship": "x"}).status_code == 403
    assert not Case.objects.exists()


# --- The clocks in both work lists ----------------------------------------------------------

def test_emergencies_are_listed_on_their_clocks_for_the_clerk_and_the_leader(
        client, clerk_a, leader_a, village_a, household_a, household_b, clerk_b):
    from tests.factories import HouseholdFactory

    with time_machine.travel(REPORTED, tick=False) as clock:
        reported = _report(household_a, clerk_a)
        aided = _aid(_report(HouseholdFactory(village=village_a, members=1), clerk_a), clerk_a)
        elsewhere = _report(household_b, clerk_b)
        clock.shift(dt.timedelta(hours=3))
        for user, url in ((clerk_a, reverse("clerk_home")), (leader_a, reverse("leader_queue"))):
            client.force_login(user)
            text = client.get(url).content.decode()
            aid_list = text.split('id="waiting-emergency-aid"')[1].split("</section>")[0]
            reg_list = text.split('id="waiting-emergency-registration"')[1].split(
                "</section>")[0]
            assert reported.number in aid_list and "剩余21.0小时" in aid_list
            assert aided.number not in aid_list and elsewhere.number not in aid_list
            assert aided.number in reg_list and "剩余5个工作日" in reg_list
            assert reported.number not in reg_list
            assert "下一步：5个工作日内补齐登记" in reg_list
        # Past the 24 hours the report stays on the list, overdue.
        clock.shift(dt.timedelta(hours=22))
        client.force_login(clerk_a)
        text = client.get(reverse("clerk_home")).content.decode()
        aid_list = text.split('id="waiting-emergency-aid"')[1].split("</section>")[0]
        assert reported.number in aid_list and "已超1.0小时" in aid_list and "已超期" in aid_list


def test_the_emergency_lists_are_bounded(client, clerk_a, village_a, monkeypatch):
    from tests.factories import HouseholdFactory

    monkeypatch.setattr(clerk_views, "LIST_LIMIT", 2)
    client.force_login(clerk_a)
    for n in (2, 3):
        while Case.objects.filter(status=CaseStatus.EMERGENCY_REPORTED).count() < n:
            _report(HouseholdFactory(village=village_a, members=1), clerk_a)
        text = client.get(reverse("clerk_home")).content.decode()
        aid_list = text.split('id="waiting-emergency-aid"')[1].split("</section>")[0]
        assert aid_list.count("<li") == 2
        assert ("查看全部" in aid_list) == (n > 2)


# --- The case page after the aid, and the registration table --------------------------------

def test_after_the_aid_the_case_page_names_the_next_step_and_who_takes_it(
        client, clerk_a, leader_a, household_a):
    case = _report(household_a, clerk_a)
    client.force_login(clerk_a)
    url = reverse("case_action", args=[case.pk, "give_aid"])
    post = {"give_aid-amount": "2000", "give_aid-cause": EmergencyCause.FIRE,
            "give_aid-method": AidMethod.IN_KIND, "give_aid-reason": "房屋失火。",
            "give_aid-handling_opinion": "情况属实，建议先行发放实物救助。"}
    for missing in ("give_aid-cause", "give_aid-method", "give_aid-handling_opinion"):
        response = client.post(url, {k: v for k, v in post.items() if k != missing})
        assert response.status_code == 400
        case.refresh_from_db()
        assert case.status == CaseStatus.EMERGENCY_REPORTED and case.aid_amount is None
    response = client.post(url, {**post, "give_aid-method": "cheque"})
    assert response.status_code == 400
    assert client.post(url, post).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.AID_GIVEN
    assert (case.aid_cause, case.aid_method) == (EmergencyCause.FIRE, AidMethod.IN_KIND)
    assert case.handling_opinion == "情况属实，建议先行发放实物救助。"
    page = client.get(case.get_absolute_url()).content.decode()
    assert "下一步：5个工作日内补齐登记" in page and "分管领导登记审批" in page
    assert 'id="next-step"' in page and "剩余" in page
    assert "发放实物" in page and "审批意见</dt><dd>未填写" in page
    # The leader's registration form comes filled with what the aid recorded.
    client.force_login(leader_a)
    page = client.get(case.get_absolute_url()).content.decode()
    form = page.split("/do/register_emergency/")[1].split("</form>")[0]
    assert "情况属实，建议先行发放实物救助。" in form
    assert re.search(r'value="in_kind"[^>]*checked', form)
    assert not re.search(r'value="cash"[^>]*checked', form)


def test_the_registration_table_carries_cause_method_amount_and_both_opinions(
        client, clerk_a, leader_a, household_a):
    case = _aid(_report(household_a, clerk_a), clerk_a, cause=EmergencyCause.FIRE,
                method=AidMethod.CASH, handling_opinion="情况属实，建议救助。")
    client.force_login(leader_a)
    url = reverse("case_action", args=[case.pk, "register_emergency"])
    post = {"register_emergency-amount": "2000.00", "register_emergency-cause": "fire",
            "register_emergency-method": "cash", "register_emergency-reason": "房屋失火。",
            "register_emergency-handling_opinion": "情况属实，建议救助。",
            "register_emergency-leader_opinion": "同意救助2000元。",
            "register_emergency-paperwork_complete": "on"}
    response = client.post(url, {k: v for k, v in post.items()
                                 if k != "register_emergency-leader_opinion"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.AID_GIVEN and not case.documents.exists()
    assert client.post(url, post).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.leader_opinion == "同意救助2000元。"
    text = _pdf_text(case.documents.get(kind=DocumentKind.TEMP_REGISTRATION))
    assert "临时救助登记审批表" in text
    for expected in ("事由类别", "火灾", "救助方式", "发放现金", "2,000.00", "房屋失火。",
                     "情况属实，建议救助。", "同意救助2000元。"):
        assert expected in text, expected
    assert "未填写" not in text


def test_a_missing_entry_prints_as_not_filled_never_blank(clerk_a, leader_a, household_a):
    """A case aided before the entries existed (the services' defaults): the table says 未填写."""
    case = _aid(_report(household_a, clerk_a), clerk_a)
    case = services.case_register_emergency(case=case, by=leader_a, amount=Decimal("800"),
                                            reason="突发疾病。", paperwork_complete=True)
    text = _pdf_text(case.documents.get(kind=DocumentKind.TEMP_REGISTRATION))
    assert all(label in text for label in ("事由类别", "救助方式", "经办意见", "审批意见"))
    assert text.count("未填写") == 4, text
    assert "突发疾病。" in text and "800.00" in text
