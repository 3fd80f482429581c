"""Transitions through the API: the same forms and services as the case page, refusals as
400/403 JSON with the Chinese message, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.api.transitions import BODIES
from cases.demo_cases import calculate
from cases.models import CaseEvent
from cases.views.cases import ACTIONS
from cases.workflow import CaseStatus

pytestmark = pytest.mark.django_db
S = CaseStatus


def _path(case, action):
    return f"/api/cases/{case.pk}/transitions/{action}/"


def test_every_action_of_the_case_page_has_an_endpoint():
    for name, spec in ACTIONS.items():
        assert spec.form in BODIES, name
        assert reverse(f"api:case_{name}", kwargs={"case_id": 1}) == \
            f"/api/cases/1/transitions/{name}/"


def test_propose_approval_moves_the_case_through_the_service(api, clerk_a, make_case,
                                                             village_a):
    """clause: S6"""
    case = make_case(S.INVESTIGATING, village_a)
    calculate(case, by=clerk_a)
    api.login(clerk_a)
    response = api.post(_path(case, "propose_approval"),
                        {"amount": 620.5, "covered_persons": 2, "opinion": "符合条件",
                         "override_reason": "入户调查发现另有医疗支出。"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_publicity"
    assert body["proposed_amount"] == "620.50"
    # The 7 days start only when the sheet is confirmed posted on the village board.
    assert any(d["kind"] == "posting" and d["status"] == "open" for d in body["deadlines"])
    assert body["publicity"] is None
    assert CaseEvent.objects.filter(case=case, action="propose_approval",
                                    actor=clerk_a).exists()


def test_a_move_from_the_wrong_state_is_a_400_in_chinese(api, leader_a, make_case, village_a):
    case = make_case(S.IN_PUBLICITY, village_a)
    events = CaseEvent.objects.filter(case=case).count()
    api.login(leader_a)
    response = api.post(_path(case, "sign_off"), {})
    assert response.status_code == 400
    assert response.json()["code"] == "not_allowed"
    assert "不能执行“审批同意”" in response.json()["message"]
    case.refresh_from_db()
    assert case.status == S.IN_PUBLICITY
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_move_of_another_role_is_a_403(api, clerk_a, make_case, village_a):
    case = make_case(S.AWAITING_SIGN_OFF, village_a)
    api.login(clerk_a)
    response = api.post(_path(case, "sign_off"), {"note": ""})
    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "message": "您没有在该镇街执行此操作的权限。",
                               "errors": {}}


def test_the_leader_signs_off_and_the_documents_are_listed(api, leader_a, make_case,
                                                           village_a):
    """clause: S7"""
    case = make_case(S.AWAITING_SIGN_OFF, village_a)
    api.login(leader_a)
    response = api.post(_path(case, "sign_off"), {"note": "同意"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    kinds = {d["kind"] for d in body["documents"]}
    assert {"approval_table", "approval_notice"} <= kinds
    pdf = api.get(body["documents"][-1]["pdf_url"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_missing_reason_is_the_forms_chinese_error(api, leader_a, make_case, village_a):
    case = make_case(S.INVESTIGATING, village_a)
    api.login(leader_a)
    response = api.post(_path(case, "reject"), {"reason": "   "})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "reason" in body["errors"]
    assert "理由" in body["message"]
    case.refresh_from_db()
    assert case.status == S.INVESTIGATING


@pytest.mark.parametrize("body", [
    {"note": "a\x00b"},
    {"note": 12},
    {"note": "x" * 5000},
    [],
])
def test_malformed_bodies_are_400_not_500(api, clerk_a, make_case, village_a, body):
    case = make_case(S.RECEIVED, village_a)
    api.login(clerk_a)
    response = api.post(_path(case, "withdraw"), body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["message"]


def test_broken_json_is_a_400(api, clerk_a, make_case, village_a):
    case = make_case(S.RECEIVED, village_a)
    api.login(clerk_a)
    response = api.client.post(_path(case, "withdraw"), "{not json",
                               content_type="application/json",
                               headers={"X-CSRFToken": api.client.cookies["csrftoken"].value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["message"] == "请求内容不符合要求，请检查后重试。"


def test_a_post_without_the_csrf_token_is_refused(api, clerk_a, make_case, village_a):
    case = make_case(S.RECEIVED, village_a)
    api.login(clerk_a)
    response = api.post(_path(case, "withdraw"), {"note": "撤回"}, csrf=False)
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"
    case.refresh_from_db()
    assert case.status == S.RECEIVED


def scan_base64() -> str:
    import base64

    from cases.demo_cases import demo_image

    return base64.b64encode(demo_image()).decode()


def test_appraisal_participants_are_a_list(api, clerk_a, make_case, village_a):
    """The API stores the participants as a list of {name, capacity} (a storage shape; the
    appraisal rule itself is proven in tests/cases/test_procedure.py and test_appraisal_rule.py)."""
    case = make_case(S.AWAITING_APPRAISAL, village_a)
    api.login(clerk_a)
    body = {"held_on": timezone.localdate().isoformat(), "place": "村委会", "chair": "张书记",
            "recorder": "李会计", "scan_base64": scan_base64(), "scan_name": "record.png",
            "participants": [{"name": f"代表{i}", "capacity": "村民代表"} for i in range(4)],
            "votes_for": 4, "votes_against": 0, "votes_abstain": 0, "outcome": "supported"}
    response = api.post(_path(case, "record_appraisal"), body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "awaiting_sign_off"
    appraisal = case.appraisals.get()
    assert appraisal.participants[0] == {"name": "代表0", "capacity": "村民代表"}
    assert len(appraisal.participants) == 4


def test_too_few_participants_is_refused(api, clerk_a, make_case, village_a):
    case = make_case(S.AWAITING_APPRAISAL, village_a)
    api.login(clerk_a)
    body = {"held_on": timezone.localdate().isoformat(), "place": "村委会", "chair": "张书记",
            "recorder": "李会计", "scan_base64": scan_base64(),
            "participants": [{"name": "甲"}, {"name": "乙"}],
            "votes_for": 2, "votes_against": 0, "votes_abstain": 0, "outcome": "supported"}
    assert api.post(_path(case, "record_appraisal"), body).status_code == 400


def test_actions_list_the_moves_and_what_is_missing(api, clerk_a, make_case, village_a):
    case = make_case(S.RECEIVED, village_a)
    api.login(clerk_a)
    actions = {a["name"]: a for a in api.get(f"/api/cases/{case.pk}/actions/").json()}
    assert set(actions) == {"accept", "withdraw"}
    assert actions["accept"]["endpoint"] == _path(case, "accept")
    response = api.post(actions["accept"]["endpoint"], {})
    assert response.status_code == 200
    assert response.json()["status"] == "investigating"
