"""Hostile uploads, built in the tests with small bytes: an SVG that reads a local file, a PNG
that declares a huge canvas, a fake PDF, a spreadsheet that declares the whole sheet."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def svg_reading(path) -> bytes:
    """An SVG whose only content is another file on the server, by file:// URL."""
    url = f"file://{path}"
    return (
        '<?xml version="1.0"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="600" height="800" viewBox="0 0 600 800">'
        f'<image xlink:href="{url}" href="{url}" x="0" y="0" width="600" height="800"/>'
        "</svg>"
    ).encode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` × `height` (8-bit grey) and whose pixel data is
    a few hundred bytes of compressed zeros: tiny on disk, huge once decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 4096, 9)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


def png(width: int, height: int) -> bytes:
    """A real PNG of that size (decodable)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 200).save(out, "PNG")
    return out.getvalue()


FAKE_PDF = b"%PDF-1.4 signed receipt\n%%EOF\n"  # a PDF header and nothing a reader can use


def xlsx_declaring(ref: str, rows=(("请求编号", "公民身份号码"), ("V-1", "1")),
                   last_cell: str | None = None) -> bytes:
    """A small .xlsx with `rows` whose sheet declares the dimension `ref` (e.g. A1:XFD1048576),
    and, with `last_cell` (e.g. "XFD1048576"), one more cell there: the sheet then really
    spans the range, though every cell between is missing from the file."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index('<dimension ref="') + len('<dimension ref="')
                end = text.index('"', start)
                text = text[:start] + ref + text[end:]
                if last_cell:
                    number = "".join(ch for ch in last_cell if ch.isdigit())
                    text = text.replace("</sheetData>", f'<row r="{number}"><c r="{last_cell}" '
                                        't="inlineStr"><is><t>x</t></is></c></row></sheetData>')
                data = text.encode()
            dst.writestr(item, data)
    return out.getvalue()
