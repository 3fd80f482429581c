"""The roster workbook cell by cell: every value, the number formats of the money column and
the text type of the ID and account columns, the fonts, widths and frozen header, and the
totals — so that a faster writer cannot change what the bank receives."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from cases import exports
from cases.models import Case
from tests.exports.conftest import SH, at

pytestmark = pytest.mark.django_db
MONEY = "#,##0.00"
WIDTHS = {"A": 6, "B": 22, "C": 26, "D": 16, "E": 10, "F": 21, "G": 18, "H": 24, "I": 9,
          "J": 14, "K": 30}


@pytest.fixture
def headless(spring, township_a, village_a, clerk_a):
    """A case carried over from before the system (no trail), of a household without a head:
    it is listed at its current status, paid to its applicant."""
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(village=village_a, members=1)
    applicant = household.head
    household.head = None
    household.bank_name, household.bank_account = "中国邮政储蓄银行", "6210000000000000008"
    household.save(update_fields=["head", "bank_name", "bank_account"])
    return Case.objects.create(
        number="371302001-2019-DB-00001", kind="dibao", household=household,
        applicant=applicant, township=township_a, village=village_a,
        applied_at=dt.datetime(2019, 3, 1, tzinfo=SH),
        decided_at=dt.datetime(2019, 4, 1, tzinfo=SH), created_by=clerk_a, status="approved",
        approved_amount=Decimal("512.50"), covered_persons=3)


def workbook(township, year, month, by=None):
    out = io.BytesIO()
    with at(2025, 6, 20):
        result = exports.write_roster(township, year, month, out, by=by)
    out.seek(0)
    return result, load_workbook(out)


def expected_row(index, case, amount, remark):
    household = case.household
    payee = household.head or case.applicant
    return (index, household.village.name, case.number, case.get_kind_display(), payee.name,
            payee.id_number, household.bank_name, household.bank_account,
            case.covered_persons, amount, remark)


def test_an_april_roster_holds_exactly_these_cells(spring, headless, township_a, leader_a):
    result, book = workbook(township_a, 2025, 4, by=leader_a)
    assert book.sheetnames == ["2025年04月"]
    sheet = book.active
    listed = [spring["april"], spring["suspended_april"], spring["terminated_april"],
              spring["suspended_june"], headless]
    listed.sort(key=lambda case: (case.household.village.code, case.number, case.pk))
    remarks = {spring["april"].pk: "本月起发放", spring["suspended_june"].pk: "本月起发放",
               spring["suspended_april"].pk: "本月起发放；本月暂停发放",
               spring["terminated_april"].pk: "本月起发放；本月终止保障",
               headless.pk: "无审批轨迹，按当前状态列入；未登记户主，所列为申请人"}
    # Each amount as signed off: the calculation's (headless has no trail).
    amounts = {case.pk: float(case.assessment.amount) for case in listed
               if case.assessment_id} | {headless.pk: 512.5}
    rows = [expected_row(i, case, amounts[case.pk], remarks[case.pk])
            for i, case in enumerate(listed, start=1)]
    persons = sum(case.covered_persons for case in listed)
    assert persons > len(listed)  # the persons column is not the row count
    assert list(sheet.iter_rows(values_only=True)) == [
        ("兰山区兰山街道2025年4月城乡最低生活保障金、特困人员救助供养金发放花名册",
         *[None] * 10),
        (f"导出时间：2025-06-20 10:00，导出人：{leader_a.username}", *[None] * 10),
        ("本表含完整公民身份号码和银行账号，仅供银行代发使用，严禁外传、复制或用于其他用途。",
         *[None] * 10),
        ("序号", "村(社区)", "案件编号", "救助类别", "户主姓名", "户主公民身份号码", "开户银行",
         "银行账号", "保障人数", "月保障金额(元)", "备注"),
        *rows,
        ("合计", "5户", None, None, None, None, None, None, persons, sum(amounts.values()),
         None),
    ]
    assert (result.rows, result.persons, result.total) == (
        5, persons, sum(Decimal(str(a)) for a in amounts.values()).quantize(Decimal("0.01")))
    assert result.filename == "发放花名册_兰山街道_2025年04月.xlsx"

    data = list(sheet.iter_rows(min_row=5, max_row=9))
    for cells in data:
        for cell in (cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7]):
            assert cell.data_type == "s" and cell.number_format == "General", cell.coordinate
        assert cells[9].number_format == MONEY and cells[9].data_type == "n"
        assert cells[0].number_format == cells[8].number_format == "General"
        assert not any(cell.font.b for cell in cells)
    total = list(sheet.iter_rows(min_row=10, max_row=10))[0]
    assert total[0].font.b and total[9].font.b and total[9].number_format == MONEY
    assert not total[1].font.b and total[8].number_format == "General"
    title = sheet["A1"]
    assert title.font.b and title.font.sz == 14
    assert all(cell.font.b for cell in sheet[4])
    assert not sheet["A2"].font.b and not sheet["A3"].font.b
    assert sheet.freeze_panes == "A5"
    assert {letter: sheet.column_dimensions[letter].width for letter in WIDTHS} == WIDTHS


def test_a_june_roster_holds_the_adjusted_amount_and_blank_remarks(spring, headless,
                                                                   township_a):
    result, book = workbook(township_a, 2025, 6)
    listed = [spring["april"], spring["may"], spring["suspended_june"], headless]
    listed.sort(key=lambda case: (case.household.village.code, case.number, case.pk))
    amounts = {spring["april"].pk: 700, spring["may"].pk: float(spring["may"].approved_amount),
               spring["suspended_june"].pk: float(spring["suspended_june"].assessment.amount),
               headless.pk: 512.5}
    remarks = {spring["april"].pk: None, spring["may"].pk: None,
               spring["suspended_june"].pk: "本月暂停发放",
               headless.pk: "无审批轨迹，按当前状态列入；未登记户主，所列为申请人"}
    rows = list(book.active.iter_rows(min_row=5, values_only=True))
    assert rows[:-1] == [expected_row(i, case, amounts[case.pk], remarks[case.pk])
                         for i, case in enumerate(listed, start=1)]
    assert rows[-1][:2] == ("合计", "4户") and rows[-1][9] == sum(amounts.values())
    assert result.total == sum(Decimal(str(amount)) for amount in amounts.values())
    assert [row[3] for row in rows[:-1]].count("特困人员救助供养") == 1


def test_without_an_exporting_user_the_second_line_has_only_the_time(spring, township_a):
    _, book = workbook(township_a, 2025, 5)
    assert book.active["A2"].value == "导出时间：2025-06-20 10:00"


def test_the_roster_lists_the_cases_of_the_roster_query_in_its_order(spring, headless,
                                                                      township_a):
    """The writer decides who is on the roster from each case's trail; the export page counts
    the same roster with `roster_queryset` (in SQL): both agree, month by month."""
    for month in (3, 4, 5, 6):
        _, book = workbook(township_a, 2025, month)
        written = [row[2] for row in book.active.iter_rows(min_row=5, values_only=True)][:-1]
        queried = list(exports.roster_queryset(township_a, 2025, month)
                       .values_list("number", flat=True))
        assert written == queried, month
        assert exports.roster_queryset(township_a, 2025, month).count() == len(written)
