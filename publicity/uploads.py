"""Checking and cleaning uploaded files: board photos and appraisal-record scans.

Photos are decoded and re-encoded with Pillow as JPEG: orientation applied, size bounded, and
nothing of the original file kept — no EXIF (GPS position, device, time), no comments, no
trailing data. A PDF scan is read with pypdf and written out again without its document
information. Refusals carry the Chinese message the user sees.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SCAN_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 60-megapixel phone photo; more is refused before decoding
MAX_EDGE = 2560  # stored photos are at most this many pixels on the long edge
IMAGE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WebP"}


@dataclass(frozen=True)
class CleanFile:
    name: str
    content: bytes
    content_type: str
    sha256: str


def _size_check(size: int | None, limit: int, what: str) -> None:
    if size is None:
        return
    if size == 0:
        raise ValidationError(f"上传的{what}是空文件。", code="empty")
    if size > limit:
        raise ValidationError(
            f"{what}不能超过{limit // (1024 * 1024)}MB，当前为{size / 1024 / 1024:.1f}MB。",
            code="too_large",
        )


def _read(upload) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read()
    if hasattr(upload, "seek"):
        upload.seek(0)
    return data


def clean_photo(upload, *, what: str = "照片") -> CleanFile:
    """A JPEG re-encoding of an uploaded JPEG/PNG/WebP photo, without any metadata.

    Raises:
        ValidationError: too large, empty, not an image, an unsupported format, or too many
            pixels — with a Chinese message.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    _size_check(getattr(upload, "size", None), MAX_PHOTO_BYTES, what)
    data = _read(upload)
    _size_check(len(data), MAX_PHOTO_BYTES, what)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(f"无法识别该{what}，请上传JPG、PNG或WebP格式的图片。",
                              code="not_image") from exc
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(f"{what}只支持JPG、PNG或WebP格式，当前为{fmt}。", code="format")
    if width * height > MAX_PIXELS:
        raise ValidationError(f"{what}像素过大（{width}×{height}），请压缩后再上传。",
                              code="pixels")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, (255, 255, 255))
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            image.thumbnail((MAX_EDGE, MAX_EDGE))
            out = io.BytesIO()
            # A fresh image: no exif=, no icc_profile=, no comment= — nothing carried over.
            fresh = Image.new(image.mode, image.size)
            fresh.paste(image)
            fresh.save(out, format="JPEG", quality=85, optimize=True)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(f"该{what}已损坏，无法读取，请重新拍摄后上传。",
                              code="broken") from exc
    content = out.getvalue()
    return CleanFile(name=f"{uuid.uuid4().hex}.jpg", content=content,
                     content_type="image/jpeg", sha256=hashlib.sha256(content).hexdigest())


def clean_scan(upload) -> CleanFile:
    """A signed record's scan: a PDF (rewritten without document information) or a photo."""
    _size_check(getattr(upload, "size", None), MAX_SCAN_BYTES, "扫描件")
    data = _read(upload)
    _size_check(len(data), MAX_SCAN_BYTES, "扫描件")
    if data.lstrip()[:5] != b"%PDF-":
        return clean_photo(upload, what="扫描件")
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError("扫描件PDF已加密，请上传未加密的文件。", code="encrypted")
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        if not writer.pages:
            raise ValidationError("扫描件PDF没有页面。", code="empty")
        writer.add_metadata({"/Producer": "lanshan-aid"})
        out = io.BytesIO()
        writer.write(out)
    except ValidationError:
        raise
    except (PyPdfError, OSError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError("无法读取该PDF扫描件，请重新扫描后上传。", code="broken") from exc
    content = out.getvalue()
    return CleanFile(name=f"{uuid.uuid4().hex}.pdf", content=content,
                     content_type="application/pdf",
                     sha256=hashlib.sha256(content).hexdigest())
