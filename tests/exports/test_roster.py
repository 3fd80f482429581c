"""Who is on a month's bank roster, with what, and how the workbook is written."""

from __future__ import annotations

import datetime as dt
import io
import threading
import tracemalloc
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cases import exports
from tests.exports.conftest import SH, at

pytestmark = pytest.mark.django_db


def roster(township, year, month):
    out = io.BytesIO()
    with at(2025, 6, 20):
        result = exports.write_roster(township, year, month, out)
    out.seek(0)
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    return result, rows[:4], rows[4:-1], rows[-1]


def by_number(rows):
    return {row[2]: row for row in rows}


def test_may_lists_the_entitlements_in_force_in_may(spring, township_a):
    result, head, rows, total = roster(township_a, 2025, 5)
    listed = by_number(rows)
    assert set(listed) == {spring["april"].number, spring["may"].number,
                           spring["suspended_june"].number}
    assert result.rows == 3
    assert "2025年5月" in head[0][0]
    assert head[3][:6] == ("序号", "村(社区)", "案件编号", "救助类别", "户主姓名",
                           "户主公民身份号码")
    assert listed[spring["may"].number][10] == "本月起发放"
    assert listed[spring["may"].number][3] == "特困人员救助供养"
    assert listed[spring["april"].number][10] in ("", None)
    assert total[0] == "合计" and total[1] == "3户"


def test_the_bank_gets_full_id_and_account_numbers(spring, township_a):
    _, head, rows, _ = roster(township_a, 2025, 5)
    row = by_number(rows)[spring["april"].number]
    household = spring["april"].household
    assert row[5] == household.head.id_number  # in full, as text
    assert row[6] == "临沂农商银行"
    assert row[7] == "6200000000000000001"
    assert "严禁外传" in head[2][0]


def test_amount_is_the_one_in_force_at_the_end_of_the_month(spring, township_a):
    _, _, may, may_total = roster(township_a, 2025, 5)
    _, _, june, _ = roster(township_a, 2025, 6)
    calculated = float(spring["april"].assessment.amount)  # signed off as calculated
    assert by_number(may)[spring["april"].number][9] == calculated
    assert by_number(june)[spring["april"].number][9] == 700
    assert may_total[9] == calculated + sum(float(spring[k].approved_amount)
                                            for k in ("may", "suspended_june"))


def test_april_shows_starts_suspensions_and_terminations(spring, township_a):
    _, _, rows, _ = roster(township_a, 2025, 4)
    listed = by_number(rows)
    assert set(listed) == {spring["april"].number, spring["suspended_april"].number,
                           spring["terminated_april"].number, spring["suspended_june"].number}
    assert listed[spring["suspended_april"].number][10] == "本月起发放；本月暂停发放"
    assert listed[spring["terminated_april"].number][10] == "本月起发放；本月终止保障"


def test_june_marks_the_suspension_during_the_month(spring, township_a):
    _, _, rows, _ = roster(township_a, 2025, 6)
    listed = by_number(rows)
    assert listed[spring["suspended_june"].number][10] == "本月暂停发放"
    assert spring["suspended_april"].number not in listed
    assert spring["terminated_april"].number not in listed


def test_other_townships_temporary_aid_and_pending_cases_are_never_listed(spring, township_a,
                                                                        township_b):
    _, _, rows, _ = roster(township_a, 2025, 6)
    numbers = set(by_number(rows))
    for name in ("other_township", "emergency", "pending"):
        assert spring[name].number not in numbers
    _, _, rows_b, _ = roster(township_b, 2025, 5)
    assert set(by_number(rows_b)) == {spring["other_township"].number}


def test_march_is_empty(spring, township_a):
    result, _, rows, total = roster(township_a, 2025, 3)
    assert rows == [] and result.rows == 0 and total[1] == "0户"


def test_queries_do_not_grow_with_rows(spring, township_a):
    with CaptureQueriesContext(connection) as few:
        exports.write_roster(township_a, 2025, 3, io.BytesIO())
    with CaptureQueriesContext(connection) as many:
        exports.write_roster(township_a, 2025, 4, io.BytesIO())
    assert len(many) == len(few)


def sample_rows(n):
    """Rows as `exports.rows_from_trail` gives them (two persons, 650.00 each)."""
    for i in range(n):
        yield ("前十社区居民委员会", f"371302001-2025-DB-{i:05d}", "最低生活保障", "王秀英",
               f"3713021940010{i:05d}", "临沂农商银行", f"62000000000{i:08d}", 2,
               Decimal("650.00"), "本月起发放" if i % 7 == 0 else None)


def test_memory_stays_bounded_while_writing(tmp_path):
    """Ten times the rows take hardly more memory: rows are streamed through the write-only
    workbook (strings written inline), and only the batches in flight between the reading and
    the writing thread are held (at most six; batches of 100 rows here, so that both runs
    exceed them)."""

    def peak(n):
        out = tmp_path / f"{n}.xlsx"  # a file: the compressed output in memory would grow
        tracemalloc.start()
        written = exports.write_workbook(out, sample_rows(n), sheet="2025年05月", title="花名册",
                                         exported="导出时间", batch_size=100)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert written == (n, 2 * n, Decimal("650.00") * n)
        assert sum(1 for _ in load_workbook(out, read_only=True).active.rows) == n + 5
        return peak

    small, large = peak(1000), peak(10_000)
    assert large < small * 1.5, (small, large)


def writer_threads():
    return [t for t in threading.enumerate() if t.name == "roster-workbook"]


