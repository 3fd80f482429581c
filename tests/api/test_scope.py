"""The API sees what the pages see: another township's data is a 404, never a hint."""

from __future__ import annotations

import pytest

from cases.models import AccessLog
from cases.workflow import CaseStatus

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def case_a(make_case, village_a):
    return make_case(S.INVESTIGATING, village_a)


def test_clerk_b_gets_404_for_township_a_cases(api, clerk_b, case_a):
    api.login(clerk_b)
    for path in (f"/api/cases/{case_a.pk}/", f"/api/cases/{case_a.pk}/actions/"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "未找到该案件，或您无权查看。",
                                    "errors": {}}
    response = api.post(f"/api/cases/{case_a.pk}/transitions/withdraw/", {"note": "撤回"})
    assert response.status_code == 404
    case_a.refresh_from_db()
    assert case_a.status == S.INVESTIGATING


def test_a_missing_case_and_a_hidden_case_answer_alike(api, clerk_b, case_a):
    api.login(clerk_b)
    hidden = api.get(f"/api/cases/{case_a.pk}/")
    missing = api.get(f"/api/cases/{case_a.pk + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_clerk_b_gets_404_for_township_a_households_and_documents(api, clerk_b, case_a):
    document = case_a.documents.first()
    assert document is not None
    api.login(clerk_b)
    assert api.get(f"/api/households/{case_a.household_id}/").status_code == 404
    assert api.get(f"/api/documents/{document.pk}/").status_code == 404
    assert api.get(f"/api/documents/{document.pk}/pdf/").status_code == 404


def test_lists_hold_only_the_users_scope(api, clerk_a, clerk_b, case_a, make_case, village_b):
    api.login(clerk_b)
    for path in ("/api/cases/", "/api/households/", "/api/deadlines/", "/api/documents/"):
        body = api.get(path).json()
        assert body["count"] == 0, path
    api.login(clerk_a)
    assert [c["id"] for c in api.get("/api/cases/").json()["results"]] == [case_a.pk]
    assert api.get("/api/households/").json()["count"] == 1
    assert api.get("/api/deadlines/").json()["count"] >= 1
    assert api.get("/api/documents/").json()["count"] >= 1


def test_assistant_sees_only_the_assigned_village(api, assistant_a, case_a, make_case,
                                                  village_a2):
    other = make_case(S.RECEIVED, village_a2)
    api.login(assistant_a)
    ids = [c["id"] for c in api.get("/api/cases/").json()["results"]]
    assert ids == [case_a.pk]
    assert api.get(f"/api/cases/{other.pk}/").status_code == 404


def test_bureau_sees_every_township_but_makes_no_move(api, bureau, case_a):
    """clause: S1"""
    api.login(bureau)
    body = api.get(f"/api/cases/{case_a.pk}/").json()
    assert body["number"] == case_a.number
    assert body["actions"] == []
    response = api.post(f"/api/cases/{case_a.pk}/transitions/withdraw/", {"note": "撤回"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "权限" in response.json()["message"]


def test_id_numbers_are_masked_and_no_bank_data_is_returned(api, clerk_a, case_a):
    case_a.household.bank_account = "6228480000000000000"
    case_a.household.save(update_fields=["bank_account"])
    api.login(clerk_a)
    for path in ("/api/cases/", f"/api/cases/{case_a.pk}/", "/api/households/",
                 f"/api/households/{case_a.household_id}/"):
        text = api.get(path).content.decode()
        assert case_a.applicant.id_number not in text, path
        assert case_a.applicant.masked_id in text, path
        assert "6228480000000000000" not in text, path


def test_views_and_searches_are_logged_like_the_pages(api, clerk_a, case_a):
    api.login(clerk_a)
    api.get(f"/api/cases/{case_a.pk}/")
    api.get("/api/cases/", q=case_a.applicant.name)
    api.get(f"/api/households/{case_a.household_id}/")
    logged = set(AccessLog.objects.filter(user=clerk_a).values_list("action", "object_type"))
    assert {("view", "case"), ("search", "case"), ("view", "household")} <= logged


def test_the_case_page_filters_work(api, clerk_a, case_a, make_case, village_a):
    received = make_case(S.RECEIVED, village_a)
    api.login(clerk_a)
    assert [c["id"] for c in api.get("/api/cases/", status="received").json()["results"]] == [
        received.pk]
    assert api.get("/api/cases/", q=case_a.number).json()["results"][0]["id"] == case_a.pk
    assert api.get("/api/cases/", household=received.household_id).json()["count"] == 1
    assert api.get("/api/cases/", status="nonsense").status_code == 400
