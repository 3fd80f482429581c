"""What acceptance keeps besides the authorizations: the applicant's delegate (委托代理人), so
the case's bundle carries a 委托授权书 exactly when someone was delegated, and the signed
申请书 and 诚信声明 pages attached on screen 3, stored with the case and the household in the
acceptance's transaction. A refused page refuses the whole submit: nothing is saved.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from cases import idnumber
from cases.agents import case_agent_record
from cases.errors import CaseActionError
from cases.forms_acceptance import MAX_SIGNED_PAGES
from cases.models import Case, CaseAgent, CaseEvent, Household, Person
from documents.bundle import bundle_issue, bundle_parts, bundle_pdf
from documents.kinds import DocumentKind
from documents.models import Attachment
from tests.cases.test_acceptance_flow import (
    CASE,
    PDF,
    SIGN,
    START,
    case_post,
    new_household_post,
    scan,
    sign_post,
)
from tests.security.hostile_files import FAKE_PDF, png, png_declaring, svg_reading

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S15")]

AGENT_ID = idnumber.make_number("371302", dt.date(1990, 2, 2), 231)
BAD_ID = AGENT_ID[:-1] + ("1" if AGENT_ID[-1] != "1" else "2")  # a wrong check digit
AGENT = {"name": "赵明亮", "id_number": AGENT_ID, "relation": "侄子", "phone": "13800000000"}


def _pypdf_text(content: bytes) -> str:
    """The PDF's text read back with pypdf, whitespace removed (CJK compared unspaced)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def _accept(client, clerk, village, *, agent=None, **sign) -> object:
    client.force_login(clerk)
    client.post(START, new_household_post(village))
    response = client.post(CASE, case_post(client, agent=agent))
    assert response.status_code == 302, response
    return client.post(SIGN, {**sign_post(client), **sign})


def _counts() -> tuple[int, ...]:
    return (Household.objects.count(), Person.objects.count(), Case.objects.count(),
            CaseAgent.objects.count(), Attachment.objects.count(), CaseEvent.objects.count())


# --- The delegate --------------------------------------------------------------------------------

def test_the_delegate_is_recorded_with_the_case_and_fills_its_proxy_form(client, clerk_a,
                                                                         village_a):
    response = _accept(client, clerk_a, village_a, agent=AGENT)
    case = Case.objects.get()
    assert response.status_code == 302
    agent = CaseAgent.objects.get(case=case)
    assert (agent.name, agent.id_number, agent.relation, agent.phone, agent.recorded_by) == (
        "赵明亮", AGENT_ID, "侄子", "13800000000", clerk_a)
    event = case.events.get(action="agent_recorded")
    assert event.actor == clerk_a and event.payload["id_number"] == idnumber.mask(AGENT_ID)
    assert AGENT_ID not in str(event.payload)

    assert DocumentKind.PROXY in [k for k, _ in bundle_parts(case)]
    text = _pypdf_text(bundle_pdf(case, by=clerk_a))
    assert "委托授权书" in text
    assert "特委托受托人赵明亮代为办理" in text, "the delegate named family name first"
    assert AGENT_ID in text and "侄子" in text

    done = client.get(response["Location"]).content.decode()
    assert "赵明亮（侄子，" + idnumber.mask(AGENT_ID) + "）" in done
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "委托代理人" in page and idnumber.mask(AGENT_ID) in page and AGENT_ID not in page


def test_the_delegates_id_number_and_phone_are_stored_encrypted_and_hashed(client, clerk_a,
                                                                          village_a):
    from cases import crypto
    from tests.security.test_encryption import raw_row

    _accept(client, clerk_a, village_a, agent=AGENT)
    agent = CaseAgent.objects.get()
    stored_id, stored_phone, stored_hash = raw_row("cases_caseagent", agent.pk, "id_number",
                                                   "phone", "id_number_hash")
    assert stored_id.startswith(crypto.TOKEN_PREFIX) and AGENT_ID not in stored_id
    assert stored_phone.startswith(crypto.TOKEN_PREFIX) and "13800000000" not in stored_phone
    assert stored_hash == crypto.id_hash(AGENT_ID)
    assert CaseAgent.objects.filter(id_number=AGENT_ID).get() == agent


