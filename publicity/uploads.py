"""Checking and cleaning uploaded files: board photos and appraisal-record scans.

Both go through the one upload check (`lanshan_aid.uploads`): the type is judged by the
content, a photo is refused above the pixel cap before it is decoded and re-encoded as JPEG
from its pixels alone (orientation applied, long edge bounded, no EXIF/GPS, comments or
trailing data), and a PDF scan is parsed with pypdf and written out again without its
document information. Refusals carry the Chinese message the user sees.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from lanshan_aid import uploads
from lanshan_aid.uploads import CleanFile

__all__ = ["MAX_EDGE", "MAX_PHOTO_BYTES", "MAX_SCAN_BYTES", "CleanFile", "clean_photo",
           "clean_scan"]

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SCAN_BYTES = 20 * 1024 * 1024
MAX_EDGE = 2560  # stored photos are at most this many pixels on the long edge


def _refused(exc: uploads.UploadRefused) -> ValidationError:
    return ValidationError(exc.message, code=exc.code)


def clean_photo(upload, *, what: str = "照片") -> CleanFile:
    """A JPEG re-encoding of an uploaded JPEG/PNG/WebP photo, without any metadata.

    Raises:
        ValidationError: too large, empty, not an image, an unsupported format, or too many
            pixels — with a Chinese message.
    """
    try:
        return uploads.clean_upload(upload, what=what, allowed=uploads.IMAGES,
                                    max_bytes=MAX_PHOTO_BYTES, max_edge=MAX_EDGE)
    except uploads.UploadRefused as exc:
        raise _refused(exc) from None


def clean_scan(upload) -> CleanFile:
    """A signed record's scan: a PDF (rewritten without document information) or a photo."""
    try:
        return uploads.clean_upload(upload, what="扫描件", allowed=uploads.SCANS,
                                    max_bytes=MAX_SCAN_BYTES, max_edge=MAX_EDGE)
    except uploads.UploadRefused as exc:
        raise _refused(exc) from None
