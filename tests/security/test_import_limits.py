"""The verification import (S20) reads spreadsheets with bounded memory: the declared
dimension, the rows and the columns are checked before openpyxl builds any row."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from cases.verification import importer
from cases.verification.importer import ImportFailed, read_rows
from tests.security.hostile_files import svg_reading, xlsx_declaring

pytestmark = pytest.mark.clause("S20")


def _message(exc) -> str:
    return str(exc.value.errors[0])


def test_a_small_file_declaring_the_whole_sheet_is_refused_in_bounded_memory():
    content = xlsx_declaring("A1:XFD1048576", last_cell="XFD1048576")
    assert len(content) < 8 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed) as exc:
            read_rows("结果.xlsx", content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "工作表的范围为A1:XFD1048576" in _message(exc)
    assert peak < 20 * 1024 * 1024


def test_a_far_cell_under_an_understated_dimension_is_refused_in_bounded_memory():
    content = xlsx_declaring("A1:B2", last_cell="XFD1048576")
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed) as exc:
            read_rows("结果.xlsx", content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "请分批导入" in _message(exc)
    assert peak < 20 * 1024 * 1024


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(importer, "MAX_SHEET_ROWS", 4)
    monkeypatch.setattr(importer, "MAX_COLUMNS", 3)


ROWS = [("请求编号", "公民身份号码", "核对项目")] + [(f"V-{i}", "1", "户籍") for i in range(3)]


def test_declared_dimension_both_edges(small_limits):
    assert len(read_rows("a.xlsx", xlsx_declaring("A1:C4", ROWS))) == 4
    with pytest.raises(ImportFailed) as exc:
        read_rows("a.xlsx", xlsx_declaring("A1:C5", ROWS))
    assert "A1:C5" in _message(exc)
    with pytest.raises(ImportFailed) as exc:
        read_rows("a.xlsx", xlsx_declaring("A1:D4", ROWS))
    assert "A1:D4" in _message(exc)


def test_actual_rows_both_edges_even_when_the_dimension_understates_them(small_limits):
    assert len(read_rows("a.xlsx", xlsx_declaring("A1:C1", ROWS))) == 4
    more = [*ROWS, ("V-9", "1", "户籍")]
    with pytest.raises(ImportFailed) as exc:
        read_rows("a.xlsx", xlsx_declaring("A1:C1", more))
    assert "请分批导入" in _message(exc)


def test_actual_columns_both_edges(small_limits):
    wide = [(*row, "多余") for row in ROWS]
    with pytest.raises(ImportFailed) as exc:
        read_rows("a.xlsx", xlsx_declaring("A1:C1", wide))
    assert "超过3列" in _message(exc)


def test_a_row_far_down_the_sheet_is_refused_before_the_rows_between_are_built(small_limits):
    content = xlsx_declaring("A1:C1", ROWS)
    with zipfile.ZipFile(io.BytesIO(content)) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<row r="4"', '<row r="1048576"').replace('r="A4"', 'r="A1048576"') \
        .replace('r="B4"', 'r="B1048576"').replace('r="C4"', 'r="C1048576"')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    with pytest.raises(ImportFailed) as exc:
        read_rows("a.xlsx", out.getvalue())
    assert "请分批导入" in _message(exc)


def test_csv_rows_and_columns_both_edges(small_limits):
    def csv(rows):
        return "\n".join(",".join(r) for r in rows).encode()

    assert len(read_rows("a.csv", csv(ROWS))) == 4
    with pytest.raises(ImportFailed):
        read_rows("a.csv", csv([*ROWS, ("V-9", "1", "户籍")]))
    with pytest.raises(ImportFailed) as exc:
        read_rows("a.csv", csv([(*r, "x") for r in ROWS]))
    assert "超过3列" in _message(exc)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("结果.xlsx", svg_reading("/etc/passwd"), "不是有效的.xlsx文件"),
    ("结果.xlsx", b"%PDF-1.4\n", "不是有效的.xlsx文件"),
    ("结果.csv", b"PK\x03\x04" + b"\x00" * 40, "不是CSV文本文件"),
    ("结果.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "不是CSV文本文件"),
])
def test_the_type_is_judged_by_content(name, content, message):
    with pytest.raises(ImportFailed) as exc:
        read_rows(name, content)
    assert message in _message(exc)


def test_a_zip_that_would_unpack_past_the_limit_is_refused(monkeypatch):
    content = xlsx_declaring("A1:C4", ROWS)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        total = sum(i.file_size for i in zf.infolist())
    monkeypatch.setattr(importer, "MAX_UNPACKED_BYTES", total)
    assert read_rows("a.xlsx", content)
    monkeypatch.setattr(importer, "MAX_UNPACKED_BYTES", total - 1)
    with pytest.raises(ImportFailed) as exc:
        read_rows("a.xlsx", content)
    assert "解压后超过" in _message(exc)