def test_without_a_delegate_the_case_bundle_has_no_proxy_form(client, clerk_a, village_a):
    from django.db import transaction

    _accept(client, clerk_a, village_a)
    case = Case.objects.get()
    assert not CaseAgent.objects.exists()
    assert DocumentKind.PROXY not in [k for k, _ in bundle_parts(case)]
    text = _pypdf_text(bundle_pdf(case, by=clerk_a))
    assert "社会救助申请书" in text and "诚信声明及承诺书" in text
    # (The one-time notice names the form among the materials: the form itself is absent.)
    assert "特委托受托人" not in text and "委托期限" not in text
    response = client.get(reverse("case_bundle_pdf", args=[case.pk]))
    assert response.status_code == 200
    assert "特委托受托人" not in _pypdf_text(b"".join(response.streaming_content)
                                         if response.streaming else response.content)
    with transaction.atomic():
        issued = bundle_issue(case=case, by=clerk_a)
    assert DocumentKind.PROXY not in {d.kind for d in issued}


def _received_case(clerk, village):
    from cases import services
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(village=village, members=2)
    return services.case_create(household=household, applicant=household.head, kind="dibao",
                                by=clerk)


def test_a_proxy_form_without_a_delegate_is_refused_in_words(clerk_a, village_a):
    from documents.context import DocumentDataError, build_context

    case = _received_case(clerk_a, village_a)
    with pytest.raises(DocumentDataError, match="没有委托他人代办"):
        build_context(DocumentKind.PROXY, case=case, by=clerk_a)


def test_the_delegate_is_recorded_once_by_the_townships_clerk_before_acceptance(
        client, clerk_a, clerk_b, village_a):
    case = _received_case(clerk_a, village_a)
    with pytest.raises(CaseActionError, match="不是该镇街的窗口受理人员"):
        case_agent_record(case=case, by=clerk_b, **AGENT)
    with pytest.raises(ValidationError) as exc:
        case_agent_record(case=case, by=clerk_a, **{**AGENT, "id_number": BAD_ID})
    assert "委托代理人受托人公民身份号码" in "；".join(exc.value.messages)
    with pytest.raises(ValidationError, match="委托代理人与委托人关系"):
        case_agent_record(case=case, by=clerk_a, **{**AGENT, "relation": ""})
    assert not CaseAgent.objects.exists()
    assert not case.events.filter(action="agent_recorded").exists()
    case_agent_record(case=case, by=clerk_a, **AGENT)
    with pytest.raises(CaseActionError, match="已登记委托代理人"):
        case_agent_record(case=case, by=clerk_a, **{**AGENT, "name": "钱多多"})
    assert CaseAgent.objects.get().name == "赵明亮"


