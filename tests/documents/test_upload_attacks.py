"""Hostile files against the household file (一户一档, S18): an SVG receipt that reads another
household's home-visit photo, broken and fake PDFs, a stored file that has gone missing. Each
is refused at upload; one already stored (before these checks) is listed as unreadable and the
rest of the file is still put together — never a 500, never another file embedded."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from cases.errors import CaseActionError
from documents.archive import archive_pdf, archive_zip
from documents.attachments import attachment_add
from documents.delivery import delivery_attach_receipt, delivery_record
from documents.kinds import DocumentKind
from documents.models import Attachment, Delivery, DeliveryMethod, DeliveryOutcome
from documents.render import RenderError, html_to_pdf
from documents.services import DocumentError
from tests.documents.conftest import issue, pdf_text
from tests.security.hostile_files import FAKE_PDF, svg_reading

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S18")]
SECRET_SIZE = (123, 77)  # the other township's home-visit photo, recognisable by its size


@pytest.fixture
def secret_photo(settings):
    """A home-visit photo of another household, where the uploads are stored."""
    out = io.BytesIO()
    Image.new("RGB", SECRET_SIZE, (200, 30, 30)).save(out, "JPEG")
    name = default_storage.save("home_visits/2026/11/other-household.jpg",
                                ContentFile(out.getvalue()))
    return default_storage.path(name)


@pytest.fixture
def rejection(full_case, leader_a):
    return issue(full_case, K.REJECTION, leader_a)


def _image_sizes(content: bytes) -> list[tuple[int, int]]:
    sizes = []
    for page in PdfReader(io.BytesIO(content)).pages:
        sizes += [image.image.size for image in page.images]
    return sizes


def _deliver(rejection, clerk_a, **kwargs):
    return delivery_record(document=rejection, method=DeliveryMethod.IN_PERSON, by=clerk_a,
                           outcome=DeliveryOutcome.DELIVERED, attempted_at=timezone.now(),
                           recipient="王秀英", **kwargs)


def _store_behind_the_checks(delivery, name: str, content: bytes) -> None:
    """A receipt stored before uploads were checked (or written to disk some other way)."""
    stored = default_storage.save(f"deliveries/2026/11/{name}", ContentFile(content))
    Delivery.objects.filter(pk=delivery.pk).update(receipt_scan=stored)


# --- Refused at upload -----------------------------------------------------------------------
def test_an_svg_receipt_reading_a_local_file_is_refused_on_the_page(client, rejection, clerk_a,
                                                                     secret_photo):
    client.force_login(clerk_a)
    svg = SimpleUploadedFile("receipt.txt", svg_reading(secret_photo), "text/plain")
    response = client.post(reverse("document_deliver", args=[rejection.pk]), {
        "method": DeliveryMethod.IN_PERSON, "outcome": DeliveryOutcome.DELIVERED,
        "attempted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "recipient": "王秀英", "receipt_scan": svg,
    })
    assert response.status_code == 400
    assert "送达回证扫描件无法识别，只能上传PDF、JPG或PNG文件" in response.content.decode()
    assert not Delivery.objects.filter(document=rejection).exists()


def test_a_broken_pdf_receipt_is_refused(rejection, clerk_a):
    with pytest.raises(DocumentError) as exc:
        _deliver(rejection, clerk_a,
                 receipt_scan=SimpleUploadedFile("huizheng.pdf", FAKE_PDF, "application/pdf"))
    assert exc.value.message == "无法读取该PDF送达回证扫描件，请重新扫描后上传。"
    assert not Delivery.objects.filter(document=rejection).exists()
    delivery = _deliver(rejection, clerk_a)
    with pytest.raises(DocumentError):
        delivery_attach_receipt(delivery=delivery, by=clerk_a,
                                scan=SimpleUploadedFile("a.pdf", FAKE_PDF, "application/pdf"))
    delivery.refresh_from_db()
    assert not delivery.receipt_scan


def test_a_fake_pdf_attachment_is_refused(household, clerk_a):
    with pytest.raises(CaseActionError) as exc:
        attachment_add(household=household, kind="other", by=clerk_a,
                       uploaded_file=SimpleUploadedFile("hukou.pdf", FAKE_PDF))
    assert exc.value.code == "file_broken"
    assert not Attachment.objects.exists()


# --- The renderer reads nothing it was not given ------------------------------------------------
@pytest.mark.parametrize("src", [
    "file://{secret}",
    "file:///etc/passwd",
    "http://127.0.0.1:9/x.png",
    "https://example.com/x.png",
])
def test_the_renderer_refuses_files_and_urls_outside_its_own_static_folder(src, secret_photo):
    html = f'<html><body><p>回证</p><img src="{src.format(secret=secret_photo)}"></body></html>'
    with pytest.raises(RenderError) as exc:
        html_to_pdf(html, label="送达回证")
    assert "不允许的文件" in str(exc.value) or "外部资源" in str(exc.value)


def test_the_renderer_still_reads_its_stylesheet_and_data_uris():
    from documents.render import image_data_uri

    out = io.BytesIO()
    Image.new("RGB", (31, 17), "blue").save(out, "PNG")
    html = ('<html><head><link rel="stylesheet" href="notice.css"></head><body><p>回证</p>'
            f'<img src="{image_data_uri(out.getvalue(), "image/png")}"></body></html>')
    assert (31, 17) in _image_sizes(html_to_pdf(html).content)


# --- Stored before the checks: listed unreadable, the rest still rendered ----------------------
def test_a_stored_svg_receipt_never_embeds_the_file_it_points_at(client, household, rejection,
                                                                  clerk_a, secret_photo):
    delivery = _deliver(rejection, clerk_a)
    _store_behind_the_checks(delivery, "receipt.txt", svg_reading(secret_photo))
    content = archive_pdf(household)
    assert SECRET_SIZE not in _image_sizes(content)
    index = pdf_text(_first_pages(content, 1))
    assert "文件无法读取" in index and rejection.number in index
    assert "该文件已损坏或无法读取" in pdf_text(content)


@pytest.mark.parametrize(("name", "content"), [
    ("huizheng.pdf", FAKE_PDF),
    ("huizheng.pdf", b"%PDF-1.7\n" + b"\x00" * 300),
    ("huizheng.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("huizheng.jpg", b""),
])
def test_a_stored_broken_receipt_does_not_break_the_household_file(client, household, rejection,
                                                                   clerk_a, name, content):
    delivery = _deliver(rejection, clerk_a)
    _store_behind_the_checks(delivery, name, content)
    client.force_login(clerk_a)
    merged = client.get(reverse("household_archive_pdf", args=[household.pk]))
    assert merged.status_code == 200
    whole = b"".join(merged.streaming_content) if merged.streaming else merged.content
    text = pdf_text(whole)
    assert "文件无法读取" in text and rejection.number in text
    exported = client.get(reverse("household_archive_zip", args=[household.pk]))
    assert exported.status_code == 200
    raw = b"".join(exported.streaming_content) if exported.streaming else exported.content
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    flags = [(e["title"], e["unreadable"]) for e in manifest["entries"]]
    assert any(title.startswith("送达回证") and bad for title, bad in flags)
    assert any(title == rejection.title and not bad for title, bad in flags)


def test_a_stored_fake_pdf_attachment_and_a_missing_document_are_listed_unreadable(
        household, rejection, clerk_a):
    attachment = attachment_add(household=household, kind="other", by=clerk_a,
                                uploaded_file=SimpleUploadedFile("a.png", _png()))
    fake = default_storage.save("attachments/2026/11/fake.pdf", ContentFile(FAKE_PDF))
    Attachment.objects.filter(pk=attachment.pk).update(file=fake)
    default_storage.delete(rejection.pdf.name)  # the issued PDF is gone from the disk
    content = archive_pdf(household)
    assert pdf_text(content).count("该文件已损坏或无法读取") == 2
    with zipfile.ZipFile(io.BytesIO(archive_zip(household))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert sum(e["unreadable"] for e in manifest["entries"]) == 2


def test_a_good_image_receipt_is_still_laid_on_its_page(household, rejection, clerk_a):
    _deliver(rejection, clerk_a,
             receipt_scan=SimpleUploadedFile("huizheng.png", _png((400, 560)), "image/png"))
    content = archive_pdf(household)
    assert (400, 560) in _image_sizes(content)
    assert "文件无法读取" not in pdf_text(content)


def _png(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


def _first_pages(content: bytes, pages: int) -> bytes:
    from pypdf import PdfWriter

    reader = PdfReader(io.BytesIO(content))
    writer = PdfWriter()
    for page in reader.pages[:pages]:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
