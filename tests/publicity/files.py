"""Upload fixtures made on the fly: photos with metadata, PDFs with document information."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

SECRET_MAKE = "SecretPhoneMake"
SECRET_AUTHOR = "SecretScanAuthor"


def jpeg_with_metadata(width: int = 64, height: int = 32, orientation: int = 6) -> bytes:
    """A JPEG carrying EXIF (camera make, time, GPS position, orientation) and a comment."""
    from PIL import Image

    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = SECRET_MAKE  # Make
    exif[0x0132] = "2026:11:26 09:30:00"  # DateTime
    exif[0x0112] = orientation  # Orientation: 6 = rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (35.0, 3.0, 30.0)
    gps[3] = "E"
    gps[4] = (118.0, 21.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=SECRET_MAKE.encode())
    return out.getvalue()


def png_bytes(width: int = 40, height: int = 40) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def gif_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    return out.getvalue()


def pdf_with_metadata() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Author": SECRET_AUTHOR, "/Title": "民主评议记录"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def photo_upload():
    return upload("IMG_0001.jpg", jpeg_with_metadata(), "image/jpeg")


def scan_upload():
    return upload("record.pdf", pdf_with_metadata(), "application/pdf")
