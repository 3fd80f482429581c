"""One household, one file (一户一档, S18): the index (卷内目录) and the exports.

`archive_pdf(household)` → one PDF: the index first, then every document as it was issued
(the stored bytes, never re-rendered), the scans of signed delivery receipts and the
household's attachments.
`archive_zip(household)` → the index, each file under a readable name, and a manifest with
every file's SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from cases.models import Household
from documents.context import issuer_name
from documents.render import html_to_pdf, strip_cjk_whitespace
from documents.selectors import ArchiveEntry, household_archive

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff"}


def _entry_pdf(entry: ArchiveEntry) -> bytes:
    """The entry's PDF: the stored document, a PDF scan, or an image scan laid on a page."""
    if entry.document is not None and not entry.is_scan:
        with entry.document.pdf.open("rb") as fh:
            return fh.read()
    scan = entry.scan_file
    if Path(scan.name).suffix.lower() == ".pdf":
        with scan.open("rb") as fh:
            return fh.read()
    html = render_to_string("documents/archive/scan_page.html", {
        "src": Path(scan.path).resolve().as_uri(), "entry": entry,
    })
    return html_to_pdf(strip_cjk_whitespace(html), label=entry.title).content


def _index_pdf(household: Household, entries: list[ArchiveEntry], starts: list[int]) -> tuple[
        bytes, int]:
    township = household.village.township
    html = render_to_string("documents/archive/index.html", {
        "doc_title": "卷内目录",
        "household": household,
        "head": household.head.name if household.head else "",
        "issuer": issuer_name(township),
        "township": township,
        "rows": [{"entry": e, "start": s} for e, s in zip(entries, starts, strict=True)],
        "printed_on": timezone.localdate(),
    })
    rendered = html_to_pdf(strip_cjk_whitespace(html), label="卷内目录")
    return rendered.content, rendered.pages


def archive_pdf(household: Household) -> bytes:
    """The household's whole file as one PDF, the index first, with a bookmark per entry."""
    entries = household_archive(household)
    parts = [_entry_pdf(e) for e in entries]
    counts = [len(PdfReader(io.BytesIO(p)).pages) for p in parts]
    index_pages = 1
    for _ in range(3):  # the index's own length shifts every start page
        starts, page = [], index_pages + 1
        for count in counts:
            starts.append(page)
            page += count
        index, pages = _index_pdf(household, entries, starts)
        if pages == index_pages:
            break
        index_pages = pages
    writer = PdfWriter()
    writer.append(io.BytesIO(index), outline_item="卷内目录")
    for entry, part in zip(entries, parts, strict=True):
        writer.append(io.BytesIO(part), outline_item=f"{entry.position}. {entry.title}")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _safe(name: str) -> str:
    return "".join("_" if ch in '/\\:*?"<>|' else ch for ch in name)


def archive_zip(household: Household) -> bytes:
    """The household's file as a ZIP: 00_卷内目录.pdf, one file per entry, manifest.json."""
    entries = household_archive(household)
    parts = [_entry_pdf(e) for e in entries]
    counts = [len(PdfReader(io.BytesIO(p)).pages) for p in parts]
    starts, page = [], 1
    for count in counts:
        starts.append(page)
        page += count
    index, _ = _index_pdf(household, entries, starts)
    manifest = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("00_卷内目录.pdf", index)
        for entry, part in zip(entries, parts, strict=True):
            name = _safe(f"{entry.position:02d}_{entry.title}_{entry.number}.pdf")
            zf.writestr(name, part)
            manifest.append({
                "position": entry.position, "file": name, "title": entry.title,
                "number": entry.number, "date": entry.date.isoformat(),
                "case": entry.case_number, "note": entry.note,
                "sha256": hashlib.sha256(part).hexdigest(),
                "registered_sha256": (entry.document.sha256
                                      if entry.document is not None and not entry.is_scan
                                      else None),
            })
        zf.writestr("manifest.json", json.dumps(
            {"household": household.pk, "exported_at": timezone.now().isoformat(),
             "entries": manifest}, ensure_ascii=False, indent=2))
    return buffer.getvalue()
