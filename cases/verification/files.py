"""Uploaded scans and photos: checked by their content (not their name) with
`lanshan_aid.uploads`, hashed, and photos re-encoded to a bounded size so a phone on a slow
line never has to fetch a 10 MB original."""

from __future__ import annotations

from django.core.files.base import ContentFile

from lanshan_aid import uploads

SCAN_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_MAX_SIDE = 1600
SCAN_KINDS = frozenset({uploads.PDF, uploads.JPEG, uploads.PNG})


def read_scan(upload, what: str = "扫描件") -> tuple[ContentFile, str]:
    """A signed form's scan (PDF, JPEG or PNG), cleaned (`lanshan_aid.uploads`), as a named
    file, and its SHA-256."""
    clean = uploads.clean_upload(upload, what=what, allowed=SCAN_KINDS, max_bytes=SCAN_MAX_BYTES)
    suffix = ".pdf" if clean.kind == uploads.PDF else ".jpg"
    return clean.as_file(f"{clean.sha256[:20]}{suffix}"), clean.sha256


def process_photo(upload, index: int = 1) -> tuple[ContentFile, str, int, int]:
    """A photo re-encoded as JPEG (long side ≤ 1600 px, orientation applied), with its
    SHA-256 and size."""
    clean = uploads.clean_upload(upload, what=f"第{index}张照片", allowed=uploads.IMAGES,
                                 max_bytes=PHOTO_MAX_BYTES, max_edge=PHOTO_MAX_SIDE)
    return (clean.as_file(f"{clean.sha256[:20]}.jpg"), clean.sha256, clean.width,
            clean.height)
