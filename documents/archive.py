"""One household, one file (一户一档, S18): the index (卷内目录) and the exports.

`archive_pdf(household)` → one PDF: the index first, then every document as it was issued
(the stored bytes, never re-rendered), the scans of signed delivery receipts and the
household's attachments. A stored file that cannot be read (missing, damaged, not an accepted
type) is listed as unreadable in the index and replaced by a page saying so; the rest of the
file is still put together.
`archive_zip(household)` → the index, each file under a readable name, and a manifest with
every file's SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile

from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from cases.models import Household
from documents.context import issuer_name
from documents.render import html_to_pdf, image_data_uri, strip_cjk_whitespace
from documents.selectors import ArchiveEntry, household_archive
from lanshan_aid import uploads

logger = logging.getLogger(__name__)


def _entry_pdf(entry: ArchiveEntry) -> bytes:
    """The entry's PDF: the stored document, a PDF scan, or an image scan laid on a page.

    A scan is checked again by the upload check (`lanshan_aid.uploads`) and an image is passed
    to the renderer in memory, never by path. Raises `UnreadableEntry` when the stored file
    is missing, damaged or not an accepted type."""
    try:
        if entry.document is not None and not entry.is_scan:
            with entry.document.pdf.open("rb") as fh:
                data = fh.read()
            if not len(PdfReader(io.BytesIO(data)).pages):  # issued by us: read, not rewritten
                raise ValueError("no pages")
            return data
        with entry.scan_file.open("rb") as fh:
            data = fh.read()
        if uploads.sniff(data) == uploads.PDF:
            uploads.clean_pdf(data, what=entry.title, max_pages=10_000)
            return data
        image = uploads.clean_upload(data, what=entry.title, allowed=uploads.IMAGES,
                                     max_bytes=len(data), image_format="same")
    except Exception as exc:  # missing, damaged (pypdf raises many kinds) or refused
        raise UnreadableEntry(entry) from exc
    html = render_to_string("documents/archive/scan_page.html", {
        "src": image_data_uri(image.content, image.content_type), "entry": entry,
    })
    return html_to_pdf(strip_cjk_whitespace(html), label=entry.title).content


class UnreadableEntry(Exception):
    def __init__(self, entry: ArchiveEntry):
        super().__init__(entry.title)
        self.entry = entry


def _parts(entries: list[ArchiveEntry]) -> tuple[list[bytes], list[bool]]:
    """Each entry's PDF, and whether it could not be read: an unreadable stored file is
    replaced by a page saying so, and the rest of the file is still put together."""
    parts, unreadable = [], []
    for entry in entries:
        try:
            parts.append(_entry_pdf(entry))
            unreadable.append(False)
        except UnreadableEntry:
            logger.warning("Household file: stored file of entry %s (%s) is unreadable",
                           entry.position, entry.title)
            html = render_to_string("documents/archive/unreadable_page.html", {"entry": entry})
            parts.append(html_to_pdf(strip_cjk_whitespace(html), label=entry.title).content)
            unreadable.append(True)
    return parts, unreadable


def _index_pdf(household: Household, entries: list[ArchiveEntry], starts: list[int],
               unreadable: list[bool]) -> tuple[bytes, int]:
    township = household.village.township
    html = render_to_string("documents/archive/index.html", {
        "doc_title": "卷内目录",
        "household": household,
        "head": household.head.name if household.head else "",
        "issuer": issuer_name(township),
        "township": township,
        "rows": [{"entry": e, "start": s, "unreadable": u}
                 for e, s, u in zip(entries, starts, unreadable, strict=True)],
        "printed_on": timezone.localdate(),
    })
    rendered = html_to_pdf(strip_cjk_whitespace(html), label="卷内目录")
    return rendered.content, rendered.pages


def archive_pdf(household: Household) -> bytes:
    """The household's whole file as one PDF, the index first, with a bookmark per entry."""
    entries = household_archive(household)
    parts, unreadable = _parts(entries)
    counts = [len(PdfReader(io.BytesIO(p)).pages) for p in parts]
    index_pages = 1
    for _ in range(3):  # the index's own length shifts every start page
        starts, page = [], index_pages + 1
        for count in counts:
            starts.append(page)
            page += count
        index, pages = _index_pdf(household, entries, starts, unreadable)
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
    parts, unreadable = _parts(entries)
    counts = [len(PdfReader(io.BytesIO(p)).pages) for p in parts]
    starts, page = [], 1
    for count in counts:
        starts.append(page)
        page += count
    index, _ = _index_pdf(household, entries, starts, unreadable)
    manifest = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("00_卷内目录.pdf", index)
        for entry, part, bad in zip(entries, parts, unreadable, strict=True):
            name = _safe(f"{entry.position:02d}_{entry.title}_{entry.number}.pdf")
            zf.writestr(name, part)
            manifest.append({
                "position": entry.position, "file": name, "title": entry.title,
                "number": entry.number, "date": entry.date.isoformat(),
                "case": entry.case_number, "note": entry.note,
                "sha256": hashlib.sha256(part).hexdigest(), "unreadable": bad,
                "registered_sha256": (entry.document.sha256
                                      if entry.document is not None and not entry.is_scan
                                      else None),
            })
        zf.writestr("manifest.json", json.dumps(
            {"household": household.pk, "exported_at": timezone.now().isoformat(),
             "entries": manifest}, ensure_ascii=False, indent=2))
    return buffer.getvalue()
