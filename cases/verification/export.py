"""Printed and exported verification reports carry a watermark naming the viewer and the time
(S19): on every printed page (the print view's CSS) and in every exported workbook (page
header and footer, and a line above the data)."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone

from accounts.names import person_name
from cases.models import VerificationReport


def viewer_name(user) -> str:
    name = person_name(user)
    return name if name == user.get_username() else f"{name}（{user.get_username()}）"


def watermark(user, at: dt.datetime | None = None) -> str:
    """查看人：王强（verifier_a） 2026年11月26日 18:50 仅限核对工作使用 严禁复制外传"""
    at = timezone.localtime(at or timezone.now())
    return (f"查看人：{viewer_name(user)} {at.year}年{at.month}月{at.day}日 {at:%H:%M} "
            "仅限核对工作使用 严禁复制外传")


def report_xlsx(report: VerificationReport, *, user, at: dt.datetime | None = None) -> bytes:
    """The report's results as a workbook: one row per record, watermarked."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from cases.xlsx import text_row

    mark = watermark(user, at)
    case = report.case
    wb = Workbook()
    ws = wb.active
    ws.title = f"核对报告第{report.version}版"
    ws.append([mark])
    ws["A1"].font = Font(color="B91C1C", bold=True)
    ws.append(text_row(ws, [
        f"家庭经济状况{'复查' if report.is_recheck else '核对'}报告（第{report.version}版）",
        case.number, case.applicant.name]))
    ws.append(text_row(ws, ["家庭月收入(元)", f"{report.monthly_income:.2f}", "财产状况",
                            report.assets_note]))
    ws.append(text_row(ws, ["核对结论", report.conclusion]))
    ws.append([])
    ws.append(["姓名", "公民身份号码", "与户主关系", "核对项目", "请求编号", "查询结果", "类别",
               "收入类别", "月收入(元)", "财产类别", "金额(元)", "数量", "说明", "数据日期"])
    for member in (report.snapshot or {}).get("members", []):
        for source in member["sources"]:
            for rec in source["records"]:
                ws.append(text_row(ws, [
                    member["name"], member["id_number"], member["relationship"],
                    source["label"], source["request"],
                    "有记录" if rec["found"] else "无记录", rec["category"],
                    rec["income_type"], rec["monthly_income"] or "",
                    rec["asset_kind_label"], rec["asset_value"] or "",
                    rec["quantity"] or "", rec["detail"], rec["data_date"] or ""]))
    ws.append([])
    ws.append([mark])
    for header in (ws.oddHeader, ws.evenHeader):
        header.center.text = mark
    for footer in (ws.oddFooter, ws.evenFooter):
        footer.center.text = mark
    for col, width in zip("ABCDEFGHIJKLMN", (10, 22, 10, 14, 30, 10, 18, 12, 12, 16, 12, 8, 30,
                                            12), strict=True):
        ws.column_dimensions[col].width = width
    wb.properties.creator = viewer_name(user)
    wb.properties.description = mark
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
