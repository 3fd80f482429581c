"""A window clerk takes an application in the order of the window, in a real browser (Debian's
Chromium driven by Playwright against the live test server), at a PC window and at 360 px:
the household; the application, and the bundle to sign printed BEFORE acceptance (a 核对授权书
per adult, no 委托授权书 without a delegate, read back with pdftotext); the signed pages
uploaded together with each adult's authorization matched to its person, and a page of the
signed 申请书 beside them, then accepted and the 受理通知书 printed. At most three screens
(S15 最多跑一次), counted by the step each page shows.
"""

from __future__ import annotations

import base64
import datetime as dt
import subprocess

import pytest

from cases import idnumber
from cases.demo_cases import build_case
from cases.models import Case, CaseAgent
from cases.workflow import CaseStatus
from documents.kinds import DocumentKind
from documents.models import Attachment
from tests.browser.conftest import DESK, SMALL_PHONE, photo_file
from tests.browser.forms import submits
from tests.factories import HouseholdFactory
from tests.security.hostile_files import png

pytestmark = [
    pytest.mark.browser,
    pytest.mark.clause("S15"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEAD_ID = idnumber.make_number("371302", dt.date(1971, 5, 20), 318)
SPOUSE_ID = idnumber.make_number("371302", dt.date(1973, 8, 11), 326)
CHILD_ID = idnumber.make_number("371302", dt.date(2014, 9, 3), 322)


# What the 打印待签字材料 button submits: the form's fields and print=1.
PRINT_JS = """async () => {
  const form = document.getElementById("case-form");
  const data = new FormData(form);
  data.append("print", "1");
  const r = await fetch(location.href, {method: "POST", body: data, credentials: "same-origin"});
  const bytes = new Uint8Array(await r.arrayBuffer());
  let s = "";
  for (const b of bytes) { s += String.fromCharCode(b); }
  return {type: r.headers.get("content-type"), body: btoa(s)};
}"""


def _pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content,
                          capture_output=True, check=True).stdout.decode()


def _member(page, i: int, name: str, number: str, relationship: str, expect) -> None:
    if i:
        page.click("#add-member")
    page.fill(f"#id_m-{i}-name", name)
    page.locator(f"#id_m-{i}-id_number").press_sequentially(number, delay=5)
    expect(page.locator(f"#id_m-{i}-id_number + .idcheck")).to_contain_text("号码有效",
                                                                           timeout=10000)
    page.select_option(f"#id_m-{i}-relationship", relationship)
    page.select_option(f"#id_m-{i}-hukou_type", "rural")


@pytest.mark.clause("S2")
@pytest.mark.parametrize("size", ["pc", "phone360"])
@submits("accept_start", "accept_case", "accept_sign")
def test_a_clerk_accepts_in_the_order_of_the_window_in_three_screens(
        journey, size, clerk_a, verifier_a, leader_a, village_a, tmp_path):
    from playwright.sync_api import expect

    viewport = DESK if size == "pc" else SMALL_PHONE
    # Some work on the desk, so the workspace shows what a morning looks like.
    for state, days in (("received", 1), ("investigating", 22), ("investigating", 3),
                        ("in_publicity", 20), ("emergency_reported", 0), ("aid_given", 1)):
        build_case(state, household=HouseholdFactory(village=village_a, members=2),
                   clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=days)
    cases_before = set(Case.objects.values_list("pk", flat=True))
    scans = [photo_file(tmp_path / "spouse.jpg", size=(800, 1100)),
             photo_file(tmp_path / "head.jpg", size=(820, 1130))]
    application_page = tmp_path / "申请书.png"
    application_page.write_bytes(png(840, 1188))  # a real (decodable) page, A4-shaped

    page = journey.page_as(clerk_a, viewport=viewport, mobile=size != "pc")
    steps: list[str] = []
    page.goto(journey.url("/work/"))
    expect(page.locator("h1")).to_contain_text("窗口工作台")
    expect(page.locator("#start-emergency")).to_be_visible()
    expect(page.locator("#waiting-emergency-aid li")).to_have_count(1)
    expect(page.locator("#waiting-emergency-registration li")).to_have_count(1)
    journey.shot(page, "clerk-home", full_page=True,
                 docs="clerk-home.png" if size == "pc" else "")

    def step() -> None:
        steps.append(page.locator(".steps [aria-current=step]").inner_text())
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # Screen 1: a new household with its members, ID numbers checked as they are typed.
    page.click("#start-acceptance")
    expect(page.locator("h1")).to_have_text("受理申请")
    step()
    page.select_option("#id_village", str(village_a.pk))
    page.fill("#id_address", "兰山街道测试路12号")
    page.select_option("#id_hukou_type", "rural")
    _member(page, 0, "钱守信", HEAD_ID, "head", expect)
    _member(page, 1, "周兰芳", SPOUSE_ID, "spouse", expect)
    _member(page, 2, "钱浩然", CHILD_ID, "son", expect)
    journey.shot(page, "accept-1-household", full_page=True)
    page.click("#household-submit")

    # Screen 2: the application; the bundle to sign prints from the draft.
    expect(page.locator("h2").first).to_contain_text("申请家庭")
    step()
    page.check("input[name=kind][value=dibao]")
    page.fill("#id_hardship", "户主患慢性病，无稳定收入，子女在读小学。")
    page.check("input[name=materials][value=申请人居民身份证]")
    page.check("input[name=materials][value=社会救助申请书]")
    journey.shot(page, "accept-2-application", full_page=True)
    # The print button posts the form to a new tab; Chromium's PDF viewer would load its own
    # resources there, so the test posts what that button posts and keeps the bytes.
    expect(page.locator("#print-bundle")).to_have_attribute("formtarget", "_blank")
    printed = page.evaluate(PRINT_JS)
    bundle_type, bundle_body = printed["type"], base64.b64decode(printed["body"])
    cases_after_print = set(Case.objects.values_list("pk", flat=True))
    page.click("#case-submit")

    # Screen 3: the signed pages, matched to their adults, then accepted.
    expect(page.locator("#sign-form")).to_be_visible()
    page.wait_for_load_state("load")  # acceptance.js has bound the file input
    step()
    page.set_input_files("#scans", [str(p) for p in scans])
    expect(page.locator("#scan-list select")).to_have_count(2)
    page.select_option("#scan-for-0", label=f"周兰芳（{idnumber.mask(SPOUSE_ID)}）的核对授权书")
    page.select_option("#scan-for-1", label=f"钱守信（{idnumber.mask(HEAD_ID)}）的核对授权书")
    # The signed application, from the same camera or file picker; the declaration later.
    page.set_input_files("#application_pages", [str(application_page)])
    expect(page.locator("#application-page-list li")).to_have_text(["第1页：申请书.png"])
    journey.shot(page, "accept-3-signed-pages", full_page=True)
    page.click("#accept-submit")
    expect(page.locator("h1")).to_have_text("受理完成")
    step()
    expect(page.locator("#accepted-scans")).to_contain_text("钱守信（扫描件已存档）")
    expect(page.locator("#accepted .signed-pages")).to_have_text(
        ["已存档1页", "未上传（可在附件材料页补传）"])
    journey.shot(page, "accept-3-accepted", full_page=True)
    notice = page.request.get(journey.url(page.get_attribute("#print-notice", "href")))
    notice_status, notice_type = notice.status, notice.headers["content-type"]

    assert steps == ["1 家庭", "2 申请、打印待签字材料", "3 上传签字材料、受理",
                     "3 上传签字材料、受理"], steps
    assert len(set(steps)) <= 3
    assert bundle_type == "application/pdf"
    assert cases_after_print == cases_before, "printing the bundle saves no case"
    assert bundle_body.startswith(b"%PDF"), (len(bundle_body), bundle_body[:200])
    text = _pdf_text(bundle_body)
    grants = [p for p in text.split("\f") if "本人自愿授权贵单位" in p]
    assert len(grants) == 2 and "钱守信" in grants[0] and "周兰芳" in grants[1]
    assert "特委托受托人" not in text, "no delegate, no 委托授权书"
    assert "社会救助申请书" in text and "诚信声明及承诺书" in text
    assert (notice_status, notice_type) == (200, "application/pdf")

    (case,) = Case.objects.exclude(pk__in=cases_before)
    assert case.status == CaseStatus.INVESTIGATING and case.created_by == clerk_a
    auths = {a.person.id_number: a for a in case.authorizations.all()}
    assert set(auths) == {HEAD_ID, SPOUSE_ID}
    from PIL import Image

    # Each page is stored (re-encoded by the upload check) on its own person's authorization.
    for number, size in ((SPOUSE_ID, (800, 1100)), (HEAD_ID, (820, 1130))):
        with auths[number].scan.open("rb") as fh, Image.open(fh) as image:
            assert image.size == size
    assert case.documents.filter(kind=DocumentKind.ACCEPTANCE).count() == 1
    # The signed application page is kept with the case and the household, re-encoded.
    (signed,) = Attachment.objects.filter(case=case)
    assert (signed.kind, signed.household_id) == ("signed_application", case.household_id)
    with signed.file.open("rb") as fh, Image.open(fh) as image:
        assert image.size == (840, 1188)
    assert not CaseAgent.objects.filter(case=case).exists(), "nobody was delegated"
