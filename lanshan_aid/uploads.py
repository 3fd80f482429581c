"""The one check every uploaded file passes before it is stored (docs/security.md, "Uploads").

The type is sniffed from the content, never taken from the name or the browser's
content type. Only PDF and JPEG/PNG/WebP images are accepted; SVG, HTML and anything else are
refused. Images are decoded only after their declared size is checked against the pixel cap
(Pillow's own decompression-bomb limit is set to the same cap), then re-encoded from the
pixels alone: no EXIF (GPS, device, time), ICC, comments or trailing bytes survive. PDFs are
parsed with pypdf and written out again; one that cannot be parsed, is encrypted or has no
pages is refused. Every refusal carries the Chinese message the user sees.

Callers: delivery receipts and household attachments (documents), home-visit photos (page
and API), authorization, confidentiality, bank-card and appraisal scans
(`cases.verification.files`), board photos and appraisal-record scans
(`publicity.uploads`), seal and signature images (documents admin). The verification import
(spreadsheets) has its own limits in `cases.verification.importer` and uses `sniff` here.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile

from cases.errors import CaseActionError

MB = 1024 * 1024
PDF, JPEG, PNG, WEBP = "pdf", "jpeg", "png", "webp"
IMAGES = frozenset({JPEG, PNG, WEBP})
SCANS = frozenset({PDF, *IMAGES})
MAX_EDGE = 4096  # stored images are at most this many pixels on the long edge
_PIL_FORMATS = {"JPEG": JPEG, "MPO": JPEG, "PNG": PNG, "WEBP": WEBP}
_NAMES = {PDF: "PDF", JPEG: "JPG", PNG: "PNG", WEBP: "WebP"}


class UploadRefused(CaseActionError):
    """An uploaded file was refused; `message` says why, in Chinese."""


@dataclass(frozen=True)
class CleanFile:
    """What may be stored: the cleaned bytes under a fresh name (never the uploader's)."""

    name: str
    content: bytes
    content_type: str
    sha256: str
    kind: str
    width: int = 0
    height: int = 0

    def as_file(self, name: str | None = None) -> ContentFile:
        return ContentFile(self.content, name=name or self.name)


def max_pixels() -> int:
    return settings.UPLOAD_MAX_IMAGE_PIXELS


def sniff(data: bytes) -> str | None:
    """The file's type from its first bytes: "pdf", "jpeg", "png", "webp", "xlsx" or None."""
    head = data[:16]
    if data[:1024].lstrip()[:5] == b"%PDF-":
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    return None


def read_upload(upload, *, max_bytes: int, what: str) -> bytes:
    """The upload's bytes, refused when empty or larger than `max_bytes` (read no further)."""
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > max_bytes:
            raise _too_large(what, max_bytes, size)
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(max_bytes + 1)
        if hasattr(upload, "seek"):
            upload.seek(0)
    if len(data) > max_bytes:
        raise _too_large(what, max_bytes, getattr(upload, "size", None) or len(data))
    if not data:
        raise UploadRefused("file_empty", f"上传的{what}是空文件。")
    return data


def _too_large(what: str, limit: int, size: int) -> UploadRefused:
    return UploadRefused("file_size", f"{what}不能超过{limit // MB}MB（当前{size / MB:.1f}MB）。")


def _allowed_text(allowed) -> str:
    """"PDF、JPG或PNG" for those three."""
    names = [_NAMES[k] for k in (PDF, JPEG, PNG, WEBP) if k in allowed]
    return names[0] if len(names) == 1 else f"{'、'.join(names[:-1])}或{names[-1]}"


def clean_upload(upload, *, what: str, allowed=SCANS, max_bytes: int = 10 * MB,
                 image_format: str = "JPEG", max_edge: int | None = MAX_EDGE,
                 max_pages: int = 200) -> CleanFile:
    """Check one uploaded file and return the cleaned copy to store.

    Args:
        upload: an uploaded file (or bytes).
        what: what the file is, for messages (e.g. "送达回证扫描件").
        allowed: the accepted kinds (`PDF` and/or the image kinds).
        max_bytes: the size limit of the upload.
        image_format: "JPEG" (transparency laid on white), "PNG" (keeps transparency) or
            "same" (PNG stays PNG, anything else becomes JPEG).
        max_edge: images larger than this on the long edge are scaled down (default 4096
            px: an A4 scan at about 350 dpi), which also bounds the copies made while
            re-encoding.
        max_pages: the page limit of a PDF.

    Raises:
        UploadRefused: empty, too large, not an accepted type (judged by content), too many
            pixels, damaged, or an unreadable/encrypted PDF.
    """
    data = read_upload(upload, max_bytes=max_bytes, what=what)
    kind = sniff(data)
    if kind not in allowed:
        raise UploadRefused("file_type", f"{what}无法识别，只能上传{_allowed_text(allowed)}文件"
                                         "（按文件内容判断，与文件名无关）。")
    if kind == PDF:
        return clean_pdf(data, what=what, max_pages=max_pages)
    return clean_image(data, what=what, sniffed=kind, image_format=image_format,
                       max_edge=max_edge, allowed=allowed)


def clean_image(data: bytes, *, what: str, sniffed: str, image_format: str = "JPEG",
                max_edge: int | None = MAX_EDGE, allowed=IMAGES) -> CleanFile:
    """The image re-encoded from its pixels alone; its size checked before it is decoded."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    cap = max_pixels()
    # Pillow's own guard, set explicitly: above the cap it warns, at twice it refuses to open.
    Image.MAX_IMAGE_PIXELS = cap
    broken = UploadRefused("file_broken", f"无法读取该{what}，请上传完好的"
                                          f"{_allowed_text(allowed)}文件。")
    limit = f"不超过{cap / 10_000:g}万像素"
    try:
        with warnings.catch_warnings():
            # Between the cap and twice the cap Pillow only warns: the check below refuses.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:  # reads the header only
                fmt = _PIL_FORMATS.get(probe.format)
                width, height = probe.size
    except Image.DecompressionBombError:
        raise UploadRefused("image_pixels", f"{what}像素过大，请压缩后再上传（{limit}）。"
                            ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise broken from None
    if fmt != sniffed:
        raise broken
    if width * height > cap:
        raise UploadRefused("image_pixels", f"{what}像素过大（{width}×{height}），请压缩后再上传"
                                            f"（{limit}）。")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if max_edge and fmt == JPEG:
                image.draft("RGB", (max_edge, max_edge))  # decode at a reduced scale
            image.load()
            if max_edge:
                image.thumbnail((max_edge, max_edge))  # in place: later copies are small
            image = ImageOps.exif_transpose(image)
            out_format = image_format
            if image_format == "same":
                out_format = "PNG" if fmt == PNG else "JPEG"
            if out_format == "PNG":
                image = image.convert("RGBA" if _has_alpha(image) else "RGB")
            elif image.mode != "L":
                if _has_alpha(image):
                    rgba = image.convert("RGBA")
                    image = Image.new("RGB", image.size, (255, 255, 255))
                    image.paste(rgba, mask=rgba.getchannel("A"))
                else:
                    image = image.convert("RGB")
            # A fresh image: no exif=, icc_profile=, comment= or text chunks carried over.
            fresh = Image.new(image.mode, image.size)
            fresh.paste(image)
            out = io.BytesIO()
            if out_format == "PNG":
                fresh.save(out, "PNG", optimize=True)
            else:
                fresh.save(out, "JPEG", quality=85, optimize=True)
            width, height = fresh.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise broken from None
    content = out.getvalue()
    suffix, content_type = (".png", "image/png") if out_format == "PNG" else \
        (".jpg", "image/jpeg")
    kind = PNG if out_format == "PNG" else JPEG
    return CleanFile(name=f"{uuid.uuid4().hex}{suffix}", content=content,
                     content_type=content_type, sha256=hashlib.sha256(content).hexdigest(),
                     kind=kind, width=width, height=height)


def _has_alpha(image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)


def clean_pdf(data: bytes, *, what: str, max_pages: int = 200) -> CleanFile:
    """The PDF parsed with pypdf and written out again (no document information kept)."""
    from pypdf import PdfReader, PdfWriter

    broken = UploadRefused("file_broken", f"无法读取该PDF{what}，请重新扫描后上传。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise UploadRefused("pdf_encrypted", f"{what}的PDF已加密，请上传未加密的文件。")
            count = len(reader.pages)
            if count == 0:
                raise UploadRefused("pdf_empty", f"{what}的PDF没有页面。")
            if count > max_pages:
                raise UploadRefused("pdf_pages", f"{what}的PDF不能超过{max_pages}页"
                                                 f"（当前{count}页）。")
            writer = PdfWriter()
            for page in reader.pages:
                writer.add_page(page)
            writer.add_metadata({"/Producer": "lanshan-aid"})
            out = io.BytesIO()
            writer.write(out)
            content = out.getvalue()
            if len(PdfReader(io.BytesIO(content)).pages) != count:  # what is stored reads back
                raise broken
    except UploadRefused:
        raise
    except Exception:  # pypdf raises many kinds (and RecursionError) for a damaged file
        raise broken from None
    return CleanFile(name=f"{uuid.uuid4().hex}.pdf", content=content,
                     content_type="application/pdf",
                     sha256=hashlib.sha256(content).hexdigest(), kind=PDF)
