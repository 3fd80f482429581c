"""The three-screen acceptance flow (S15 最多跑一次) in the order of the window: household →
application and the bundle to sign (printed before anything is saved) → the signed pages
uploaded, each adult's authorization matched to its person, accepted and the notice printed.

Each submit is one transaction through the services; bad input re-renders the same screen with
the Chinese reason and saves nothing; the draft lives in the session only.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
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
from tests.security.hostile_files import FAKE_PDF, png_declaring, svg_reading
from tests.security.world import pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S15")]

START, CASE, SIGN = reverse("accept_start"), reverse("accept_case"), reverse("accept_sign")
BUNDLE = reverse("accept_bundle")


def _png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG: the upload check decodes and re-encodes every image."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


PNG = _png()
PDF = pdf_bytes()
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


def case_post(client, *, kind="dibao", applicant="0", materials=(ID_CARD,),
              hardship="户主患病，无稳定收入。", agent=None) -> dict:
    token = client.session[DRAFT_KEY]["token"]
    data = {"token": token, "kind": kind, "applicant": applicant, "hardship": hardship,
            "materials": list(materials)}
    for key, value in (agent or {}).items():
        data[f"agent_{key}"] = value
    return data


def scan(name="auth.png", content=PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def sign_post(client, *, auths=("0",), files=None, signed_on=None) -> dict:
    """Screen 3: one file per key in `auths`, matched to that member."""
    files = files if files is not None else [scan(f"page{k}.png") for k in auths]
    return {"token": client.session[DRAFT_KEY]["token"], "scans": files,
            "scan_for": list(auths),
            "signed_on": (signed_on or timezone.localdate()).isoformat()}


def accept(client, *, auths=("0",), **case_kwargs):
    """Screens 2 and 3 of the draft in the session; the last response."""
    response = client.post(CASE, case_post(client, **case_kwargs))
    assert response.status_code == 302 and response["Location"] == SIGN, response
    return client.post(SIGN, sign_post(client, auths=auths))


def _counts() -> tuple[int, int, int, int]:
    return (Household.objects.count(), Person.objects.count(), Case.objects.count(),
            VerificationAuthorization.objects.count())


def test_a_new_household_is_accepted_in_three_screens_in_the_order_of_the_window(
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

    response = client.post(CASE, case_post(client, materials=[ID_CARD, "社会救助申请书"]))
    assert response.status_code == 302 and response["Location"] == SIGN
    assert _counts() == before, "screen 2 keeps the application in the draft only"
    page = client.get(SIGN)
    text = page.content.decode()
    assert page.status_code == 200 and 'name="scans"' in text and "multiple" in text
    assert 'accept="image/*,application/pdf"' in text and "capture" in text
    assert f'<option value="0">赵德明（{idnumber.mask(HEAD_ID)}）的核对授权书' in text
    assert 'value="1"' not in text, "only the adult signs an authorization"

    response = client.post(SIGN, sign_post(client))
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
    assert reverse("document_download", args=[notice.pk]) in done.content.decode()
    assert "赵德明（扫描件已存档）" in done.content.decode()


@pytest.mark.clause("S2")
def test_each_scan_lands_on_its_persons_authorization_for_the_verification_officer(
        client, clerk_a, village_a):
    """Two adults, files uploaded in the opposite order: each scan is stored on its own
    person's authorization (the model the officer's check reads), with its SHA-256."""
    import hashlib

    spouse_id = idnumber.make_number("371302", dt.date(1970, 1, 9), 224)
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a, [
        ("赵德明", HEAD_ID, "head"), ("孙丽", spouse_id, "spouse"), ("赵子涵", CHILD_ID, "son")]))
    client.post(CASE, case_post(client))
    spouse_page, head_page = _png(31, 17), PDF
    response = client.post(SIGN, sign_post(client, auths=("1", "0"), files=[
        scan("spouse.png", spouse_page), scan("head.pdf", head_page)]))
    assert response.status_code == 302
    case = Case.objects.get()
    auths = {a.person.id_number: a for a in case.authorizations.all()}
    assert set(auths) == {HEAD_ID, spouse_id}
    for number in (HEAD_ID, spouse_id):  # stored as cleaned by the upload check
        with auths[number].scan.open("rb") as fh:
            stored = fh.read()
        assert auths[number].scan_sha256 == hashlib.sha256(stored).hexdigest()
    assert auths[HEAD_ID].scan.name.endswith(".pdf")
    assert auths[spouse_id].scan.name.endswith(".jpg")
    from PIL import Image

    with auths[spouse_id].scan.open("rb") as fh, Image.open(fh) as image:
        assert image.size == (31, 17)  # the spouse's page, not the head's
    assert case.adults_without_authorization() == []
    assert all(a.scan for a in case.authorizations.all())


@pytest.mark.clause("S2")
@pytest.mark.parametrize("files, targets, message", [
    ([], [], "赵德明、孙丽尚未上传签字的家庭经济状况核对授权书"),
    (["head"], ["0"], "孙丽尚未上传签字的家庭经济状况核对授权书"),
    (["head", "again"], ["0", "0"], "赵德明的授权书对应了多个文件"),
    (["head", "spouse"], ["0", ""], "请为第2个文件（spouse.png）选择是谁的授权书"),
    (["head", "spouse"], ["0", "2"], "请为第2个文件（spouse.png）选择是谁的授权书"),
    (["head", "spouse"], ["0"], "上传的文件与所选成员不对应"),
    (["head", "text"], ["0", "1"], "第2个文件（text.png）无法识别"),
    (["head", "empty"], ["0", "1"], "第2个文件（empty.png）是空文件"),
])
def test_acceptance_is_refused_without_each_adults_signed_scan(client, clerk_a, village_a,
                                                               files, targets, message):
    spouse_id = idnumber.make_number("371302", dt.date(1970, 1, 9), 224)
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a, [
        ("赵德明", HEAD_ID, "head"), ("孙丽", spouse_id, "spouse"), ("赵子涵", CHILD_ID, "son")]))
    client.post(CASE, case_post(client))
    content = {"head": PNG, "again": PDF, "spouse": PNG, "text": b"not a scan", "empty": b""}
    before = _counts()
    response = client.post(SIGN, {**sign_post(client, auths=targets, files=[
        scan(f"{name}.png", content[name]) for name in files])})
    assert response.status_code == 400
    assert response.templates[0].name == "cases/acceptance/sign.html"
    assert message in response.content.decode()
    assert _counts() == before, "no household, person, case or authorization saved"
    assert DRAFT_KEY in client.session, "the draft stays for the corrected submit"


def test_a_scan_over_the_size_limit_is_refused(client, clerk_a, village_a, settings):
    from cases.verification import files

    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    client.post(CASE, case_post(client))
    at_limit = PNG + b"\0" * (files.SCAN_MAX_BYTES - len(PNG))
    response = client.post(SIGN, sign_post(client, files=[scan("big.png", at_limit + b"\0")]))
    assert response.status_code == 400 and "超过10MB" in response.content.decode()
    assert not Case.objects.exists()
    response = client.post(SIGN, sign_post(client, files=[scan("limit.png", at_limit)]))
    assert response.status_code == 302 and Case.objects.get().authorizations.get().scan


def _pdf_text(content: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


@pytest.mark.clause("S2")
def test_the_bundle_prints_from_the_draft_before_anything_is_saved(client, clerk_a, village_a):
    from cases.models import CaseEvent, Deadline

    spouse_id = idnumber.make_number("371302", dt.date(1970, 1, 9), 224)
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a, [
        ("赵德明", HEAD_ID, "head"), ("孙丽", spouse_id, "spouse"), ("赵子涵", CHILD_ID, "son")]))
    before = (_counts(), CaseEvent.objects.count(), Deadline.objects.count())
    response = client.post(CASE, {**case_post(client), "print": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    grants = [page for page in text.split("\f") if "本人自愿授权贵单位" in page]
    assert len(grants) == 2, "one 核对授权书 per adult, none for the child"
    assert "赵德明" in grants[0] and "孙丽" in grants[1]
    assert not any("赵子涵" in page.split("授权人")[-1][:40] for page in grants)
    assert "社会救助申请书" in text and "户主患病" in text and "诚信声明及承诺书" in text
    assert "特委托受托人" not in text, "no delegate, no 委托授权书"
    assert (_counts(), CaseEvent.objects.count(), Deadline.objects.count()) == before
    assert client.session[DRAFT_KEY]["application"]["kind"] == "dibao"

    # With a delegate the proxy form is added, naming the delegate; screen 3 reprints it.
    client.post(CASE, case_post(client, agent={
        "name": "赵明亮", "id_number": idnumber.make_number("371302", dt.date(1990, 2, 2), 231),
        "relation": "侄子", "phone": "13800000000"}))
    text = _pdf_text(client.get(BUNDLE).content)
    assert "特委托受托人赵明亮" in text and "侄子" in text
    assert "受理后编号" in text
    assert (_counts(), CaseEvent.objects.count(), Deadline.objects.count()) == before
    assert not Case.objects.exists()


def test_a_household_changed_since_screen_one_prints_nothing_and_says_why(
        client, clerk_a, village_a):
    """Someone else registered the head in another household meanwhile: the bundle's dry run
    refuses it with the reason, on screen 2, and nothing is saved."""
    from tests.factories import HouseholdFactory, PersonFactory

    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    HouseholdFactory(village=village_a, members=[PersonFactory(
        name="赵德明", id_number=HEAD_ID, birth_date=dt.date(1968, 3, 14))])
    before = _counts()
    response = client.post(CASE, {**case_post(client), "print": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == CASE
    assert "家庭成员信息在第一步之后有变动" in response.content.decode()
    assert _counts() == before


def test_a_delegate_needs_name_id_number_and_relation(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    response = client.post(CASE, case_post(client, agent={"phone": "13800000000"}))
    assert response.status_code == 400
    text = response.content.decode()
    assert "请填写受托人的姓名" in text and "请填写受托人的公民身份号码" in text
    assert "请填写受托人的与委托人关系" in text
    assert "application" not in client.session[DRAFT_KEY]


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
    response = accept(client, auths=[str(i) for i in range(len(adults))])
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
    response = accept(client, kind="temp_expenditure", auths=())
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
    assert client.get(SIGN).status_code == 403
    assert client.get(BUNDLE).status_code == 403
    assert not Case.objects.exists()


def test_the_done_page_of_a_case_outside_scope_is_not_found(client, clerk_a, clerk_b,
                                                            village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    accept(client)
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
    client.post(CASE, case_post(client))
    response = client.post(SIGN, sign_post(
        client, signed_on=timezone.localdate() + dt.timedelta(days=1)))
    assert response.status_code == 400 and "签署日期不能晚于今天" in response.content.decode()
    assert not Case.objects.exists()
    response = client.post(SIGN, sign_post(client, signed_on=timezone.localdate()))
    assert response.status_code == 302


def test_a_service_refusal_rolls_back_the_household_and_the_case(client, clerk_a, village_a,
                                                                 monkeypatch):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    before = _counts()

    def refuse(**kwargs):
        raise CaseActionError("condition", "测试：受理条件不满足。")

    monkeypatch.setattr(services, "case_accept", refuse)
    client.post(CASE, case_post(client))
    response = client.post(SIGN, sign_post(client))
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
    response = accept(client, auths=("0", "1"))
    assert response.status_code == 400
    assert "不能重复申请" in response.content.decode()
    assert Case.objects.count() == cases


def test_screens_without_a_draft_or_twice_submitted_go_back_to_screen_one(
        client, clerk_a, village_a):
    client.force_login(clerk_a)
    assert client.get(CASE)["Location"] == START
    assert client.get(SIGN)["Location"] == START
    assert client.get(BUNDLE)["Location"] == START
    client.post(START, new_household_post(village_a))
    assert client.get(SIGN)["Location"] == CASE, "screen 3 needs the application first"
    assert client.get(BUNDLE)["Location"] == CASE
    assert client.post(CASE, case_post(client)).status_code == 302
    data = sign_post(client)
    assert client.post(SIGN, data).status_code == 302
    data["scans"] = [scan()]
    again = client.post(SIGN, data)
    assert again.status_code == 302 and again["Location"] == START
    assert Case.objects.count() == 1


def test_a_stale_token_does_not_submit(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    data = case_post(client)
    data["token"] = "0" * 32
    assert client.post(CASE, data)["Location"] == CASE
    client.post(CASE, case_post(client))
    data = sign_post(client)
    data["token"] = "0" * 32
    assert client.post(SIGN, data)["Location"] == SIGN
    assert not Case.objects.exists()


def test_going_back_refills_screen_one_from_the_draft(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    page = client.get(START, {"back": "1"})
    assert HEAD_ID in page.content.decode() and "兰山街道测试路88号" in page.content.decode()
    client.post(CASE, case_post(client, hardship="从第三屏返回修改。"))
    page = client.get(CASE)
    assert "从第三屏返回修改。" in page.content.decode()


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


@pytest.mark.parametrize("content", [
    svg_reading("/etc/passwd"),  # an SVG named .png, pointing at a local file
    png_declaring(13_000, 13_000),  # 169 megapixels in a few hundred bytes
    FAKE_PDF,
], ids=["svg", "huge_png", "fake_pdf"])
def test_screen_three_takes_its_pages_through_the_upload_check(client, clerk_a, village_a,
                                                               content):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    client.post(CASE, case_post(client))
    before = _counts()
    response = client.post(SIGN, sign_post(client, files=[scan("page.png", content)]))
    assert response.status_code == 400
    assert "第1个文件（page.png）" in response.content.decode()
    assert _counts() == before
