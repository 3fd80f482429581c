"""Server-drawn SVG charts and the exact medians behind them (no database)."""

from __future__ import annotations

from decimal import Decimal

from oversight.aggregates import add_months, last_months, median_of, merge_histograms
from oversight.charts import Series, bar_chart, line_chart


def test_a_bar_chart_is_one_svg_with_a_bar_per_value_and_escaped_text():
    svg = bar_chart("申请<件>", ["1月", "2月"], [Series("申请", [3, 5], "#000"),
                                                 Series("批准", [1, 0], "#111")])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="bar"') == 4
    assert "申请&lt;件&gt;" in svg and "<件>" not in svg
    assert 'role="img"' in svg and "<title>" in svg


def test_a_line_chart_leaves_gaps_and_draws_the_limit():
    svg = line_chart("用时", ["1月", "2月", "3月", "4月"],
                     [Series("中位数", [Decimal("8"), None, Decimal("25"), Decimal("21")],
                             "#000")], limit=20, limit_label="时限20个工作日")
    assert svg.count('class="point"') == 3
    assert svg.count("<polyline") == 1  # 3月–4月; 1月 stands alone
    assert 'class="limit"' in svg and "时限20个工作日" in svg


def test_an_empty_chart_still_renders():
    assert "暂无数据" in line_chart("用时", ["1月"], [Series("中位数", [None], "#000")])
    assert bar_chart("件数", ["1月"], [Series("申请", [0], "#000")]).count('class="bar"') == 1


def test_medians_come_exactly_from_merged_histograms():
    assert median_of({}) is None
    assert median_of({"5": 1, "10": 1, "30": 1}) == 10
    assert median_of({"4": 1, "7": 1}) == Decimal("5.5")
    merged = merge_histograms([{"5": 2}, {"9": 1, "5": 1}, {}])
    assert merged == {5: 3, 9: 1}
    assert median_of(merged) == 5


def test_the_last_twelve_months_end_with_this_month():
    import datetime as dt

    months = last_months(dt.date(2026, 2, 14))
    assert months[0] == dt.date(2025, 3, 1) and months[-1] == dt.date(2026, 2, 1)
    assert len(months) == 12
    assert add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