def openpyxl_temp_files() -> set[str]:
    """openpyxl's temporary sheet files of this process still on disk (rows written so far,
    full ID and account numbers included)."""
    import os

    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    return {path for path in ALL_TEMP_FILES if os.path.exists(path)}


def test_an_error_while_writing_reaches_the_caller_and_stops_the_reading(tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    read = []

    def source():
        for row in sample_rows(100_000):
            read.append(row)
            yield row

    def rows_of(items):  # as `rows_from_trail` fails on a token no key decrypts
        for i, row in enumerate(items):
            if i == 10:
                raise ImproperlyConfigured("cannot be decrypted")
            yield row

    out = tmp_path / "roster.xlsx"
    before = openpyxl_temp_files()
    with pytest.raises(ImproperlyConfigured):
        exports.write_workbook(out, source(), rows_of=rows_of, sheet="s", title="t",
                               exported="e", batch_size=100)
    assert len(read) < 2_000  # stopped within a few batches, not at the end of the source
    assert not out.exists() and not writer_threads()
    assert openpyxl_temp_files() <= before  # the rows written so far are not left behind


def test_an_error_while_reading_stops_the_writer_without_a_file(tmp_path):
    def source():
        yield from sample_rows(2_500)
        raise RuntimeError("connection lost")

    out = tmp_path / "roster.xlsx"
    before = openpyxl_temp_files()
    with pytest.raises(RuntimeError, match="connection lost"):
        exports.write_workbook(out, source(), sheet="s", title="t", exported="e")
    assert not out.exists() and not writer_threads()
    assert openpyxl_temp_files() <= before
    exports.write_workbook(out, sample_rows(3), sheet="s", title="t", exported="e")
    assert out.exists()  # control


def test_a_case_without_a_trail_is_taken_at_its_current_status(spring, township_a, clerk_a,
                                                               village_a):
    """Data carried over from before the system has no sign-off event."""
    import datetime as dt

    from cases.models import Case
    from tests.exports.conftest import SH
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(village=village_a, members=1)
    legacy = Case.objects.create(
        number="371302001-2019-DB-00001", kind="dibao", household=household,
        applicant=household.head, township=township_a, village=village_a,
        applied_at=dt.datetime(2019, 3, 1, tzinfo=SH), decided_at=dt.datetime(2019, 4, 1,
                                                                             tzinfo=SH),
        created_by=clerk_a, status="approved", approved_amount=500, covered_persons=1)
    _, _, rows, _ = roster(township_a, 2025, 6)
    row = by_number(rows)[legacy.number]
    assert row[9] == 500
    assert row[10] == "无审批轨迹，按当前状态列入"


# --- A changed payee account (cases.payee) -------------------------------------------------

def test_the_roster_pays_the_confirmed_account_and_marks_a_change_of_the_month(
        spring, township_a, staff):
    """Guards `exports.account_changed_cases` (the "本月收款账户已变更" remark) and that a
    change waiting for the leader leaves the roster on the confirmed account."""
    from cases import payee
    from tests.security.world import pdf_upload

    household = spring["april"].household
    number = spring["april"].number
    with at(2025, 6, 10):
        change = payee.account_change_request(
            household=household, bank_name="中国农业银行临沂兰山支行",
            bank_account="6228480000007654321", reason="原银行卡遗失。", scan=pdf_upload(),
            by=staff["clerk"])
    _, _, rows, _ = roster(township_a, 2025, 6)
    row = by_number(rows)[number]
    assert (row[6], row[7]) == ("临沂农商银行", "6200000000000000001")  # still the old one
    assert row[10] in ("", None)

    with at(2025, 6, 15):
        payee.account_change_confirm(change=change, by=staff["leader"])
    _, _, rows, _ = roster(township_a, 2025, 6)
    row = by_number(rows)[number]
    assert (row[6], row[7]) == ("中国农业银行临沂兰山支行", "6228480000007654321")
    assert row[10] == "本月收款账户已变更"
    others = [r for r in rows if r[2] != number]
    assert others and all("收款账户" not in (r[10] or "") for r in others)
    _, _, july, _ = roster(township_a, 2025, 7)
    assert "收款账户" not in (by_number(july)[number][10] or "")


def test_a_change_confirmed_on_the_first_of_the_month_is_marked_and_the_day_before_is_not(
        spring, township_a, staff):
    """The month's edge: a change confirmed at 00:00 on 1 June is June's, one confirmed at
    23:59 on 31 May is May's."""
    from cases import payee
    from tests.security.world import pdf_upload

    first, last = spring["april"], spring["suspended_june"]
    for case, moment, account in ((first, (2025, 6, 1, 0), "6228480000000000001"),
                                  (last, (2025, 5, 31, 23), "6228480000000000002")):
        with at(*moment[:3], moment[3]):
            change = payee.account_change_request(
                household=case.household, bank_name="中国农业银行", bank_account=account,
                reason="换卡。", scan=pdf_upload(), by=staff["clerk"])
        with time_machine.travel(dt.datetime(*moment, 0 if moment[3] == 0 else 59,
                                             tzinfo=SH), tick=False):
            payee.account_change_confirm(change=change, by=staff["leader"])
    _, _, june, _ = roster(township_a, 2025, 6)
    listed = by_number(june)
    assert "本月收款账户已变更" in (listed[first.number][10] or "")
    assert "收款账户" not in (listed[last.number][10] or "")


def test_the_changed_account_look_up_is_one_statement(spring, township_a):
    with CaptureQueriesContext(connection) as queries:
        exports.account_changed_cases(township_a, 2025, 6)
    assert len(queries) == 1
