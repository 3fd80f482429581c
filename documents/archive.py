"""One household, one file (一户一档, S18): the index (卷内目录) and the exports.

`archive_pdf(household)` → one PDF: the index first, then every document as it was issued
(the stored bytes, never re-rendered), the scans of signed delivery receipts, signed
authorizations, home-visit photos, the board sheet and its posting photo, the signed appraisal
record, each case's trail and the household's attachments. Each index line has its date and
SHA-256. A stored file that cannot be read (missing, damaged, not an accepted type) is listed
as 文件无法读取 in the index and replaced by a page saying so; the rest of the file is still put
together.
`archive_zip(household)` → the index, each file under a readable name, and a manifest with
every file's SHA-256.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import zipfile

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from accounts.names import person_name
from cases.models import Household
from cases.models.events import EVENT_LABELS
from documents.context import issuer_name
from documents.render import html_to_pdf, image_data_uri, strip_cjk_whitespace
from documents.selectors import ArchiveEntry, household_archive
from lanshan_aid import uploads

logger = logging.getLogger("documents.archive")

UNREADABLE = "文件无法读取"


def _trail_pdf(entry: ArchiveEntry) -> bytes:
    """The case's trail (办理过程记录): every event with its time, actor and hash."""
    case = entry.trail_case
    events = case.events.select_related("actor").order_by("seq")
    html = render_to_string("documents/archive/trail.html", {
        "doc_title": "办理过程记录", "case": case, "entry": entry,
        "rows": [{"event": e, "label": EVENT_LABELS.get(e.action, e.action),
                  "actor": person_name(e.actor, default="系统")}
                 for e in events],
    })
    return html_to_pdf(strip_cjk_whitespace(html), label="办理过程记录").content


def _board_pdf(entry: ArchiveEntry) -> bytes:
    from publicity import printing

    batch = entry.board
    base = getattr(settings, "DOCUMENTS_PUBLIC_BASE_URL", "").rstrip("/")
    return printing.board_pdf(batch, public_url=base + reverse("public_village",
                                                               args=[batch.village.code]))


def _entry_pdf(entry: ArchiveEntry) -> bytes:
    """The entry's PDF: the stored document, a PDF scan, an image laid on a page, or the
    board sheet or trail rendered now."""
    if entry.trail_case is not None:
        return _trail_pdf(entry)
    if entry.board is not None:
        return _board_pdf(entry)
    if entry.document is not None and not entry.is_scan:
        with entry.document.pdf.open("rb") as fh:
            data = fh.read()
        if not len(PdfReader(io.BytesIO(data)).pages):  # issued by us: read, not rewritten
            raise ValueError("no pages")
        return data
    # A scan is checked again by the upload check and an image is passed to the renderer in
    # memory, never by path.
    with entry.scan_file.open("rb") as fh:
        data = fh.read()
    if uploads.sniff(data) == uploads.PDF:
        uploads.clean_pdf(data, what=entry.title, max_pages=10_000)
        return data
    image = uploads.clean_upload(data, what=entry.title, allowed=uploads.IMAGES,
                                 max_bytes=len(data), image_format="same")
    html = render_to_string("documents/archive/scan_page.html", {
        "src": image_data_uri(image.content, image.content_type), "entry": entry,
    })
    return html_to_pdf(strip_cjk_whitespace(html), label=entry.title).content


def _parts(entries: list[ArchiveEntry]) -> tuple[list[ArchiveEntry], list[bytes]]:
    """Each entry's PDF and page count. An item that cannot be read or rendered is kept in
    the index marked 文件无法读取 (and logged), a page saying so stands in for it, and the rest
    of the file still renders."""
    out_entries: list[ArchiveEntry] = []
    parts: list[bytes] = []
    for entry in entries:
        try:
            part = _entry_pdf(entry)
            pages = len(PdfReader(io.BytesIO(part)).pages)
        except Exception:  # missing, damaged (pypdf raises many kinds) or refused
            logger.exception("一户一档：第%s项“%s”无法读取，已以说明页代替。",
                             entry.position, entry.title)
            note = "；".join(n for n in (entry.note, UNREADABLE) if n)
            html = render_to_string("documents/archive/unreadable_page.html", {"entry": entry})
            rendered = html_to_pdf(strip_cjk_whitespace(html), label=entry.title)
            out_entries.append(dataclasses.replace(entry, note=note, pages=rendered.pages,
                                                   sha256=entry.registered_sha256,
                                                   unreadable=True))
            parts.append(rendered.content)
            continue
        digest = hashlib.sha256(part).hexdigest()
        registered = entry.registered_sha256
        note = entry.note
        if registered and registered != digest and entry.board is None \
                and entry.trail_case is None:
            note = "；".join(n for n in (note, "与登记的SHA-256不符") if n)
        out_entries.append(dataclasses.replace(entry, note=note, pages=pages,
                                               sha256=registered or digest))
        parts.append(part)
    return out_entries, parts


def _index_pdf(household: Household, entries: list[ArchiveEntry],
               starts: list[int | None]) -> tuple[bytes, int]:
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


def _starts(entries: list[ArchiveEntry], first: int) -> list[int | None]:
    starts: list[int | None] = []
    page = first
    for entry in entries:
        if entry.pages:
            starts.append(page)
            page += entry.pages
        else:
            starts.append(None)
    return starts


def archive_pdf(household: Household) -> bytes:
    """The household's whole file as one PDF, the index first, with a bookmark per entry."""
    entries, parts = _parts(household_archive(household))
    index_pages = 1
    for _ in range(3):  # the index's own length shifts every start page
        index, pages = _index_pdf(household, entries, _starts(entries, index_pages + 1))
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
    entries, parts = _parts(household_archive(household))
    index, _ = _index_pdf(household, entries, _starts(entries, 1))
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
                "sha256": hashlib.sha256(part).hexdigest(), "unreadable": entry.unreadable,
                "registered_sha256": entry.registered_sha256 or None,
            })
        zf.writestr("manifest.json", json.dumps(
            {"household": household.pk, "exported_at": timezone.now().isoformat(),
             "entries": manifest}, ensure_ascii=False, indent=2))
    return buffer.getvalue()
