"""The one renderer (STYLE rule 8): template → HTML → PDF with WeasyPrint.

`render_html(kind, ctx)` renders the kind's template (each extends `base_notice.html`, which
holds the A4 `@page` rules); `render_pdf(kind, ctx)` turns that into PDF bytes. Errors surface
as `RenderError`; an empty PDF is never returned. Resources may come only from the documents
app's static folder or `data:` URIs the renderer itself passes (the seal and signature images,
read from their own folders; QR codes; scans re-checked by `lanshan_aid.uploads`): no other
file is read by path, and nothing is ever fetched over the network.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template, render_to_string

from documents.kinds import DocumentKind
from lanshan_aid import uploads

STATIC_DIR = Path(__file__).resolve().parent / "static" / "documents"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "documents"


class RenderError(Exception):
    """A document could not be rendered; the message says which and why."""


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int


# --- HTML -----------------------------------------------------------------------------------
# CJK ideographs, CJK punctuation, full-width forms: a line break between two of them in a
# template becomes a visible gap in print (with `text-align: justify`, a wide one).
_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
# Only ASCII whitespace: the ideographic space (U+3000) is typed on purpose, e.g. the blanks
# of "　　年　　月　　日" to be filled in by hand.
_WS = "[ \t\r\n\f\v]"
_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}]){_WS}+(?=[{_CJK}])")
# A run with a line break between a CJK character and a tag (either side) is the template's
# layout, not a space the reader should see.
_CJK_THEN_TAG = re.compile(rf"(?<=[{_CJK}])[ \t]*\n{_WS}*(?=<)")
_TAG_THEN_CJK = re.compile(rf"(?<=>)[ \t]*\n{_WS}*(?=[{_CJK}])")


def strip_cjk_whitespace(html: str) -> str:
    """Remove whitespace runs between CJK characters, and line breaks next to tags."""
    html = _BETWEEN_CJK.sub("", html)
    html = _CJK_THEN_TAG.sub("", html)
    return _TAG_THEN_CJK.sub("", html)


def render_html(kind: DocumentKind | str, ctx: dict) -> str:
    """The kind's template rendered with `ctx`, CJK line breaks stripped."""
    kind = DocumentKind(kind)
    context = {"kind": kind.value, "doc_title": kind.title, **ctx}
    try:
        html = render_to_string(kind.template, context)
    except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
        raise RenderError(f"{kind.label}模板错误：{exc}") from exc
    return strip_cjk_whitespace(html)


# --- PDF ------------------------------------------------------------------------------------
# Where the renderer itself keeps the seal and signature images it puts on issued documents.
STAMP_DIRS = ("seals", "signatures")


def _is_static(path: Path) -> bool:
    return path.is_relative_to(STATIC_DIR.resolve())


def _fetcher():
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        """`data:` URIs and the documents app's own static files (stylesheet); anything else —
        any other file:// path (uploads under media included), http(s), ftp — stops the
        render."""

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower()
            if scheme == "file":
                path = Path(unquote(urlparse(url).path)).resolve()
                if not _is_static(path):
                    raise FatalURLFetchingError(f"文书引用了不允许的文件：{path.name}")
            elif scheme != "data":
                raise FatalURLFetchingError(f"文书不得引用外部资源：{url[:80]}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)


def image_data_uri(content: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(content).decode('ascii')}"


def _stamp_data_uri(src: str) -> str:
    """The seal or signature image named by `src` (a file URI the context builder set) as a
    data: URI; "" for anything that is not a file in the seal and signature folders."""
    if not isinstance(src, str) or not src.startswith("file:"):
        return ""
    path = Path(unquote(urlparse(src).path)).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    if not any(path.is_relative_to(media / d) for d in STAMP_DIRS) or not path.is_file():
        return ""
    content = path.read_bytes()
    kind = uploads.sniff(content)
    if kind not in (uploads.PNG, uploads.JPEG):
        return ""
    return image_data_uri(content, f"image/{kind}")


def _inline_stamps(ctx: dict) -> dict:
    """`ctx` with the seal and signature images passed in memory (never fetched by path)."""
    ctx = dict(ctx)
    if ctx.get("seal_src"):
        ctx["seal_src"] = _stamp_data_uri(ctx["seal_src"])
    leader = ctx.get("leader")
    if isinstance(leader, dict) and leader.get("signature_src"):
        ctx["leader"] = {**leader, "signature_src": _stamp_data_uri(leader["signature_src"])}
    return ctx


_local = threading.local()


def _font_config():
    """One font configuration per thread: fontconfig set-up is costly, sharing is not safe."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _local.font_config = FontConfiguration()
    return config


def render_pdf_document(kind: DocumentKind | str, ctx: dict) -> RenderedPdf:
    """PDF bytes and page count for `kind` rendered with `ctx`."""
    kind = DocumentKind(kind)
    html = render_html(kind, _inline_stamps(ctx))
    return html_to_pdf(html, label=kind.label)


def html_to_pdf(html: str, *, label: str = "文书") -> RenderedPdf:
    """Lay out an HTML string (from a documents template) as PDF."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    try:
        document = weasyprint.HTML(
            string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=_fetcher(),
        ).render(font_config=_font_config())
        content = document.write_pdf()
    except FatalURLFetchingError as exc:  # a BaseException: stops the render by design
        cause = exc.__cause__ or exc
        raise RenderError(f"{label}生成PDF失败：{cause}") from exc
    except Exception as exc:
        raise RenderError(f"{label}生成PDF失败：{exc}") from exc
    if not content or not content.startswith(b"%PDF") or not document.pages:
        raise RenderError(f"{label}生成的PDF为空。")
    return RenderedPdf(content=content, pages=len(document.pages))


def render_pdf(kind: DocumentKind | str, ctx: dict) -> bytes:
    """PDF bytes for `kind` rendered with `ctx`; raises `RenderError`, never returns b""."""
    return render_pdf_document(kind, ctx).content


# --- Template version -----------------------------------------------------------------------
@cache
def template_version(kind: DocumentKind | str) -> str:
    """A short fingerprint of everything the kind's layout depends on.

    The kind's template, the shared base and blocks, and the stylesheet: an issued document
    records it, so a layout change is visible in the archive without re-rendering anything.
    """
    kind = DocumentKind(kind)
    digest = hashlib.sha256()
    digest.update(Path(get_template(kind.template).origin.name).read_bytes())
    for shared in sorted(TEMPLATE_DIR.glob("*.html")):  # base_notice.html and the partials
        digest.update(shared.read_bytes())
    for css in sorted(STATIC_DIR.glob("*.css")):
        digest.update(css.read_bytes())
    return "v1-" + digest.hexdigest()[:12]
