"""Uploading scans and photos into a household's file (S18).

Only PDF, JPEG and PNG are accepted (judged by content), up to 10 MB, through the one upload
check (`lanshan_aid.uploads`): images are refused above the pixel cap before decoding and
re-encoded from their pixels (orientation applied, EXIF/GPS/ICC metadata dropped), PDFs are
parsed with pypdf and written out again, and one that cannot be parsed is refused. Attached
to a case, the upload is written to its trail.
"""

from __future__ import annotations

from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from cases import scoping
from cases.errors import CaseActionError
from cases.models import Case
from cases.permissions import Role
from cases.trail import append_event
from documents.models import Attachment, AttachmentKind
from lanshan_aid import uploads

MAX_SIZE = 10 * 1024 * 1024
UPLOADER_ROLES = (Role.CLERK, Role.ASSISTANT, Role.VERIFIER)
ALLOWED = frozenset({uploads.PDF, uploads.JPEG, uploads.PNG})


def can_upload(user, household) -> bool:
    return (scoping.has_role(user, *UPLOADER_ROLES)
            and scoping.households_visible_to(user).filter(pk=household.pk).exists())


def check_upload(uploaded_file, *, what: str = "文件") -> uploads.CleanFile:
    """The one upload check as attachments take it (PDF, JPEG or PNG, up to 10 MB); raises
    `UploadRefused` with a Chinese message naming `what`. Forms call it before saving
    anything, so that a refused page leaves nothing behind."""
    return uploads.clean_upload(uploaded_file, what=what, allowed=ALLOWED, max_bytes=MAX_SIZE,
                                image_format="same")


def attachment_add(*, household, uploaded_file, kind: str, by, case: Case | None = None,
                   note: str = "") -> Attachment:
    """Store one scan or photo in the household's file; refuse with a Chinese message."""
    if not can_upload(by, household):
        raise CaseActionError("forbidden", "您无权为该家庭上传材料。")
    if kind not in AttachmentKind.values:
        raise CaseActionError("kind", "请选择材料类型。")
    if case is not None and case.household_id != household.pk:
        raise CaseActionError("case", "所选案件不属于该家庭。")
    clean = check_upload(uploaded_file)
    stored, content_type, digest = clean.content, clean.content_type, clean.sha256
    suffix = {"application/pdf": ".pdf", "image/png": ".png"}.get(content_type, ".jpg")
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
