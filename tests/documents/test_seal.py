"""The township's seal image and the leader's signature image on issued documents (S7)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from documents.context import build_context, freeze
from documents.kinds import DocumentKind
from documents.models import SignatureImage, TownshipSeal
from documents.render import render_pdf
from tests.documents.conftest import issue, stored_bytes

K = DocumentKind
pytestmark = [pytest.mark.django_db, pytest.mark.clause("S7")]


def _png(colour: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGBA", (120, 120), colour).save(out, format="PNG")
    return SimpleUploadedFile("image.png", out.getvalue(), "image/png")


def _count_images(resources) -> int:
    """Image XObjects, also those inside form XObjects (opacity wraps an image in one)."""
    count = 0
    xobjects = (resources or {}).get("/XObject") or {}
    for ref in xobjects.values():
        xobject = ref.get_object()
        if xobject["/Subtype"] == "/Image":
            count += 1
        elif xobject["/Subtype"] == "/Form":
            count += _count_images(xobject.get("/Resources"))
    return count


def _images(content: bytes) -> int:
    return sum(_count_images(page["/Resources"]) for page in PdfReader(io.BytesIO(content)).pages)


def test_without_images_the_blocks_stay_empty(full_case, leader_a):
    doc = issue(full_case, K.APPROVAL_FORM, leader_a)
    assert doc.context["seal_src"] == "" and doc.context["leader"]["signature_src"] == ""
    assert _images(stored_bytes(doc)) == 0


def test_seal_and_signature_images_are_printed_when_uploaded(full_case, leader_a, township_a):
    TownshipSeal.objects.create(township=township_a, image=_png("red"))
    SignatureImage.objects.create(user=leader_a, image=_png("blue"))
    doc = issue(full_case, K.APPROVAL_FORM, leader_a)
    assert doc.context["seal_src"].startswith("file://")
    assert doc.context["leader"]["signature_src"].startswith("file://")
    assert _images(stored_bytes(doc)) == 2


def test_an_inactive_seal_is_not_printed(full_case, clerk_a, township_a):
    TownshipSeal.objects.create(township=township_a, image=_png("red"), is_active=False)
    assert _images(stored_bytes(issue(full_case, K.ACCEPTANCE, clerk_a))) == 0


def test_unsealed_kinds_and_printouts_never_carry_the_seal(full_case, clerk_a, township_a):
    TownshipSeal.objects.create(township=township_a, image=_png("red"))
    assert _images(stored_bytes(issue(full_case, K.HOME_VISIT, clerk_a))) == 0
    printout = render_pdf(K.ACCEPTANCE, freeze(build_context(K.ACCEPTANCE, case=full_case)))
    assert _images(printout) == 0


def test_decision_notices_carry_the_signature_lines_and_the_leaders_image(full_case, leader_a):
    from tests.documents.conftest import pdf_text

    plain = issue(full_case, K.REJECTION, leader_a)
    text = pdf_text(stored_bytes(plain))
    assert "经办人（签字）" in text and "分管领导（签字）" in text
    assert _images(stored_bytes(plain)) == 0
    SignatureImage.objects.create(user=leader_a, image=_png("blue"))
    assert _images(stored_bytes(issue(full_case, K.REJECTION, leader_a))) == 1
