"""Uploading scans and photos into a household's file (S18).

Only PDF, JPEG and PNG are accepted, up to 10 MB. Images are opened and re-encoded with
Pillow (orientation applied, EXIF/GPS/ICC metadata dropped) before they are hashed and
stored; PDFs are stored as uploaded. Attached to a case, the upload is written to its trail.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from cases import scoping
from cases.errors import CaseActionError
from cases.models import Case
from cases.permissions import Role
from cases.trail import append_event
from documents.models import Attachment, AttachmentKind

MAX_SIZE = 10 * 1024 * 1024
UPLOADER_ROLES = (Role.CLERK, Role.ASSISTANT, Role.VERIFIER)
TYPE_MESSAGE = "只能上传PDF、JPG或PNG文件。"

# Pillow format -> (content type, file suffix)
IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}


def can_upload(user, household) -> bool:
    return (scoping.has_role(user, *UPLOADER_ROLES)
            and scoping.households_visible_to(user).filter(pk=household.pk).exists())


def _read(uploaded_file) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_SIZE:
        raise CaseActionError("size", f"文件不能超过10MB（当前{size / 1024 / 1024:.1f}MB）。")
    uploaded_file.seek(0)
    data = uploaded_file.read(MAX_SIZE + 1)
    if len(data) > MAX_SIZE:
        size = size if size is not None else len(data)
        raise CaseActionError("size", f"文件不能超过10MB（当前{size / 1024 / 1024:.1f}MB）。")
    return data


def _reencode(data: bytes) -> tuple[bytes, str, str]:
    """The image re-encoded without metadata, its content type and suffix; or a type error."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in IMAGE_FORMATS:
            raise CaseActionError("type", TYPE_MESSAGE)
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            # Keep pixels only: no EXIF, GPS, XMP, ICC or text chunks reach the saved file.
            transparency = image.info.get("transparency") if fmt == "PNG" else None
            image.info = {} if transparency is None else {"transparency": transparency}
            out = io.BytesIO()
            if fmt == "JPEG":
                if image.mode not in ("RGB", "L", "CMYK"):
                    image = image.convert("RGB")
                image.save(out, "JPEG", quality=85)
            else:
                image.save(out, "PNG")
    except CaseActionError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise CaseActionError("type", TYPE_MESSAGE) from None
    content_type, suffix = IMAGE_FORMATS[fmt]
    return out.getvalue(), content_type, suffix


def attachment_add(*, household, uploaded_file, kind: str, by, case: Case | None = None,
                   note: str = "") -> Attachment:
    """Store one scan or photo in the household's file; refuse with a Chinese message."""
    if not can_upload(by, household):
        raise CaseActionError("forbidden", "您无权为该家庭上传材料。")
    if kind not in AttachmentKind.values:
        raise CaseActionError("kind", "请选择材料类型。")
    if case is not None and case.household_id != household.pk:
        raise CaseActionError("case", "所选案件不属于该家庭。")
    data = _read(uploaded_file)
    if data.startswith(b"%PDF-"):
        stored, content_type, suffix = data, "application/pdf", ".pdf"
    else:
        stored, content_type, suffix = _reencode(data)
    digest = hashlib.sha256(stored).hexdigest()
    original = Path(getattr(uploaded_file, "name", "") or "").name[:255]
    with transaction.atomic():
        attachment = Attachment(
            household=household, case=case, kind=kind, original_name=original,
            content_type=content_type, size=len(stored), sha256=digest, uploaded_by=by,
            note=note[:200],
        )
        attachment.file.save(f"{digest[:16]}{suffix}", ContentFile(stored), save=False)
        attachment.save()
        if case is not None:
            Case.objects.select_for_update().filter(pk=case.pk).first()
            append_event(case, "attachment_added", actor=by, payload={
                "attachment": attachment.pk, "kind": kind, "sha256": digest,
            })
    return attachment
