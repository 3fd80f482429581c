"""The dashboard's tables as an Excel workbook (openpyxl): Chinese headers, yuan as numbers."""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cases.calendar import fmt_date
from cases.xlsx import text_row
from oversight.dashboard import Dashboard, Totals

YUAN = "#,##0.00"


def _totals_cells(t: Totals) -> list:
    median = t.median_workdays
    return [t.applications, t.approvals, t.rejections, t.approved_amount,
            float(median) if median is not None else None, t.timed_decisions, t.over_limit,
            t.reports_received]


TOTALS_HEADERS = ["申请(件)", "批准(件)", "不予批准(件)", "新批低保特困月保障金合计(元)",
                  "申请至决定工作日中位数", "计入用时的决定(件)", "超过20个工作日(件)",
                  "收到审核审批表(份)"]
AMOUNT_COLUMN_IN_TOTALS = 3  # 0-based index of the yuan column in TOTALS_HEADERS


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list],
           yuan_columns: tuple[int, ...] = ()) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(text_row(ws, row))
    for col in yuan_columns:
        letter = get_column_letter(col + 1)
        for cell in ws[letter][1:]:
            cell.number_format = YUAN
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(header) * 2 + 2)
    ws.freeze_panes = "B2"


def dashboard_workbook(board: Dashboard) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    first, last = board.months[0], board.months[-1]
    period = f"{first.year}年{first.month}月至{last.year}年{last.month}月"
    summary = [[r.township.name, *_totals_cells(r.totals)] for r in board.rows]
    summary.append(["全区", *_totals_cells(board.district.totals)])
    _sheet(wb, "各镇街汇总", ["镇街", *TOTALS_HEADERS], summary,
           yuan_columns=(AMOUNT_COLUMN_IN_TOTALS + 1,))

    live_headers = ["镇街", *[f"{s.label}(件)" for s in board.open_states], "在办合计(件)",
                    "临期案件(件)", "超期案件(件)", "审核审批表待签收(份)"]
    live = [[r.township.name if r.township else "全区", *r.open_by_state, r.open_total,
             r.at_risk, r.breached, r.reports_unacknowledged]
            for r in [*board.rows, board.district]]
    _sheet(wb, "在办与时限", live_headers, live)

    trend = [[f"{p.month.year}年{p.month.month}月", *_totals_cells(p.totals)]
             for p in board.trend]
    _sheet(wb, "月度趋势", ["月份", *TOTALS_HEADERS], trend,
           yuan_columns=(AMOUNT_COLUMN_IN_TOTALS + 1,))

    ws = wb.create_sheet("说明")
    ws.append(["统计期间", period])
    refreshed = timezone.localtime(board.refreshed_at) if board.refreshed_at else None
    ws.append(["统计数据更新时间",
               fmt_date(refreshed.date()) + refreshed.strftime(" %H:%M")
               if refreshed else "尚未统计"])
    ws.append(["在办与时限", "导出时实时计算"])
    ws.append(["用时", "自申请日次日起至决定日的工作日数（按法定节假日及调休安排），"
                     "仅计低保、特困和支出型临时救助；公示期未扣除。"])
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
