"""The one upload check (`lanshan_aid.uploads`): type by content, pixel cap before decoding,
PDFs parsed, sizes capped — and every upload path of the system goes through it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from cases.errors import CaseActionError
from lanshan_aid import uploads
from tests.security.hostile_files import FAKE_PDF, png, png_declaring, svg_reading
from tests.security.world import pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
REFUSAL_CODES = {"file_type", "file_broken", "image_pixels", "file_size", "file_empty",
                 "pdf_empty", "pdf_encrypted", "pdf_pages"}


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- The check itself ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "content"), [
    ("receipt.txt", svg_reading("/etc/passwd")),
    ("receipt.png", svg_reading("/etc/passwd")),  # the name does not make it an image
    ("receipt.pdf", b"<html><body><img src='file:///etc/passwd'></body></html>"),
    ("a.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ("a.bmp", b"BM" + b"\x00" * 64),
])
def test_svg_html_and_other_types_are_refused_whatever_the_name(name, content):
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_upload(upload(name, content), what="扫描件")
    assert exc.value.code == "file_type"
    assert "只能上传PDF、JPG、PNG或WebP文件" in exc.value.message


def test_a_fake_pdf_is_refused_and_a_real_one_is_rewritten():
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_upload(upload("a.pdf", FAKE_PDF), what="扫描件")
    assert exc.value.code == "file_broken" and "无法读取该PDF扫描件" in exc.value.message
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Author": "王秀英的手机"})
    raw = io.BytesIO()
    writer.write(raw)
    clean = uploads.clean_upload(upload("a.pdf", raw.getvalue()), what="扫描件")
    reader = PdfReader(io.BytesIO(clean.content))
    assert len(reader.pages) == 1 and clean.content_type == "application/pdf"
    assert "王秀英".encode("utf-16-be") not in clean.content and b"/Author" not in clean.content


def test_an_encrypted_pdf_is_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    raw = io.BytesIO()
    writer.write(raw)
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_upload(upload("a.pdf", raw.getvalue()), what="扫描件")
    assert exc.value.code == "pdf_encrypted"


def test_pdf_page_limit_both_edges():
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    raw = io.BytesIO()
    writer.write(raw)
    assert uploads.clean_pdf(raw.getvalue(), what="扫描件", max_pages=3).kind == "pdf"
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_pdf(raw.getvalue(), what="扫描件", max_pages=2)
    assert exc.value.code == "pdf_pages" and "当前3页" in exc.value.message


def test_a_169_megapixel_png_of_small_bytes_is_refused_before_decoding():
    import tracemalloc

    content = png_declaring(13_000, 13_000)
    assert len(content) < 1024
    tracemalloc.start()
    try:
        with pytest.raises(uploads.UploadRefused) as exc:
            uploads.clean_upload(upload("photo.png", content), what="照片")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert exc.value.code == "image_pixels" and "像素过大" in exc.value.message
    assert peak < 5 * 1024 * 1024  # nothing was decoded


def test_the_pixel_cap_both_edges(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 10_000
    assert uploads.clean_upload(upload("a.png", png(100, 100)), what="照片").width == 100
    # Just over the cap (below Pillow's own refusal at twice the cap): refused by our check.
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_upload(upload("a.png", png(100, 101)), what="照片")
    assert exc.value.code == "image_pixels" and "100×101" in exc.value.message
    # Far over: Pillow's decompression-bomb limit, set to the cap, refuses at opening.
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_upload(upload("a.png", png_declaring(300, 300)), what="照片")
    assert exc.value.code == "image_pixels"


def test_pillow_limit_is_set_to_the_cap(settings):
    from PIL import Image

    settings.UPLOAD_MAX_IMAGE_PIXELS = 12_345
    uploads.clean_upload(upload("a.png", png(10, 10)), what="照片")
    assert Image.MAX_IMAGE_PIXELS == 12_345


def test_size_limit_both_edges():
    content = png(20, 20)
    assert uploads.clean_upload(upload("a.png", content), what="照片", max_bytes=len(content))
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_upload(upload("a.png", content), what="照片", max_bytes=len(content) - 1)
    assert exc.value.code == "file_size"
    with pytest.raises(uploads.UploadRefused) as exc:
        uploads.clean_upload(upload("a.png", b""), what="照片")
    assert exc.value.code == "file_empty"


def test_images_are_reencoded_without_metadata_and_trailing_bytes():
    from PIL import Image

    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SECRET-MAKE"
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", exif=exif)
    content = out.getvalue() + b"<script>trailing</script>"
    clean = uploads.clean_upload(upload("a.jpg", content), what="照片")
    assert b"SECRET-MAKE" not in clean.content and b"<script>" not in clean.content
    assert Image.open(io.BytesIO(clean.content)).size == (64, 48)


def test_a_png_with_transparency_can_stay_png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (200, 0, 0, 0)).save(out, "PNG")
    clean = uploads.clean_upload(upload("seal.png", out.getvalue()), what="图片",
                                 allowed={uploads.PNG}, image_format="PNG")
    assert clean.content_type == "image/png"
    assert Image.open(io.BytesIO(clean.content)).mode == "RGBA"


# --- Every upload path goes through it ---------------------------------------------------------
# Each model file field, and how the system stores a file in it. A new file field (a new upload
# path) must be added here, with the way it is stored, or this test fails.
NOT_UPLOADED = {
    "documents.IssuedDocument.pdf": "rendered by the system (documents.render), never uploaded",
}


def _today():
    return timezone.localdate()


def _authorization(world, f):
    from cases import services

    case = world.objects["cases"]["investigating"]
    services.authorization_record(case=case, person=case.adult_members()[0],
                                  signed_on=_today(), by=world.users["clerk"], scan=f)


APPRAISAL = {"place": "村委会", "chair": "张主任", "recorder": "李会计",
             "votes_for": 4, "votes_against": 1, "votes_abstain": 0, "outcome": "supported"}
PARTICIPANTS = [{"name": f"代表{i}", "capacity": "村民代表"} for i in range(5)]


def _case_appraisal(world, f):
    from cases import services

    services.case_record_appraisal(case=world.objects["cases"]["awaiting_appraisal"],
                                   by=world.users["clerk"], held_on=_today(),
                                   participants=PARTICIPANTS, notes="属实。", scan=f,
                                   **APPRAISAL)


def _publicity_appraisal(world, f):
    from publicity import services

    services.appraisal_record(case=world.objects["cases"]["awaiting_appraisal"],
                              by=world.users["clerk"], held_on=_today(),
                              participants=PARTICIPANTS, minutes="属实。", scan=f, **APPRAISAL)


def _account_change(world, f):
    from cases import payee

    payee.account_change_request(
        household=world.objects["cases"]["approved"].household,
        bank_name="中国农业银行临沂兰山支行", bank_account="6228480000001234567",
        reason="原银行卡遗失。", scan=f, by=world.users["clerk"])


def _agreement(world, f):
    from cases.verification import services

    services.agreement_record(user=world.users["verifier"], signed_on=_today(),
                              valid_from=_today(), valid_to=None, scan=f,
                              by=world.users["bureau"])


def _verification_import(world, f):
    from cases.verification.importer import results_import

    results_import(file_name=f.name.rsplit(".", 1)[0] + ".xlsx", content=f.read(),
                   by=world.users["verifier"])


def _home_visit_photo(world, f):
    from cases import services

    services.home_visit_record(case=world.objects["cases"]["verifying"], visited_on=_today(),
                               investigators=["王强", "李娜"], findings="住房简陋。",
                               by=world.users["clerk"], photos=[f])


def _attachment(world, f):
    from documents.attachments import attachment_add

    attachment_add(household=world.objects["household"], uploaded_file=f, kind="other",
                   by=world.users["clerk"])


def _notice(world):
    from documents.kinds import APPLICANT_NOTICE_KINDS
    from documents.models import IssuedDocument

    return IssuedDocument.objects.filter(kind__in=[k.value for k in APPLICANT_NOTICE_KINDS]) \
        .order_by("pk").first()


def _delivery_receipt(world, f):
    from documents.delivery import delivery_record
    from documents.models import DeliveryMethod, DeliveryOutcome

    delivery_record(document=_notice(world), method=DeliveryMethod.IN_PERSON,
                    by=world.users["clerk"], outcome=DeliveryOutcome.DELIVERED,
                    attempted_at=timezone.now(), recipient="王秀英", receipt_scan=f)


def _delivery_receipt_later(world, f):
    from documents.delivery import delivery_attach_receipt, delivery_record
    from documents.models import DeliveryMethod, DeliveryOutcome

    delivery = delivery_record(document=_notice(world), method=DeliveryMethod.IN_PERSON,
                               by=world.users["clerk"], outcome=DeliveryOutcome.DELIVERED,
                               attempted_at=timezone.now(), recipient="王秀英")
    delivery_attach_receipt(delivery=delivery, scan=f, by=world.users["clerk"])


def _stamp_form(model_name: str):
    def store(world, f):
        from django.forms import modelform_factory

        from cases.models import Township
        from documents.admin import StampImageForm

        model = apps.get_model("documents", model_name)
        if model_name == "TownshipSeal":
            instance = model(township=Township.objects.filter(seal__isnull=True)
                             .order_by("pk").first())
        else:
            instance = model(user=world.users["clerk"])
        form_class = modelform_factory(model, form=StampImageForm, fields=["image"])
        form = form_class(data={}, files={"image": f}, instance=instance)
        if not form.is_valid():
            raise ValidationError(form.errors["image"])
        form.save()
    store.__name__ = f"admin_{model_name}"
    return store


def _board_photo(world, f):
    from publicity import services

    services.batch_confirm_posting(batch=world.objects["batch"], by=world.users["clerk"],
                                   photo=f, posted_at=timezone.now())


UPLOAD_PATHS = {
    "cases.VerificationAuthorization.scan": [_authorization],
    "cases.Appraisal.scan": [_case_appraisal],
    "cases.AccountChange.scan": [_account_change],
    "cases.ConfidentialityAgreement.scan": [_agreement],
    "cases.VerificationImport.file": [_verification_import],
    "cases.HomeVisitPhoto.image": [_home_visit_photo],
    "documents.Attachment.file": [_attachment],
    "documents.Delivery.receipt_scan": [_delivery_receipt, _delivery_receipt_later],
    "documents.TownshipSeal.image": [_stamp_form("TownshipSeal")],
    "documents.SignatureImage.image": [_stamp_form("SignatureImage")],
    "publicity.PublicityBatch.board_photo": [_board_photo],
    "publicity.AppraisalRecord.scan": [_publicity_appraisal],
}


def test_every_file_field_is_an_upload_path_listed_here():
    fields = {f"{m._meta.label}.{f.name}" for m in apps.get_models()
              for f in m._meta.get_fields() if isinstance(f, models.FileField)}
    assert fields == set(UPLOAD_PATHS) | set(NOT_UPLOADED)


# The modules whose views take uploaded files (request.FILES): each hands them to a service
# listed above. A new one must be reviewed and added here.
FILES_READERS = {
    "cases/views/acceptance.py", "cases/views/cases.py", "cases/views/home_visit.py",
    "cases/views/payee.py",
    "cases/views/verification.py", "documents/views.py", "documents/views_attachments.py",
    "lanshan_aid/middleware.py", "publicity/views/staff.py",
}


def test_every_view_taking_files_is_known():
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("tests/", ".venv/", "bench/")) or "/migrations/" in rel:
            continue
        if re.search(r"request\.FILES", path.read_text(encoding="utf-8")):
            found.add(rel)
    assert found == FILES_READERS


HOSTILE = {
    "svg": lambda: upload("receipt.txt", svg_reading("/etc/passwd"), "text/plain"),
    "svg_as_png": lambda: upload("photo.png", svg_reading("/etc/passwd"), "image/png"),
    "huge_png": lambda: upload("photo.png", png_declaring(13_000, 13_000), "image/png"),
    "fake_pdf": lambda: upload("scan.pdf", FAKE_PDF, "application/pdf"),
}
STORERS = [(f"{label}:{store.__name__}", store) for label, stores in UPLOAD_PATHS.items()
           for store in stores]


def _stored_files(label: str) -> set[str]:
    app_model, field = label.rsplit(".", 1)
    model = apps.get_model(app_model)
    return set(model.objects.exclude(**{field: ""}).values_list(field, flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
@pytest.mark.parametrize(("label", "store"), STORERS, ids=[s[0] for s in STORERS])
def test_every_upload_path_refuses_hostile_files(world, label, store, hostile):
    path = label.split(":")[0]
    before = _stored_files(path)
    with pytest.raises((CaseActionError, ValidationError)) as exc:
        store(world, HOSTILE[hostile]())
    if isinstance(exc.value, CaseActionError) and not hasattr(exc.value, "errors"):
        # Refused by the upload check, not by some unrelated rule of the service.
        assert exc.value.code in REFUSAL_CODES | {"scan", "photo"}, exc.value.message
    assert _stored_files(path) == before


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "store"), [s for s in STORERS
                                              if "Import" not in s[0]],
                         ids=[s[0] for s in STORERS if "Import" not in s[0]])
def test_every_upload_path_accepts_a_good_file(world, label, store):
    """The hostile files above are refused by the upload check, not by a broken fixture."""
    path = label.split(":")[0]
    before = _stored_files(path)
    images_only = path.endswith((".image", ".board_photo"))
    good = upload("good.png", png(40, 30), "image/png") if images_only else \
        upload("good.pdf", pdf_bytes(), "application/pdf")
    store(world, good)
    assert len(_stored_files(path) - before) == 1
