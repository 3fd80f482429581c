"""Scans and photos in the household's file: type and size checked, images stripped of
metadata, hashed, scoped and logged; an upload to a case is written to its trail."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cases.demo_cases import build_case
from cases.errors import CaseActionError
from cases.models import AccessLog, CaseEvent
from documents.attachments import attachment_add
from documents.models import Attachment, AttachmentKind
from tests.security.world import pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S18")]

PDF = pdf_bytes()
TYPE_REFUSAL = "文件无法识别，只能上传PDF、JPG或PNG文件（按文件内容判断，与文件名无关）。"
GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° to display
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 6.0, 0.0), 3: "E", 4: (118.0, 21.0, 0.0)})
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 255)).save(buf, "PNG")
    return buf.getvalue()


def _login(client, user):
    client.force_login(user)
    return client


def test_pdf_is_parsed_rewritten_and_stored_with_its_hash(household_a, clerk_a):
    from pypdf import PdfReader

    attachment = attachment_add(household=household_a, uploaded_file=_upload("户口簿.pdf", PDF),
                                kind=AttachmentKind.HUKOU_BOOK, by=clerk_a, note="首页及本人页")
    attachment.refresh_from_db()
    with attachment.file.open("rb") as fh:
        stored = fh.read()
    assert len(PdfReader(io.BytesIO(stored)).pages) == 1
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(stored))
    assert attachment.original_name == "户口簿.pdf"
    assert attachment.uploaded_by == clerk_a and attachment.case is None
    assert attachment.file.name.startswith("attachments/")


def test_jpeg_is_reencoded_without_exif_and_gps(household_a, assistant_a):
    original = _jpeg_with_exif()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(GPS_IFD)  # the test photo does carry GPS
    attachment = attachment_add(household=household_a,
                                uploaded_file=_upload("photo.jpg", original, "image/jpeg"),
                                kind=AttachmentKind.HOME_VISIT_PHOTO, by=assistant_a)
    with attachment.file.open("rb") as fh:
        stored = fh.read()
    assert stored != original
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert image.size == (20, 40)  # orientation applied before the metadata was dropped
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.content_type == "image/jpeg" and attachment.size == len(stored)


def test_png_is_kept_as_png(household_a, verifier_a):
    attachment = attachment_add(household=household_a, uploaded_file=_upload("a.png", _png()),
                                kind=AttachmentKind.ID_CARD, by=verifier_a)
    with attachment.file.open("rb") as fh, Image.open(fh) as image:
        assert image.format == "PNG"
    assert attachment.content_type == "image/png"


@pytest.mark.parametrize("name, content", [
    ("说明.txt", "这是一段文字".encode()),
    ("fake.pdf", b"MZ\x90\x00 not a pdf at all"),
    ("fake.jpg", b"\xff\xd8\xff\xe0 truncated"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
])
def test_other_types_are_refused_and_nothing_is_saved(household_a, clerk_a, name, content):
    with pytest.raises(CaseActionError) as exc:
        attachment_add(household=household_a, uploaded_file=_upload(name, content),
                       kind=AttachmentKind.OTHER, by=clerk_a)
    assert exc.value.code in ("file_type", "file_broken")
    assert exc.value.message in (TYPE_REFUSAL, "无法读取该文件，请上传完好的PDF、JPG或PNG文件。")
    assert not Attachment.objects.exists()


def test_over_10_mb_is_refused(household_a, clerk_a):
    big = PDF + b"0" * (11 * 1024 * 1024 - len(PDF))
    with pytest.raises(CaseActionError) as exc:
        attachment_add(household=household_a, uploaded_file=_upload("big.pdf", big),
                       kind=AttachmentKind.OTHER, by=clerk_a)
    assert exc.value.code == "file_size"
    assert exc.value.message == "文件不能超过10MB（当前11.0MB）。"
    assert not Attachment.objects.exists()


def test_page_upload_list_and_logged_download(client, household_a, clerk_a):
    url = reverse("household_attachments", args=[household_a.pk])
    response = _login(client, clerk_a).post(url, {
        "kind": AttachmentKind.INCOME_PROOF, "note": "2026年工资", "file": _upload("x.pdf", PDF),
    })
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    page = client.get(url).content.decode()
    assert "收入证明" in page and attachment.sha256[:12] in page
    assert 'accept=".pdf,.jpg,.jpeg,.png"' in page
    download = client.get(reverse("attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    with attachment.file.open("rb") as fh:
        assert b"".join(download.streaming_content) == fh.read()
    assert AccessLog.objects.filter(user=clerk_a, action="view", object_type="attachment",
                                    object_id=str(attachment.pk)).exists()


def test_page_shows_the_chinese_refusal(client, household_a, clerk_a):
    response = _login(client, clerk_a).post(
        reverse("household_attachments", args=[household_a.pk]),
        {"kind": AttachmentKind.OTHER, "file": _upload("a.txt", b"plain text")},
    )
    assert response.status_code == 400
    assert TYPE_REFUSAL in response.content.decode()
    assert not Attachment.objects.exists()


def test_another_township_gets_404_on_page_and_download(client, household_a, clerk_a, clerk_b):
    attachment = attachment_add(household=household_a, uploaded_file=_upload("a.pdf", PDF),
                                kind=AttachmentKind.OTHER, by=clerk_a)
    _login(client, clerk_b)
    url = reverse("household_attachments", args=[household_a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "other", "file": _upload("b.pdf", PDF)}).status_code == 404
    assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 404
    assert Attachment.objects.count() == 1
    assert not AccessLog.objects.filter(user=clerk_b, object_type="attachment").exists()
    with pytest.raises(CaseActionError) as exc:
        attachment_add(household=household_a, uploaded_file=_upload("c.pdf", PDF),
                       kind=AttachmentKind.OTHER, by=clerk_b)
    assert exc.value.code == "forbidden"


def test_bureau_may_look_but_not_upload(client, household_a, bureau):
    url = reverse("household_attachments", args=[household_a.pk])
    _login(client, bureau)
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "other", "file": _upload("a.pdf", PDF)})
    assert response.status_code == 403
    assert "您无权为该家庭上传材料。" in response.content.decode()
    with pytest.raises(CaseActionError) as exc:
        attachment_add(household=household_a, uploaded_file=_upload("a.pdf", PDF),
                       kind=AttachmentKind.OTHER, by=bureau)
    assert exc.value.code == "forbidden"
    assert not Attachment.objects.exists()


def test_upload_to_a_case_is_written_to_its_trail(household_a, household_a2, clerk_a,
                                                  verifier_a, leader_a):
    case = build_case("received", household=household_a, clerk=clerk_a, verifier=verifier_a,
                      leader=leader_a)
    attachment = attachment_add(household=household_a, uploaded_file=_upload("d.pdf", PDF),
                                kind=AttachmentKind.MEDICAL_RECORD, by=clerk_a, case=case)
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event.action == "attachment_added" and event.actor == clerk_a
    assert event.payload == {"attachment": attachment.pk, "kind": "medical_record",
                             "sha256": attachment.sha256}
    with pytest.raises(CaseActionError) as exc:
        attachment_add(household=household_a2, uploaded_file=_upload("e.pdf", PDF),
                       kind=AttachmentKind.OTHER, by=clerk_a, case=case)
    assert exc.value.code == "case"


def test_attachments_are_in_the_household_file_index_and_exports(household_a, clerk_a):
    """clause: S18 — the archive lists every document and attachment, with an index."""
    import io
    import json
    import zipfile

    from documents.archive import archive_pdf, archive_zip
    from documents.attachments import attachment_add
    from documents.selectors import household_archive

    attachment_add(household=household_a, uploaded_file=_archive_pdf_upload(), kind="hukou_book",
                   by=clerk_a, note="户口簿首页")
    entries = household_archive(household_a)
    assert [e.title for e in entries][-1] == "附件：户口簿"
    assert archive_pdf(household_a).startswith(b"%PDF-")
    with zipfile.ZipFile(io.BytesIO(archive_zip(household_a))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["entries"][-1]["title"] == "附件：户口簿"


def _archive_pdf_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("hukou.pdf", _tiny_pdf(), content_type="application/pdf")


def _tiny_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
