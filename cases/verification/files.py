"""Uploaded scans and photos: checked by their content (not their name), hashed, and photos
re-encoded to a bounded size so a phone on a slow line never has to fetch a 10 MB original."""

from __future__ import annotations

import hashlib
import io

from django.core.files.base import ContentFile

from cases.errors import CaseActionError

SCAN_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_MAX_SIDE = 1600
PHOTO_QUALITY = 82
SCAN_TYPES = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png"}


def _read(upload, limit: int, what: str) -> bytes:
    too_big = CaseActionError("file_size",
                              f"{what}超过{limit // (1024 * 1024)}MB，请压缩后再上传。")
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_big
    upload.seek(0)
    content = upload.read()
    if len(content) > limit:
        raise too_big
    if not content:
        raise CaseActionError("file_empty", f"{what}是空文件。")
    return content


def sniff(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def read_scan(upload, what: str = "扫描件") -> tuple[ContentFile, str]:
    """A signed form's scan (PDF, JPEG or PNG) as a named file, and its SHA-256."""
    content = _read(upload, SCAN_MAX_BYTES, what)
    kind = sniff(content)
    if kind is None:
        raise CaseActionError("file_type", f"{what}须为PDF、JPG或PNG文件。")
    sha = hashlib.sha256(content).hexdigest()
    return ContentFile(content, name=f"{sha[:20]}{SCAN_TYPES[kind]}"), sha


def process_photo(upload, index: int = 1) -> tuple[ContentFile, str, int, int]:
    """A photo re-encoded as JPEG (long side ≤ 1600 px, orientation applied), with its
    SHA-256 and size."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    what = f"第{index}张照片"
    content = _read(upload, PHOTO_MAX_BYTES, what)
    try:
        with Image.open(io.BytesIO(content)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise CaseActionError("photo", f"{what}无法识别为图片，请重新拍摄或选择。") from exc
    data = out.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    return ContentFile(data, name=f"{sha[:20]}.jpg"), sha, width, height
