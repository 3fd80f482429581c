"""The three-screen acceptance flow (S15 最多跑一次): household → case → accepted and printed.

Each submit is one transaction through the services; bad input re-renders the same screen with
the Chinese reason and saves nothing; the draft lives in the session only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import idnumber, services
from cases.errors import CaseActionError
from cases.forms_acceptance import ID_CARD
from cases.models import (
    AccessLog,
    Case,
    DeadlineKind,
    Household,
    Person,
    VerificationAuthorization,
)
from cases.views.acceptance import DRAFT_KEY
from cases.workflow import CaseStatus
from documents.kinds import DocumentKind

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S15")]

START, CASE = reverse("accept_start"), reverse("accept_case")
HEAD_ID = idnumber.make_number("371302", dt.date(1968, 3, 14), 211)
CHILD_ID = idnumber.make_number("371302", dt.date(2015, 7, 2), 212)


def _member(i: int, name: str, number: str, relationship: str) -> dict:
    return {f"m-{i}-name": name, f"m-{i}-id_number": number,
            f"m-{i}-relationship": relationship, f"m-{i}-hukou_type": "rural",
            f"m-{i}-disability_grade": "0", f"m-{i}-health": "healthy",
            f"m-{i}-labour_capacity": "full"}


def new_household_post(village, members=None) -> dict:
    members = members if members is not None else [
        ("赵德明", HEAD_ID, "head"), ("赵子涵", CHILD_ID, "son")]
    data = {"village": village.pk, "address": "兰山街道测试路88号", "hukou_type": "rural",
            "m-TOTAL_FORMS": str(len(members)), "m-INITIAL_FORMS": "0",
            "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "1000"}
    for i, (name, number, rel) in enumerate(members):
        data.update(_member(i, name, number, rel))
    return data


def case_post(client, *, kind="dibao", applicant="0", auths=("0",), materials=(ID_CARD,),
              hardship="户主患病，无稳定收入。", signed_on=None) -> dict:
    token = client.session[DRAFT_KEY]["token"]
    data = {"token": token, "kind": kind, "applicant": applicant, "hardship": hardship,
            "materials": list(materials),
            "signed_on": (signed_on or timezone.localdate()).isoformat()}
    for key in auths:
        data[f"auth_{key}"] = "on"
    return data


def _counts() -> tuple[int, int, int, int]:
    return (Household.objects.count(), Person.objects.count(), Case.objects.count(),
            VerificationAuthorization.objects.count())


def test_a_new_household_is_accepted_in_three_screens_with_the_bundle_to_print(
        client, clerk_a, village_a):
    client.force_login(clerk_a)
    assert client.get(START).status_code == 200
    before = _counts()

    response = client.post(START, new_household_post(village_a))
    assert response.status_code == 302 and response["Location"] == CASE
    assert _counts() == before, "screen 1 keeps the household in the session draft only"

    page = client.get(CASE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "赵德明" in text and idnumber.mask(HEAD_ID) in text and HEAD_ID not in text
    assert "auth_0" in text and "auth_1" not in text, "only the adult signs an authorization"

    response = client.post(CASE, case_post(client, materials=[ID_CARD, "社会救助申请书"]))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accept_done", args=[case.pk])
    assert case.status == CaseStatus.INVESTIGATING and case.accepted_at is not None
    assert case.applicant.id_number == HEAD_ID and case.created_by == clerk_a
    household = case.household
    assert household.village == village_a and household.head.id_number == HEAD_ID
    assert {m.person.id_number for m in household.current_members()} == {HEAD_ID, CHILD_ID}
    assert list(case.authorizations.values_list("person__id_number", flat=True)) == [HEAD_ID]
    assert case.deadlines.filter(kind=DeadlineKind.DECISION).exists()
    accepted = case.events.get(action="accept")
    assert ID_CARD in accepted.note and "社会救助申请书" in accepted.note
    assert DRAFT_KEY not in client.session

    done = client.get(response["Location"])
    assert done.status_code == 200
    notice = case.documents.get(kind=DocumentKind.ACCEPTANCE)
    bundle_url = reverse("case_bundle_pdf", args=[case.pk])
    assert bundle_url in done.content.decode()
    assert reverse("document_download", args=[notice.pk]) in done.content.decode()
    pdf = client.get(bundle_url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_registered_household_is_found_by_its_heads_id_number(client, clerk_a,
                                                                household_a):
    client.force_login(clerk_a)
    head = household_a.head
    households = Household.objects.count()
    response = client.post(START, {"head_id": head.id_number.lower()[:-1]
                                   + head.id_number[-1].lower()})
    assert response.status_code == 302 and response["Location"] == CASE
    assert AccessLog.objects.filter(user=clerk_a, action=AccessLog.Action.SEARCH,
                                    object_type="household").exists()
    adults = [m for m in household_a.current_members() if m.person.age_on(
        timezone.localdate()) >= 18]
    response = client.post(CASE, case_post(client, auths=[str(i) for i in range(len(adults))]))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.household == household_a and case.status == CaseStatus.INVESTIGATING
    assert Household.objects.count() == households


def test_the_household_page_link_preselects_a_household(client, clerk_a, household_a):
    client.force_login(clerk_a)
    page = client.get(START, {"household": household_a.pk})
    assert page.status_code == 200 and household_a.address in page.content.decode()
    response = client.post(START, {"existing": household_a.pk})
    assert response.status_code == 302
    assert client.session[DRAFT_KEY]["household"] == household_a.pk


def test_temporary_assistance_needs_no_authorization(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    response = client.post(CASE, case_post(client, kind="temp_expenditure", auths=()))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.kind == "temp_expenditure" and case.status == CaseStatus.INVESTIGATING
    assert not case.authorizations.exists()


def test_the_lookup_answers_masked_members_within_the_clerks_townships(
        client, clerk_a, clerk_b, household_a):
    head = household_a.head
    url = reverse("accept_lookup")
    client.force_login(clerk_a)
    data = client.get(url, {"head_id": head.id_number}).json()
    assert data["found"] is True and data["pk"] == household_a.pk
    assert head.id_number not in str(data) and head.masked_id in str(data)
    assert client.get(url, {"head_id": "12345"}).json()["found"] is False
    client.force_login(clerk_b)
    data = client.get(url, {"head_id": head.id_number}).json()
    assert data == {"found": False, "error": data["error"]} and "pk" not in data


# --- Scoping and roles ------------------------------------------------------------------------

@pytest.mark.clause("S1")
def test_a_household_of_another_township_is_not_found(client, clerk_b, household_a):
    client.force_login(clerk_b)
    assert client.get(START, {"household": household_a.pk}).status_code == 404
    assert client.post(START, {"existing": household_a.pk}).status_code == 404
    response = client.post(START, {"head_id": household_a.head.id_number})
    assert response.status_code == 400
    assert "没有以该身份证号码为户主的家庭" in response.content.decode()
    assert DRAFT_KEY not in client.session


@pytest.mark.clause("S1")
def test_a_new_household_in_a_village_of_another_township_is_refused(client, clerk_b,
                                                                     village_a):
    client.force_login(clerk_b)
    before = _counts()
    response = client.post(START, new_household_post(village_a))
    assert response.status_code == 400 and "village" in response.context["form"].errors
    assert _counts() == before


@pytest.mark.clause("S21")
@pytest.mark.parametrize("who", ["assistant_a", "bureau", "leader_a", "verifier_a"])
def test_only_a_window_clerk_uses_the_acceptance_flow(client, request, who, household_a):
    client.force_login(request.getfixturevalue(who))
    assert client.get(START).status_code == 403
    assert client.post(START, {"existing": household_a.pk}).status_code == 403
    assert client.get(reverse("accept_lookup"), {"head_id": HEAD_ID}).status_code == 403
    assert client.get(CASE).status_code == 403
    assert not Case.objects.exists()


def test_the_done_page_of_a_case_outside_scope_is_not_found(client, clerk_a, clerk_b,
                                                            village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    client.post(CASE, case_post(client))
    case = Case.objects.get()
    client.force_login(clerk_b)
    assert client.get(reverse("accept_done", args=[case.pk])).status_code == 404


# --- Bad input: the same screen, the reason in Chinese, nothing saved --------------------------

def test_an_invalid_id_number_keeps_screen_one_and_saves_nothing(client, clerk_a, village_a):
    client.force_login(clerk_a)
    before = _counts()
    bad = HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1")
    response = client.post(START, new_household_post(village_a, [("赵德明", bad, "head")]))
    assert response.status_code == 400
    assert "校验" in response.content.decode() or "身份证" in response.content.decode()
    assert response.templates[0].name == "cases/acceptance/household.html"
    assert _counts() == before and DRAFT_KEY not in client.session


def test_a_household_without_head_keeps_screen_one(client, clerk_a, village_a):
    client.force_login(clerk_a)
    response = client.post(START, new_household_post(village_a, [("赵德明", HEAD_ID, "son")]))
    assert response.status_code == 400
    assert "每户须有且只有一名户主" in response.content.decode()


def test_a_person_of_another_household_is_refused_by_the_dry_run(client, clerk_a, village_a,
                                                                 household_a):
    client.force_login(clerk_a)
    before = _counts()
    other = household_a.head
    response = client.post(START, new_household_post(
        village_a, [("赵德明", HEAD_ID, "head"), (other.name, other.id_number, "spouse")]))
    assert response.status_code == 400
    assert "另一户的在册成员" in response.content.decode()
    assert _counts() == before and DRAFT_KEY not in client.session


@pytest.mark.clause("S2")
def test_an_adult_without_a_signed_authorization_keeps_screen_two(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    before = _counts()
    response = client.post(CASE, case_post(client, auths=()))
    assert response.status_code == 400
    assert response.templates[0].name == "cases/acceptance/case.html"
    assert "赵德明尚未签署家庭经济状况核对授权书" in response.content.decode()
    assert _counts() == before
    assert DRAFT_KEY in client.session, "the draft stays for the corrected submit"


def test_missing_id_card_check_and_hardship_keep_screen_two(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    response = client.post(CASE, case_post(client, materials=(), hardship=""))
    assert response.status_code == 400
    text = response.content.decode()
    assert "请当场核验申请人居民身份证原件" in text and "这个字段是必填项" in text
    assert not Case.objects.exists()


def test_a_future_signing_date_is_refused(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    response = client.post(CASE, case_post(
        client, signed_on=timezone.localdate() + dt.timedelta(days=1)))
    assert response.status_code == 400 and "签署日期不能晚于今天" in response.content.decode()
    assert not Case.objects.exists()


def test_a_service_refusal_rolls_back_the_household_and_the_case(client, clerk_a, village_a,
                                                                 monkeypatch):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    before = _counts()

    def refuse(**kwargs):
        raise CaseActionError("condition", "测试：受理条件不满足。")

    monkeypatch.setattr(services, "case_accept", refuse)
    response = client.post(CASE, case_post(client))
    assert response.status_code == 400 and "测试：受理条件不满足。" in response.content.decode()
    assert _counts() == before, "household, members, case and authorization all rolled back"


def test_an_applicant_already_covered_is_told_why(client, clerk_a, verifier_a, leader_a,
                                                  household_a):
    from cases.demo_cases import build_case

    build_case("investigating", household=household_a, clerk=clerk_a, verifier=verifier_a,
               leader=leader_a)
    client.force_login(clerk_a)
    client.post(START, {"existing": household_a.pk})
    cases = Case.objects.count()
    response = client.post(CASE, case_post(client, auths=("0", "1")))
    assert response.status_code == 400
    assert "不能重复申请" in response.content.decode()
    assert Case.objects.count() == cases


def test_screen_two_without_a_draft_or_twice_submitted_goes_back_to_screen_one(
        client, clerk_a, village_a):
    client.force_login(clerk_a)
    assert client.get(CASE)["Location"] == START
    client.post(START, new_household_post(village_a))
    data = case_post(client)
    assert client.post(CASE, data).status_code == 302
    again = client.post(CASE, data)
    assert again.status_code == 302 and again["Location"] == START
    assert Case.objects.count() == 1


def test_a_stale_token_does_not_submit(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    data = case_post(client)
    data["token"] = "0" * 32
    assert client.post(CASE, data)["Location"] == CASE
    assert not Case.objects.exists()


def test_going_back_refills_screen_one_from_the_draft(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    page = client.get(START, {"back": "1"})
    assert HEAD_ID in page.content.decode() and "兰山街道测试路88号" in page.content.decode()


def _queries(client, url) -> int:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()  # every measured request cold: the header's unread count is cached per user
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_screen_two_queries_do_not_grow_with_the_household(client, clerk_a, village_a):
    from tests.factories import HouseholdFactory

    small, large = HouseholdFactory(village=village_a, members=2), HouseholdFactory(
        village=village_a, members=7)
    client.force_login(clerk_a)
    counts = []
    for household in (small, large):
        client.post(START, {"existing": household.pk})
        counts.append(_queries(client, CASE))
    assert counts[0] == counts[1]
