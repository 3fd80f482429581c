"""Import of the city verification platform's result file (S20): validated row by row, every
error named by row and column in Chinese, nothing half-imported, idempotent on re-import."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from cases.errors import CaseActionError
from cases.models import (
    VerificationAccess,
    VerificationImport,
    VerificationRequest,
    VerificationResult,
)
from cases.verification import services as vs
from cases.verification.importer import ImportFailed, results_import
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S20")]

HEADER = ["请求编号", "姓名", "公民身份号码", "核对项目", "查询结果", "记录编号", "类别",
          "收入类别", "月收入(元)", "财产类别", "金额(元)", "数量", "说明", "数据日期"]


def xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode(encoding)


@pytest.fixture
def requests(case_a, verifier_a, agreement):
    """Pending platform requests: every member × 银行存款, 车辆."""
    return vs.verification_query(case=case_a, by=verifier_a, sources=["bank", "vehicle"],
                                 purpose="低保申请核对")


def good_rows(requests):
    rows = []
    for n, r in enumerate(requests, 1):
        p = r.person
        if r.source == "bank":
            rows.append([r.number, p.name, p.id_number, "银行存款", "有记录", f"BK-{n}",
                         "活期存款", "利息、股息收入", "2.50", "存款及金融资产", "8600.00", 1,
                         "存款余额合计", "2026-11-20"])
        else:
            rows.append([r.number, p.name, p.id_number, "车辆", "无记录", f"VH-{n}", None,
                         None, None, None, None, None, "未查询到机动车登记", "2026年11月20日"])
    return rows


def test_a_good_file_is_imported_whole(requests, verifier_a, case_a):
    content = xlsx(good_rows(requests))
    outcome = results_import(file_name="结果.xlsx", content=content, by=verifier_a,
                             ip="10.1.2.3")
    assert outcome.created == len(requests) and outcome.skipped == 0
    assert outcome.message == f"导入成功：新增核对结果{len(requests)}条。"
    assert {r.status for r in VerificationRequest.objects.filter(case=case_a)} == {
        VerificationRequest.Status.ANSWERED}
    bank = VerificationResult.objects.filter(request__source="bank").first()
    assert bank.found and bank.asset_value == Decimal("8600.00")
    assert bank.monthly_income == Decimal("2.50") and bank.income_type == "interest"
    assert bank.data_date == dt.date(2026, 11, 20)
    assert bank.batch == outcome.batch
    logs = VerificationAccess.objects.filter(case=case_a, action="import")
    assert logs.count() == 1
    assert logs.get().ip == "10.1.2.3" and "银行存款" in logs.get().source
    assert case_a.events.filter(action="verification_results_received").count() == 1


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(requests, verifier_a,
                                                                       case_a):
    bank = next(r for r in requests if r.source == "bank")
    p = bank.person
    other = PersonFactory()
    rows = [
        good_rows([bank])[0],                                                    # row 2: fine
        ["NOPE-1", p.name, p.id_number, "银行存款", "有记录", "X1", "存款", None, None, None,
         None, None, None, None],                                                # row 3
        [bank.number, p.name, other.id_number, "银行存款", "有记录", "X2", "存款", None, None,
         None, None, None, None, None],                                          # row 4
        [bank.number, p.name, p.id_number, "银行存款", "有记录", "X3", "存款", "工资性收入",
         "12,3a", None, None, None, None, None],                                 # row 5
        [bank.number, p.name, p.id_number, "银行存款", "也许", "X4", "存款", None, None, None,
         None, None, None, None],                                                # row 6
        [bank.number, p.name, p.id_number, "银行存款", "有记录", "X5", "存款", None, None,
         None, "5000", None, None, None],                                        # row 7
        [bank.number, p.name, p.id_number, "车辆", "有记录", "X6", "存款", None, None, None,
         None, None, None, None],                                                # row 8
        [bank.number, p.name, p.id_number, "银行存款", "有记录", "X7", "存款", None, None, None,
         None, None, None, "2026-13-01"],                                        # row 9
        [bank.number, p.name, p.id_number, "银行存款", "有记录", "X8", "存款", "彩票奖金", "10",
         None, None, "两个", None, None],                                        # row 10
    ]
    with pytest.raises(ImportFailed) as exc:
        results_import(file_name="结果.xlsx", content=xlsx(rows), by=verifier_a)
    errors = [str(e) for e in exc.value.errors]
    assert "第3行第A列（请求编号）：找不到请求编号“NOPE-1”。" in errors
    assert "第4行第C列（公民身份号码）：与该请求的核对对象不一致。" in errors
    assert "第5行第I列（月收入(元)）：“12,3a”不是有效的金额。" in errors
    assert "第6行第E列（查询结果）：查询结果应填“有记录”或“无记录”，而不是“也许”。" in errors
    assert "第7行第J列（财产类别）：填写了金额时须填写财产类别。" in errors
    assert "第8行第D列（核对项目）：与该请求的核对项目“银行存款”不一致。" in errors
    assert "第9行第N列（数据日期）：“2026-13-01”不是有效的日期（例如2026-11-26）。" in errors
    assert any(e.startswith("第10行第H列（收入类别）：无法识别的收入类别“彩票奖金”")
               for e in errors)
    assert "第10行第L列（数量）：“两个”不是有效的数量（应为非负整数）。" in errors
    assert not any(e.startswith("第2行") for e in errors)
    assert exc.value.message == f"文件中有{len(errors)}处错误，未导入任何数据。请改正后重新导入。"
    # Nothing half-imported: the good row 2 is not stored either.
    assert not VerificationResult.objects.exists()
    assert not VerificationImport.objects.exists()
    assert set(VerificationRequest.objects.values_list("status", flat=True)) == {"pending"}
    assert not VerificationAccess.objects.filter(action="import").exists()


def test_reimporting_the_same_file_creates_no_duplicates(requests, verifier_a):
    content = xlsx(good_rows(requests))
    first = results_import(file_name="结果.xlsx", content=content, by=verifier_a)
    count = VerificationResult.objects.count()
    again = results_import(file_name="结果(1).xlsx", content=content, by=verifier_a)
    assert again.already_imported and again.batch == first.batch
    assert "本次未重复导入" in again.message
    assert VerificationResult.objects.count() == count
    assert VerificationImport.objects.count() == 1


def test_the_same_rows_in_another_file_are_skipped(requests, verifier_a):
    """The CSV export of the same results (other bytes): every row is already there."""
    results_import(file_name="结果.xlsx", content=xlsx(good_rows(requests)), by=verifier_a)
    count = VerificationResult.objects.count()
    outcome = results_import(file_name="结果.csv",
                             content=csv_bytes(good_rows(requests), encoding="gb18030"),
                             by=verifier_a)
    assert outcome.created == 0 and outcome.skipped == len(requests)
    assert VerificationResult.objects.count() == count


def test_a_stored_record_is_never_changed_by_a_later_file(requests, verifier_a):
    rows = good_rows(requests)
    results_import(file_name="a.xlsx", content=xlsx(rows), by=verifier_a)
    changed = [list(r) for r in rows]
    bank_row = next(i for i, r in enumerate(changed) if r[3] == "银行存款")
    changed[bank_row][10] = "9999.00"
    with pytest.raises(ImportFailed) as exc:
        results_import(file_name="b.xlsx", content=xlsx(changed), by=verifier_a)
    assert str(exc.value.errors[0]) == (f"第{bank_row + 2}行：该记录此前已导入且内容不同；"
                                        "核对结果不得修改，如确有错误请联系市核对平台。")


def test_duplicate_rows_in_one_file(requests, verifier_a):
    rows = good_rows(requests)
    same = rows + [rows[0]]
    outcome = results_import(file_name="a.xlsx", content=xlsx(same), by=verifier_a)
    assert outcome.created == len(rows) and outcome.skipped == 1
    clash = [list(r) for r in good_rows(requests)]
    twin = list(clash[0])
    twin[12] = "另一条说明"
    with pytest.raises(ImportFailed, match="错误"):
        results_import(file_name="b.xlsx", content=xlsx(clash + [twin]), by=verifier_a)


def test_a_missing_column_is_named(requests, verifier_a):
    header = [h for h in HEADER if h != "查询结果"]
    with pytest.raises(ImportFailed) as exc:
        results_import(file_name="a.xlsx", content=xlsx([], header=header), by=verifier_a)
    assert [str(e) for e in exc.value.errors] == ["第1行：缺少必需的列“查询结果”。"]


def test_an_id_number_saved_as_a_number_is_refused(requests, verifier_a):
    rows = good_rows(requests)[:1]
    rows[0][2] = int(rows[0][2][:17])
    with pytest.raises(ImportFailed) as exc:
        results_import(file_name="a.xlsx", content=xlsx(rows), by=verifier_a)
    assert "存成了数字" in str(exc.value.errors[0])


def test_only_designated_officers_import(requests, clerk_a, verifier_b, bureau):
    """An officer of another township, even with an agreement, gets every row refused."""
    content = xlsx(good_rows(requests))
    with pytest.raises(CaseActionError, match="有效保密协议的核对专员"):
        results_import(file_name="a.xlsx", content=content, by=clerk_a)
    from django.utils import timezone

    from tests.verification.conftest import pdf

    today = timezone.localdate()

    vs.agreement_record(user=verifier_b, signed_on=today, valid_from=today, valid_to=None,
                        scan=pdf(), by=bureau)
    with pytest.raises(ImportFailed) as exc:
        results_import(file_name="a.xlsx", content=content, by=verifier_b)
    assert all("不属于您所在的镇街" in str(e) for e in exc.value.errors)
    assert not VerificationResult.objects.exists()
    refused = VerificationAccess.objects.filter(action="import", allowed=False)
    assert {(r.user.username, r.case_id) for r in refused} == {("clerk_a", None),
                                                              ("verifier_b", requests[0].case_id)}


def test_unsupported_files_are_refused(verifier_a, agreement):
    with pytest.raises(ImportFailed, match="错误") as exc:
        results_import(file_name="a.xls", content=b"\xd0\xcf\x11\xe0", by=verifier_a)
    assert "只能导入.xlsx或.csv" in str(exc.value.errors[0])


def test_a_title_row_above_the_header_is_skipped(requests, verifier_a):
    """Platform exports often start with a title line; rows keep their sheet numbers."""
    wb = Workbook()
    ws = wb.active
    ws.append(["兰山区家庭经济状况核对结果"])
    ws.append(HEADER)
    rows = good_rows(requests)
    rows[0][4] = "不清楚"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportFailed) as exc:
        results_import(file_name="a.xlsx", content=buf.getvalue(), by=verifier_a)
    assert str(exc.value.errors[0]).startswith("第3行第E列（查询结果）")
