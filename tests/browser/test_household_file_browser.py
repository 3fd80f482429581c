"""The household file and batch printing in Chromium (S16, S18): the leader downloads a
household's file (一户一档) and prints the checked cases of the sign-off queue as one PDF on a
PC; the clerk prints the notices to deliver with their receipts on a 360 px phone."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from cases.demo_cases import build_case
from documents.models import IssuedDocument
from tests.browser.conftest import SMALL_PHONE
from tests.browser.forms import submits
from tests.documents.conftest import pdf_text
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday


def _household(village):
    return HouseholdFactory(village=village, members=[PersonFactory(born=dt.date(1988, 5, 1)),
                                                      PersonFactory(born=dt.date(1950, 1, 9))])


def _downloaded(download) -> bytes:
    with open(download.value.path(), "rb") as fh:
        return fh.read()


@pytest.mark.clause("S16", "S18")
@submits("documents_batch_print")
def test_household_file_and_batch_print_from_the_leader_queue_and_the_clerks_phone(
        journey, village_a, clerk_a, verifier_a, leader_a):
    staff = {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}
    with time_machine.travel(START, tick=True):
        waiting = [build_case("awaiting_sign_off", household=_household(village_a), days_ago=12,
                              **staff) for _ in range(2)]
        rejected = build_case("rejected", household=_household(village_a), days_ago=1, **staff)

        # 1. The leader downloads one household's file from its index page.
        page = journey.page_as(leader_a)
        page.goto(journey.url(f"/documents/households/{waiting[0].household_id}/"))
        journey.shot(page, "household-file-index")
        with page.expect_download() as download:
            page.get_by_role("link", name="导出合并PDF（含卷内目录）").click()
        text = pdf_text(_downloaded(download))
        assert "卷内目录" in text and "入户调查登记表" in text and "办理过程记录" in text
        for document in IssuedDocument.objects.filter(case=waiting[0]):
            assert document.number in text and document.sha256 in text

        # 2. Two cases checked in the sign-off queue, printed as one PDF.
        page.goto(journey.url("/leader/queue/"))
        for case in waiting:
            page.check(f"#case-{case.pk}")
        journey.shot(page, "leader-queue-checked")
        with page.expect_download() as download:
            page.get_by_role("button", name="批量打印所选案件文书").click()
        content = _downloaded(download)
        documents = IssuedDocument.objects.filter(case__in=waiting, superseded_by__isnull=True)
        assert len(PdfReader(io.BytesIO(content)).pages) == sum(d.pages for d in documents)
        assert all(c.status == "awaiting_sign_off" for c in
                   type(waiting[0]).objects.filter(pk__in=[c.pk for c in waiting]))

        # 3. On a 360 px phone the clerk prints the rejection notice with its 送达回证.
        phone = journey.page_as(clerk_a, viewport=SMALL_PHONE, mobile=True)
        phone.goto(journey.url("/work/"))
        section = phone.locator("#notices-to-deliver")
        notice = IssuedDocument.objects.get(case=rejected, kind="rejection_notice")
        section.get_by_label(f"选择 {notice.number}").check()
        journey.shot(phone, "notices-to-deliver-phone")
        assert phone.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
        with phone.expect_download() as download:
            phone.get_by_role("button", name="批量打印所选告知书及送达回证").click()
        text = pdf_text(_downloaded(download))
        assert notice.number in text and notice.receipts.get().number in text
