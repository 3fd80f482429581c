"""The complete household file (一户一档, S17, S18): every kind of item in the merged PDF, read
back with pdftotext, each index line with its date and SHA-256; an unreadable stored file is
listed as such and the rest still renders."""

from __future__ import annotations

import hashlib
import io
import logging

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cases.models import Appraisal, HomeVisit, HomeVisitPhoto, VerificationAuthorization
from documents.archive import UNREADABLE, archive_pdf
from documents.delivery import delivery_record
from documents.kinds import DocumentKind
from documents.models import Attachment, DeliveryMethod, DeliveryOutcome
from documents.selectors import household_archive
from publicity.models import BatchEntry, PublicityBatch
from tests.documents.conftest import issue, pdf_text

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S17", "S18")]


def _png(color: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), color).save(out, format="PNG")
    return out.getvalue()


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def complete(full_case, people, clerk_a, leader_a, verifier_a):
    """A case with every kind of item the household file holds."""
    case = full_case
    scan = _png("lightgray")
    auth = VerificationAuthorization.objects.get(case=case, person=people["applicant"])
    auth.scan.save("auth.png", ContentFile(scan), save=False)
    auth.scan_sha256 = _sha(scan)
    auth.save()
    visit = HomeVisit.objects.get(case=case)
    photo_bytes = _png("beige")
    photo = HomeVisitPhoto(visit=visit, sha256=_sha(photo_bytes), width=300, height=400,
                           caption="厨房", uploaded_by=clerk_a)
    photo.image.save("visit.png", ContentFile(photo_bytes), save=False)
    photo.save()
    board_bytes = _png("lightblue")
    now = timezone.now()
    batch = PublicityBatch(township=case.township, village=case.village,
                           posted_on=timezone.localdate(), published_by=clerk_a,
                           posted_at=now, posted_place="前十社区公示栏",
                           board_photo_sha256=_sha(board_bytes), confirmed_by=clerk_a,
                           confirmed_at=now)
    batch.board_photo.save("board.png", ContentFile(board_bytes), save=False)
    batch.save()
    BatchEntry.objects.create(batch=batch, case=case, seq=1, enlisted_by=clerk_a,
                              enlisted_at=now)
    appraisal = Appraisal.objects.get(case=case)
    appraisal_scan = _png("ivory")
    appraisal.scan.save("appraisal.png", ContentFile(appraisal_scan), save=False)
    appraisal.scan_sha256 = _sha(appraisal_scan)
    appraisal.recorder = "吴淑珍"
    appraisal.save()
    Attachment.objects.create(household=case.household, case=case, kind="hukou_book",
                              file=ContentFile(_png("pink"), name="hukou.png"),
                              content_type="image/png", size=1, sha256=_sha(_png("pink")),
                              uploaded_by=clerk_a)
    signed = _png("lavender")
    Attachment.objects.create(household=case.household, case=case, kind="signed_application",
                              file=ContentFile(signed, name="application.png"),
                              content_type="image/png", size=len(signed), sha256=_sha(signed),
                              uploaded_by=clerk_a)
    issued = {
        "visit": issue(case, K.HOME_VISIT, clerk_a),
        "report": issue(case, K.VERIFICATION_REPORT, verifier_a),
        "appraisal": issue(case, K.APPRAISAL_RECORD, clerk_a),
        "rejection": issue(case, K.REJECTION, leader_a),
    }
    delivery_record(document=issued["rejection"], method=DeliveryMethod.IN_PERSON, by=clerk_a,
                    outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                    recipient="王秀英",
                    receipt_scan=SimpleUploadedFile("signed.png", _png("khaki"), "image/png"))
    return case, issued, photo


def test_the_household_file_holds_every_kind_of_item(household, complete):
    case, issued, photo = complete
    text = pdf_text(archive_pdf(household))
    index = text[:text.index("打印日期")]  # the index (卷内目录) ends with its printing date
    for title in ("入户调查登记表", "家庭经济状况核对报告", "民主评议记录", "不予批准告知书",
                  "送达回证", "核对授权书(签字扫描件)：王秀英", "入户调查照片：厨房",
                  "审批公示单", "公示栏张贴照片", "民主评议记录(签字扫描件)",
                  "送达回证(签收扫描件)", "办理过程记录", "附件：户口簿", "附件：签字申请书扫描件"):
        assert title in index, title
    # Index lines carry the SHA-256 registered for each item.
    for document in issued.values():
        assert document.number in text and document.sha256 in text
    assert photo.sha256 in text and _sha(_png("lavender")) in text
    # The content follows the index: the documents as issued, the board sheet, the trail.
    assert "自建房两间，无大型农机，无车辆。" in text  # 入户调查表
    assert "家庭月人均收入低于当地低保标准。" in text  # 核对报告
    assert "周文华" in text  # 民主评议记录
    assert "社会救助审批公示" in text  # the board sheet
    assert "出具文书" in text  # the trail's events
    receipt = issued["rejection"].receipts.get()
    assert f"《不予批准告知书》{issued['rejection'].number}" in text and receipt.number in text


def test_an_unreadable_stored_file_is_listed_and_the_rest_renders(household, complete, caplog):
    case, issued, photo = complete
    photo.image.storage.delete(photo.image.name)  # the stored photo is gone
    with caplog.at_level(logging.ERROR, logger="documents.archive"):
        content = archive_pdf(household)
    text = pdf_text(content)
    assert "入户调查照片：厨房" in text and UNREADABLE in text
    assert text.count(UNREADABLE) == 1
    assert "自建房两间，无大型农机，无车辆。" in text and "社会救助审批公示" in text
    assert "无法读取" in caplog.text
    entry = next(e for e in household_archive(household) if e.title == "入户调查照片：厨房")
    assert entry.file is not None
