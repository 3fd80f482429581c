"""Dates, money and ID numbers as documents write them; CJK whitespace stripping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from documents.formatting import cn_date, cn_month, mask_id, yuan, yuan_capital
from documents.render import strip_cjk_whitespace


def test_chinese_date_has_no_leading_zeros():
    assert cn_date(dt.date(2026, 11, 26)) == "2026年11月26日"
    assert cn_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert cn_date("2026-03-08") == "2026年3月8日"
    assert cn_date(None) == ""
    assert cn_month("2026-12") == "2026年12月"


def test_chinese_date_of_an_aware_datetime_is_the_local_day():
    late_utc = dt.datetime(2026, 11, 25, 17, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 in Linyi
    assert cn_date(late_utc) == "2026年11月26日"
    assert cn_date("2026-11-26T01:30:00+08:00") == "2026年11月26日"


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("1234.5"), "1,234.50元"),
    ("1234.50", "1,234.50元"),
    (600, "600.00元"),
    (Decimal("0.005"), "0.01元"),  # half up to the fen
    (Decimal("1234567.891"), "1,234,567.89元"),
])
def test_money_in_figures(value, expected):
    assert yuan(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("1234.50"), "壹仟贰佰叁拾肆元伍角整"),  # 整 after 角 (cn2an leaves it off)
    (Decimal("1234"), "壹仟贰佰叁拾肆元整"),
    (Decimal("1234.56"), "壹仟贰佰叁拾肆元伍角陆分"),  # never 整 after 分
    (Decimal("1234.05"), "壹仟贰佰叁拾肆元零伍分"),
    (Decimal("1004.00"), "壹仟零肆元整"),
    (Decimal("10.00"), "壹拾元整"),  # 壹拾, not 拾
    (Decimal("100010.30"), "壹拾万零壹拾元叁角整"),
    (Decimal("0.50"), "伍角整"),
    (Decimal("0"), "零元整"),
    ("520", "伍佰贰拾元整"),
])
def test_money_in_chinese_capitals(value, expected):
    assert yuan_capital(value) == expected


def test_negative_amounts_are_not_written_in_capitals():
    with pytest.raises(ValueError):
        yuan_capital(Decimal("-1"))


def test_masked_id_keeps_region_prefix_and_last_four():
    assert mask_id("37130219500101124X") == "3713**********124X"
    assert mask_id("") == ""


def test_filters_are_available_in_templates():
    html = Template(
        "{% load doc_format %}{{ d|cn_date }} {{ m|yuan }} {{ m|yuan_capital }} {{ n|mask_id }}"
    ).render(Context({"d": dt.date(2026, 11, 26), "m": Decimal("1234.50"),
                      "n": "371302195001011240"}))
    assert html == "2026年11月26日 1,234.50元 壹仟贰佰叁拾肆元伍角整 3713**********1240"


def test_newlines_between_chinese_characters_are_stripped():
    html = "<p>兰山街道\n    办事处</p>\n<p>你于\n  2026年</p>"
    assert strip_cjk_whitespace(html) == "<p>兰山街道办事处</p>\n<p>你于\n  2026年</p>"


def test_line_breaks_next_to_tags_inside_chinese_text_are_stripped():
    html = "<p>申请人：\n  <span>王秀英</span>\n  。</p>"
    assert strip_cjk_whitespace(html) == "<p>申请人：<span>王秀英</span>。</p>"


def test_spaces_around_latin_text_are_kept():
    assert strip_cjk_whitespace("<p>编号 DB-1 已受理</p>") == "<p>编号 DB-1 已受理</p>"


def test_ideographic_spaces_typed_as_blanks_are_kept():
    assert strip_cjk_whitespace("<td>日期：\u3000\u3000年\u3000\u3000月\u3000\u3000日</td>") == \
        "<td>日期：\u3000\u3000年\u3000\u3000月\u3000\u3000日</td>"
