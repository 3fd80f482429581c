"""Printable sheets (S22): the village board sheet (A4 or A3) and the policy leaflet (明白纸).

Laid out like every other document: a template extending `documents/base_notice.html`, the
documents stylesheet, and WeasyPrint through `documents.render.html_to_pdf` (local resources
only, errors surface). The board sheet's data comes only from the disclosure policy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from urllib.parse import urljoin

import segno
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from documents.context import issuer_name
from documents.render import html_to_pdf, strip_cjk_whitespace
from documents.services import require_township_hotline
from publicity.disclosure import Medium, disclose_batch
from publicity.models import PublicityBatch

SIZES = {"a4": "A4", "a3": "A3"}
LEAFLET_CACHE_SECONDS = 600


class UnknownSize(ValueError):
    pass


def qr_data_uri(url: str) -> str:
    """A QR code for `url` as an SVG data URI (segno; nothing fetched)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def objection_url(site_url: str, village_code: str) -> str:
    """The village's online objection form as an absolute URL on the site of `site_url`."""
    return urljoin(site_url, reverse("public_objection", args=[village_code]))


def board_html(batch: PublicityBatch, *, public_url: str, size: str = "a4",
               now: dt.datetime | None = None) -> str:
    """The board sheet: the households, the period, and where, how and until when to object
    (the township's window address, hotline and office hours, the online objection form's QR
    code, the last day). Refused while the township has no hotline on file: a sheet that
    tells villagers how to object must give them a number to call.

    Raises:
        documents.services.DocumentError: `hotline_missing`.
    """
    if size not in SIZES:
        raise UnknownSize(size)
    require_township_hotline(batch.township, "公示表")
    sheet = disclose_batch(batch, Medium.BOARD, now=now)
    objecting = objection_url(public_url, batch.village.code)
    html = render_to_string("publicity/board.html", {
        "kind": "publicity_board", "doc_title": "社会救助审批公示", "sheet": sheet,
        "publicity_days": settings.PUBLICITY_DAYS,
        "issuer": issuer_name(batch.township), "public_url": public_url,
        "objection_url": objecting, "qr": qr_data_uri(objecting),
        "page_size": SIZES[size], "size": size,
    })
    return strip_cjk_whitespace(html)


def board_pdf(batch: PublicityBatch, *, public_url: str, size: str = "a4") -> bytes:
    """The board sheet as PDF bytes (raises `documents.render.RenderError` on failure)."""
    return html_to_pdf(board_html(batch, public_url=public_url, size=size),
                       label="公示表").content


def leaflet_context(*, policy_url: str = "", on: dt.date | None = None) -> dict:
    """What the policy page and the 明白纸 say: procedure, materials, standards, windows."""
    from cases.models import Township
    from cases.workflow import CaseKind
    from documents.materials import MATERIALS, ON_SITE, SHARED
    from publicity.selectors import standards_in_force

    on_site, bring, shared = [], [], []
    for item in MATERIALS:
        parts = [item.how] if item.how not in (SHARED, ON_SITE) else []
        if item.note:
            parts.append(item.note)
        if item.kinds is not None and set(item.kinds) != set(CaseKind) and item.how != SHARED:
            parts.append("适用于" + "、".join(CaseKind(k).label for k in CaseKind
                                             if k in item.kinds))
        row = {"name": item.name, "detail": "，".join(parts)}
        (shared if item.how == SHARED else on_site if item.how == ON_SITE else bring).append(row)
    townships = [{"name": t.name, "address": t.address, "hotline": t.hotline}
                 for t in Township.objects.filter(is_active=True).order_by("code")]
    return {
        "standards": standards_in_force(on),
        "materials": {"on_site": on_site, "bring": bring, "shared": shared},
        "townships": townships,
        "policy_url": policy_url,
        "qr": qr_data_uri(policy_url) if policy_url else "",
        "today": on or timezone.localdate(),
    }


def leaflet_pdf(*, policy_url: str) -> bytes:
    """The 明白纸 as PDF; cached for a few minutes, keyed by everything it shows."""
    ctx = leaflet_context(policy_url=policy_url)
    digest = hashlib.sha256(json.dumps(
        [ctx["policy_url"], str(ctx["today"]), [s.__dict__ for s in ctx["standards"]],
         ctx["townships"], ctx["materials"]],
        default=str, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:24]
    key = f"publicity:leaflet:{digest}"
    content = cache.get(key)
    if content is None:
        html = strip_cjk_whitespace(render_to_string("publicity/leaflet.html", {
            "kind": "publicity_leaflet", "doc_title": "社会救助政策明白纸", **ctx}))
        content = html_to_pdf(html, label="政策明白纸").content
        cache.set(key, content, LEAFLET_CACHE_SECONDS)
    return content
