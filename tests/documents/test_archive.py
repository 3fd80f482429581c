"""One household, one file: the index (卷内目录) and the exports (S18)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from documents.archive import archive_pdf, archive_zip
from documents.delivery import delivery_record
from documents.kinds import DocumentKind
from documents.models import DeliveryMethod, DeliveryOutcome
from documents.selectors import household_archive
from documents.services import document_correct, file_sha256
from tests.documents.conftest import issue, page_count, pdf_text

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S18")]


@pytest.fixture
def filed(full_case, clerk_a, leader_a):
    """Acceptance, rejection (corrected once, delivered with a scanned receipt)."""
    acceptance = issue(full_case, K.ACCEPTANCE, clerk_a)
    rejection = issue(full_case, K.REJECTION, leader_a)
    corrected = document_correct(document=rejection, by=leader_a, reason="理由表述有误")
    png = io.BytesIO()
    Image.new("RGB", (400, 560), "white").save(png, format="PNG")
    delivery_record(document=corrected, method=DeliveryMethod.IN_PERSON, by=clerk_a,
                    outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                    recipient="王秀英",
                    receipt_scan=SimpleUploadedFile("huizheng.png", png.getvalue(), "image/png"))
    return acceptance, rejection, corrected


def test_the_index_lists_every_document_including_superseded_ones(household, filed):
    acceptance, rejection, corrected = filed
    entries = household_archive(household)
    assert [e.position for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    receipts = [e for e in entries if e.document is not None
                and e.document.kind == K.DELIVERY_RECEIPT]
    assert [e.number for e in entries if e.trail_case is None and e not in receipts] == [
        acceptance.number, rejection.number, corrected.number, corrected.number]
    # Each notice that must be delivered was issued with its 送达回证.
    assert [r.document.serves_id for r in receipts] == [rejection.pk, corrected.pk]
    assert entries[1].note == "已被更正"
    assert entries[3].note == f"更正{rejection.number}"
    assert entries[4].is_scan and "送达回证(签收扫描件)" in entries[4].title
    assert entries[6].title == "办理过程记录" and entries[6].trail_case is not None


def test_the_merged_pdf_starts_with_the_index(household, filed):
    content = archive_pdf(household)
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    first = pdf_text(_page(reader, 0))
    assert "卷内目录" in first
    for document in filed:
        assert document.number in first
        assert document.sha256 in first  # each index line carries its SHA-256
    receipts = [d for d in filed[1:] for d in d.receipts.all()]
    documents = [*filed, *receipts]
    trail_pages = page_count(content) - 1 - sum(d.pages for d in documents) - 1
    assert trail_pages >= 1  # index + documents + the scan's page + the trail
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert titles[:2] == ["卷内目录", "1. 社会救助申请受理通知书"] and len(titles) == 8


def test_the_zip_holds_index_files_and_hashes(household, filed):
    with zipfile.ZipFile(io.BytesIO(archive_zip(household))) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        assert names[0] == "00_卷内目录.pdf" and len(names) == 1 + 7 + 1
        first = manifest["entries"][0]
        assert first["sha256"] == first["registered_sha256"] == \
            file_sha256(filed[0].pdf.name)
        assert zf.read(first["file"]).startswith(b"%PDF")


def test_an_empty_household_file_still_has_an_index(household):
    assert "本户尚无已出具的文书" in pdf_text(archive_pdf(household))


def _page(reader, index: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