def test_a_delegates_phone_is_checked_on_screen_two(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    response = client.post(CASE, case_post(client, agent={**AGENT, "phone": "12345"}))
    assert response.status_code == 400
    assert "请输入11位手机号码或带区号的固定电话" in response.content.decode()


def test_the_admin_shows_the_delegate_read_only_and_masked(client, clerk_a, village_a,
                                                          superuser):
    _accept(client, clerk_a, village_a, agent=AGENT)
    agent = CaseAgent.objects.get()
    client.force_login(superuser)
    url = reverse("admin:cases_caseagent_change", args=[agent.pk])
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert idnumber.mask(AGENT_ID) in text and AGENT_ID not in text
    client.post(url, {"name": "钱多多", "relation": "朋友"})
    assert CaseAgent.objects.get().name == "赵明亮"
    assert client.get(reverse("admin:cases_caseagent_add")).status_code == 403


# --- The signed 申请书 and 诚信声明 ------------------------------------------------------------

@pytest.mark.clause("S18")
def test_signed_application_and_declaration_pages_are_stored_with_the_case(client, clerk_a,
                                                                           village_a):
    response = _accept(client, clerk_a, village_a, application_pages=[
        scan("申请书1.png", png(600, 800)), scan("申请书2.pdf", PDF)],
        declaration_pages=[scan("诚信声明.png", png(600, 820))])
    assert response.status_code == 302
    case = Case.objects.get()
    pages = list(Attachment.objects.order_by("pk"))
    assert [(a.kind, a.note) for a in pages] == [
        ("signed_application", "受理时上传，第1页"), ("signed_application", "受理时上传，第2页"),
        ("signed_declaration", "受理时上传，第1页")]
    assert all(a.case == case and a.household == case.household for a in pages)
    assert all(a.uploaded_by == clerk_a and a.sha256 for a in pages)
    assert [a.content_type for a in pages] == ["image/png", "application/pdf", "image/png"]
    assert case.events.filter(action="attachment_added").count() == 3
    accepted = case.events.get(action="accept")
    assert all(e.seq < accepted.seq for e in case.events.filter(action="attachment_added"))

    done = client.get(response["Location"]).content.decode()
    assert "已存档2页" in done and "已存档1页" in done

    # The household file lists them (index titles from the attachment kinds).
    from documents.selectors import household_archive

    titles = [e.title for e in household_archive(case.household)]
    assert titles.count("附件：签字申请书扫描件") == 2
    assert titles.count("附件：签字诚信声明扫描件") == 1


def test_the_signed_pages_are_optional_at_acceptance(client, clerk_a, village_a):
    response = _accept(client, clerk_a, village_a)
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    done = client.get(response["Location"]).content.decode()
    attachments = reverse("household_attachments", args=[Case.objects.get().household_id])
    assert f'未上传（可在<a href="{attachments}">附件材料页</a>补传）' in done


def test_screen_three_offers_several_pages_from_camera_or_files(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    client.post(CASE, case_post(client))
    text = client.get(SIGN).content.decode()
    for name in ("application_pages", "declaration_pages"):
        field = re.search(rf'<input type="file" name="{name}"[^>]*>', text)
        assert field, name
        assert "multiple" in field[0] and 'accept="image/*,application/pdf"' in field[0]
        assert "capture" in field[0]


@pytest.mark.parametrize("content, message", [
    (svg_reading("/etc/passwd"), "签字的申请书第2页（bad.png）无法识别"),
    (png_declaring(13_000, 13_000), "签字的申请书第2页（bad.png）像素过大"),
    (FAKE_PDF, "无法读取该PDF签字的申请书第2页（bad.png）"),
    (b"", "签字的申请书第2页（bad.png）是空文件"),
], ids=["svg", "huge_png", "fake_pdf", "empty"])
def test_a_bad_signed_page_is_refused_in_chinese_and_nothing_is_saved(client, clerk_a,
                                                                      village_a, content,
                                                                      message):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    client.post(CASE, case_post(client, agent=AGENT))
    before = _counts()
    response = client.post(SIGN, {**sign_post(client), "application_pages": [
        scan("good.png", png(300, 400)), scan("bad.png", content)],
        "declaration_pages": [scan("ok.png", png(300, 400))]})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _counts() == before, "no household, person, case, delegate or attachment saved"
    assert not Case.objects.exists()


def test_more_signed_files_than_the_limit_are_refused(client, clerk_a, village_a):
    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    client.post(CASE, case_post(client))
    before = _counts()
    page = png(10, 10)
    response = client.post(SIGN, {**sign_post(client), "declaration_pages": [
        scan(f"p{i}.png", page) for i in range(MAX_SIGNED_PAGES + 1)]})
    assert response.status_code == 400
    assert f"签字的诚信声明最多上传{MAX_SIGNED_PAGES}个文件" in response.content.decode()
    assert _counts() == before
    response = client.post(SIGN, {**sign_post(client), "declaration_pages": [
        scan(f"p{i}.png", page) for i in range(MAX_SIGNED_PAGES)]})
    assert response.status_code == 302
    assert Attachment.objects.filter(kind="signed_declaration").count() == MAX_SIGNED_PAGES


def test_a_refusal_after_the_pages_are_checked_saves_no_page(client, clerk_a, village_a,
                                                           monkeypatch):
    """A service refusal late in the transaction rolls back the pages stored before it."""
    from cases import services

    def refuse(**kwargs):
        raise CaseActionError("refused", "测试：受理被拒绝。")

    client.force_login(clerk_a)
    client.post(START, new_household_post(village_a))
    client.post(CASE, case_post(client, agent=AGENT))
    before = _counts()
    monkeypatch.setattr(services, "case_accept", refuse)
    response = client.post(SIGN, {**sign_post(client), "application_pages": [
        scan("a.png", png(300, 400))]})
    assert response.status_code == 400 and "测试：受理被拒绝。" in response.content.decode()
    assert _counts() == before
