"""Import of the result file the city's verification platform returns (.xlsx or .csv, S20).

The whole file is validated before anything is written: every error is reported with its row
and column (第5行第C列（公民身份号码）：…), and if there is one, nothing is imported. A file is
imported once (by its SHA-256); a row already imported from another file is skipped when its
content is the same and refused when it differs — results are never edited.

Columns (first row, any order; names as below or a listed alias):

=============  ======  ==========================================================
请求编号        必填    the request number from the request sheet
姓名            可选    must match the request's member when given
公民身份号码    必填    must match the request's member
核对项目        必填    户籍, 不动产, 车辆, 市场主体登记, 社会保险, 住房公积金, 税务, 银行存款,
                        财政供养人员 …
查询结果        必填    有记录 / 无记录
记录编号        可选    the platform's record id (otherwise the row's content identifies it)
类别            可选    e.g. 住宅, 小型汽车, 企业职工基本养老金
收入类别        可选    an income type (名称 or 代码); required with 月收入
月收入(元)      可选    net monthly income
财产类别        可选    存款及金融资产, 住房, 商业用房, 机动车, 摩托车 …; required with 金额
金额(元)        可选    the asset's value or balance
数量            可选    a whole number
说明            可选    free text
数据日期        可选    2026-11-26 or 2026年11月26日
=============  ======  ==========================================================

The exclusions of the means test come from these rows: 车辆 rows with 财产类别 机动车 (a
摩托车 or 残疾人机动轮椅车 row is not counted), 市场主体登记 rows with 有记录, and
财政供养人员 rows (alias 财政供养) with 有记录 — the member is paid from public funds
(机关事业单位在编在岗等); 类别 and 说明 say how, nothing else is needed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from cases import idnumber
from cases.errors import CaseActionError
from cases.models import (
    AssetKind,
    Case,
    VerificationImport,
    VerificationRequest,
    VerificationResult,
    VerificationSource,
)
from cases.verification import access
from cases.verification.sources import SourceRecord
from lanshan_aid import uploads

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_SHEET_ROWS = MAX_ROWS + 10  # the data rows, the header and a few title rows above it
MAX_COLUMNS = 50
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
A = access.A


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("request_no", "请求编号", True, ("核对请求编号", "申请编号")),
    Column("name", "姓名", False),
    Column("id_number", "公民身份号码", True, ("身份证号码", "身份证号")),
    Column("source", "核对项目", True, ("核对事项", "数据来源")),
    Column("found", "查询结果", True, ("核对结果",)),
    Column("record_ref", "记录编号", False, ("记录号",)),
    Column("category", "类别", False, ("记录类别",)),
    Column("income_type", "收入类别", False),
    Column("monthly_income", "月收入(元)", False, ("月收入", "月收入（元）")),
    Column("asset_kind", "财产类别", False),
    Column("asset_value", "金额(元)", False, ("金额", "金额（元）", "价值(元)", "金额/价值(元)")),
    Column("quantity", "数量", False),
    Column("detail", "说明", False, ("备注",)),
    Column("data_date", "数据日期", False),
)

SOURCE_ALIASES = {
    "房产": VerificationSource.REAL_ESTATE, "机动车": VerificationSource.VEHICLE,
    "工商登记": VerificationSource.BUSINESS, "社保": VerificationSource.SOCIAL_INSURANCE,
    "公积金": VerificationSource.HOUSING_FUND, "纳税": VerificationSource.TAX,
    "存款": VerificationSource.BANK, "银行": VerificationSource.BANK,
    "理财": VerificationSource.WEALTH, "证券": VerificationSource.WEALTH,
    "商业保险": VerificationSource.WEALTH, "婚姻": VerificationSource.CIVIL,
    "殡葬": VerificationSource.CIVIL,
    "财政供养": VerificationSource.STATE_PAID, "财政供养人员信息": VerificationSource.STATE_PAID,
}
ASSET_ALIASES = {
    "存款": AssetKind.FINANCIAL, "金融资产": AssetKind.FINANCIAL, "理财": AssetKind.FINANCIAL,
    "住宅": AssetKind.HOME, "商铺": AssetKind.COMMERCIAL, "汽车": AssetKind.CAR,
    "摩托车": AssetKind.EXEMPT_VEHICLE, "残疾人机动轮椅车": AssetKind.EXEMPT_VEHICLE,
    "个体工商户": AssetKind.BUSINESS, "企业": AssetKind.BUSINESS,
}
FOUND = {"有记录": True, "有": True, "是": True, "1": True,
         "无记录": False, "无": False, "否": False, "0": False}


@dataclass
class RowError:
    row: int
    column: str
    header: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"第{self.row}行第{self.column}列（{self.header}）：{self.message}"
        return f"第{self.row}行：{self.message}"


class ImportFailed(CaseActionError):
    """The file has errors; nothing was imported. `errors` lists every one."""

    def __init__(self, errors: list[RowError]):
        super().__init__("import_errors",
                         f"文件中有{len(errors)}处错误，未导入任何数据。请改正后重新导入。")
        self.errors = errors


@dataclass
class ImportOutcome:
    batch: VerificationImport
    created: int
    skipped: int
    already_imported: bool = False
    case_ids: list[int] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.already_imported:
            at = timezone.localtime(self.batch.imported_at)
            return (f"该文件已于{at.year}年{at.month}月{at.day}日 {at:%H:%M}导入，"
                    "本次未重复导入。")
        text = f"导入成功：新增核对结果{self.created}条"
        if self.skipped:
            text += f"，{self.skipped}条此前已导入而跳过"
        return text + "。"


@dataclass
class _Parsed:
    row: int
    request: VerificationRequest
    record: SourceRecord


# --- Reading --------------------------------------------------------------------------------
def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _refuse(message: str) -> ImportFailed:
    return ImportFailed([RowError(1, "", "", message)])


def _check_zip(content: bytes) -> None:
    """An .xlsx is a ZIP: refuse one that is not, or that would unpack to more than
    `MAX_UNPACKED_BYTES` (the sizes its directory declares; reading stops at them)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse("无法读取该Excel文件，请确认是.xlsx格式。") from exc
    if len(members) > 500 or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise _refuse(f"该Excel文件解压后超过{MAX_UNPACKED_BYTES // (1024 * 1024)}MB，"
                      "请只保留核对结果后重新导出。")


def _scan_sheet(source) -> None:
    """Count the sheet's rows and each row's cells from its XML, streamed and discarded as
    it goes: refuse a sheet past the limits before openpyxl builds a single row (a row of a
    million cells would be built whole). lxml, with entities and the network off."""
    from lxml import etree

    rows = 0
    try:
        for _, row in etree.iterparse(source, events=("end",), tag="{*}row",
                                      resolve_entities=False, no_network=True,
                                      load_dtd=False, huge_tree=False):
            rows += 1
            index = row.get("r")
            if rows > MAX_SHEET_ROWS or (index and index.isdigit()
                                         and int(index) > MAX_SHEET_ROWS):
                raise _refuse(f"数据超过{MAX_ROWS}行，请分批导入。")
            if len(row) > MAX_COLUMNS:
                raise _refuse(f"第{index or rows}行超过{MAX_COLUMNS}列，请只保留核对结果的各列。")
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
    except etree.LxmlError as exc:
        raise _refuse("无法读取该Excel文件，请确认是.xlsx格式。") from exc


def _xlsx_rows(content: bytes) -> list[tuple[int, tuple]]:
    """The first sheet's rows (openpyxl read-only mode). The sheet's declared dimension and
    its actual rows and columns are checked before any row is built."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    _check_zip(content)
    broken = "无法读取该Excel文件，请确认是.xlsx格式。"
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _refuse(broken) from exc
    try:
        ws = wb.worksheets[0]
        max_row, max_col = ws.max_row, ws.max_column  # from the sheet's <dimension ref=…>
        if (max_row or 0) > MAX_SHEET_ROWS or (max_col or 0) > MAX_COLUMNS:
            declared = f"A1:{get_column_letter(min(max_col or 1, 16384))}{max_row or 1}"
            raise _refuse(f"工作表的范围为{declared}，超过{MAX_SHEET_ROWS}行或{MAX_COLUMNS}列，"
                          "请只保留核对结果（删除多余的空行空列）后重新导出。")
        with ws._get_source() as source:
            _scan_sheet(source)
        ws.reset_dimensions()  # read every row there is, not only the declared ones
        return list(enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1))
    except ImportFailed:
        raise
    except Exception as exc:
        raise _refuse(broken) from exc
    finally:
        wb.close()


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    """The rows of a CSV file (UTF-8 or GB18030), one at a time."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise _refuse("无法识别文件编码。")
    try:
        yield from enumerate(csv.reader(io.StringIO(text)), 1)
    except csv.Error as exc:
        raise _refuse(f"无法读取该CSV文件：{exc}") from exc


def read_rows(file_name: str, content: bytes) -> list[tuple[int, list]]:
    """(row number, cell values) of every non-empty row, the header row included.

    At most `MAX_SHEET_ROWS` rows (a title row and the header included) and `MAX_COLUMNS`
    columns. A CSV is streamed and checked row by row; an .xlsx's unpacked size, declared
    dimension and actual rows and columns are checked before openpyxl builds any row.
    The type is judged by the content too (`lanshan_aid.uploads.sniff`)."""
    name = file_name.lower()
    kind = uploads.sniff(content)
    if name.endswith(".xlsx"):
        if kind != "xlsx":
            raise _refuse("该文件不是有效的.xlsx文件，请从市核对平台重新导出。")
        source = _xlsx_rows(content)
    elif name.endswith(".csv"):
        if kind is not None or b"\0" in content[:8192]:
            raise _refuse("该文件不是CSV文本文件，请从市核对平台重新导出。")
        source = _csv_rows(content)
    else:
        raise _refuse("只能导入.xlsx或.csv格式的结果文件。")
    rows = []
    for n, values in source:
        if n > MAX_SHEET_ROWS:
            raise _refuse(f"数据超过{MAX_ROWS}行，请分批导入。")
        if len(values) > MAX_COLUMNS:
            raise _refuse(f"第{n}行超过{MAX_COLUMNS}列，请只保留核对结果的各列。")
        if any(c not in (None, "") and str(c).strip() for c in values):
            rows.append((n, list(values)))
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _money(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("不是有效的金额")
    if isinstance(value, int):
        amount = Decimal(value)
    else:
        text = _text(value).replace(",", "").replace("，", "").removesuffix("元").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"“{_text(value)}”不是有效的金额") from exc
    if not amount.is_finite():
        raise ValueError("不是有效的金额")
    if amount < 0:
        raise ValueError("金额不能为负数")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("金额最多保留两位小数")
    if amount >= Decimal("1e12"):
        raise ValueError("金额过大")
    return amount.quantize(Decimal("0.01"))


def _int(value) -> int:
    text = _text(value)
    if not re.fullmatch(r"\d{1,6}", text):
        raise ValueError(f"“{text}”不是有效的数量（应为非负整数）")
    return int(text)


_DATE_PATTERNS = (r"(\d{4})-(\d{1,2})-(\d{1,2})", r"(\d{4})/(\d{1,2})/(\d{1,2})",
                  r"(\d{4})年(\d{1,2})月(\d{1,2})日", r"(\d{4})(\d{2})(\d{2})")


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for pattern in _DATE_PATTERNS:
        m = re.fullmatch(pattern, text)
        if m:
            try:
                return dt.date(*(int(g) for g in m.groups()))
            except ValueError:
                break
    raise ValueError(f"“{text}”不是有效的日期（例如2026-11-26）")


def _source(text: str) -> str:
    for s in VerificationSource:
        if text in (s.value, s.label):
            return s.value
    if text in SOURCE_ALIASES:
        return SOURCE_ALIASES[text].value
    raise ValueError(f"无法识别的核对项目“{text}”")


def _asset_kind(text: str) -> str:
    for k in AssetKind:
        if text in (k.value, k.label):
            return k.value
    if text in ASSET_ALIASES:
        return ASSET_ALIASES[text].value
    names = "、".join(k.label for k in AssetKind)
    raise ValueError(f"无法识别的财产类别“{text}”（可填：{names}）")


# --- Validation -----------------------------------------------------------------------------
def _map_header(values: list) -> tuple[dict[str, int], list[RowError]]:
    positions: dict[str, int] = {}
    errors = []
    headers = [_text(v).replace(" ", "") for v in values]
    for col in COLUMNS:
        names = (col.header, *col.aliases)
        found = [i for i, h in enumerate(headers) if h in names]
        if len(found) > 1:
            errors.append(RowError(1, _letter(found[1]), col.header, "该列重复出现。"))
        if found:
            positions[col.key] = found[0]
        elif col.required:
            errors.append(RowError(1, "", "", f"缺少必需的列“{col.header}”。"))
    return positions, errors


def _parse_rows(rows, positions, by, types
                ) -> tuple[list[_Parsed], list[RowError], dict[int, str]]:
    """Every row checked; also returns the cases the user may not import for, with why."""
    headers = {c.key: c.header for c in COLUMNS}
    numbers = set()
    for _, values in rows:
        i = positions["request_no"]
        numbers.add(_text(values[i]) if i < len(values) else "")
    requests = {r.number: r for r in VerificationRequest.objects.filter(number__in=numbers)
                .select_related("person", "case__township", "case__household")}
    refusals: dict[int, str] = {}
    parsed: list[_Parsed] = []
    errors: list[RowError] = []
    for row, values in rows:
        def cell(key, values=values):
            i = positions.get(key)
            return values[i] if i is not None and i < len(values) else None

        def err(key, message, row=row):
            errors.append(RowError(row, _letter(positions[key]) if key in positions else "",
                                   headers[key], message))

        before = len(errors)
        number = _text(cell("request_no"))
        request = requests.get(number)
        if not number:
            err("request_no", "请求编号不能为空。")
        elif request is None:
            err("request_no", f"找不到请求编号“{number}”。")
        else:
            case = request.case
            if case.pk not in refusals:
                refusals[case.pk] = access.refusal(case, by, A.IMPORT)
            if refusals[case.pk]:
                err("request_no", f"案件{case.number}：{refusals[case.pk]}")
            elif request.status == VerificationRequest.Status.CANCELLED:
                err("request_no", "该核对请求已作废，不能导入结果。")
        raw_id = cell("id_number")
        if isinstance(raw_id, int | float):
            err("id_number", "公民身份号码被存成了数字，末几位可能已丢失；"
                             "请将该列设为文本格式后重新导出。")
        else:
            id_number = idnumber.normalize(_text(raw_id))
            if not id_number:
                err("id_number", "公民身份号码不能为空。")
            elif request is not None and id_number != request.person.id_number:
                err("id_number", "与该请求的核对对象不一致。")
        name = _text(cell("name"))
        if name and request is not None and name != request.person.name:
            err("name", f"姓名“{name}”与该请求的核对对象不一致。")
        source = ""
        try:
            source = _source(_text(cell("source")))
        except ValueError as exc:
            err("source", f"{exc}。" if _text(cell("source")) else "核对项目不能为空。")
        else:
            if request is not None and source != request.source:
                err("source", f"与该请求的核对项目“{request.get_source_display()}”不一致。")
        found_text = _text(cell("found"))
        found = FOUND.get(found_text)
        if found is None:
            err("found", f"查询结果应填“有记录”或“无记录”，而不是“{found_text}”。"
                if found_text else "查询结果不能为空。")
        values_out: dict = {}
        for key, parse in (("monthly_income", _money), ("asset_value", _money),
                           ("quantity", _int), ("data_date", _date)):
            raw = cell(key)
            if raw in (None, "") or _text(raw) == "":
                continue
            try:
                values_out[key] = parse(raw)
            except ValueError as exc:
                err(key, f"{exc}。")
        income_type = _text(cell("income_type"))
        if income_type:
            match = types.get(income_type)
            if match is None:
                names = "、".join(dict.fromkeys(t.name for t in types.values()))
                err("income_type", f"无法识别的收入类别“{income_type}”（可填：{names}）。")
            else:
                income_type = match.code
        asset_kind = _text(cell("asset_kind"))
        if asset_kind:
            try:
                asset_kind = _asset_kind(asset_kind)
            except ValueError as exc:
                err("asset_kind", f"{exc}。")
        category = _text(cell("category"))[:60]
        detail = _text(cell("detail"))[:300]
        if found is False and (values_out.get("monthly_income") or values_out.get("asset_value")
                               or values_out.get("quantity")):
            err("found", "“无记录”的行不能填写收入、金额或数量。")
        if found and not (category or detail or values_out.get("monthly_income") is not None
                          or values_out.get("asset_value") is not None):
            err("category", "“有记录”的行须至少填写类别、说明、月收入或金额之一。")
        if "monthly_income" in values_out and not income_type:
            err("income_type", "填写了月收入时须填写收入类别。")
        if "asset_value" in values_out and not asset_kind:
            err("asset_kind", "填写了金额时须填写财产类别。")
        if len(errors) > before or request is None or found is None:
            continue
        record = SourceRecord(
            record_ref="", found=found, category=category,
            income_type=income_type if isinstance(income_type, str) else "",
            monthly_income=values_out.get("monthly_income"), asset_kind=asset_kind,
            asset_value=values_out.get("asset_value"), quantity=values_out.get("quantity", 0),
            detail=detail, data_date=values_out.get("data_date"),
        )
        ref = _text(cell("record_ref"))[:64] or "H" + record.content_key()[:40]
        parsed.append(_Parsed(row, request, replace(record, record_ref=ref)))
    return parsed, errors, {pk: r for pk, r in refusals.items() if r}


def _cross_check(parsed: list[_Parsed]) -> tuple[list[_Parsed], int, list[RowError]]:
    """Duplicates within the file and against what is already stored."""
    errors: list[RowError] = []
    keep: list[_Parsed] = []
    skipped = 0
    seen: dict[tuple[int, str], _Parsed] = {}
    by_request: dict[int, list[_Parsed]] = defaultdict(list)
    for p in parsed:
        key = (p.request.pk, p.record.record_ref)
        first = seen.get(key)
        if first is not None:
            if first.record.content_key() != p.record.content_key():
                errors.append(RowError(p.row, "", "", f"记录编号与第{first.row}行相同但内容不同。"))
            else:
                skipped += 1
            continue
        seen[key] = p
        by_request[p.request.pk].append(p)
    stored = {(r.request_id, r.record_ref): r for r in VerificationResult.objects.filter(
        request_id__in=list(by_request))}
    for rows in by_request.values():
        if len({p.record.found for p in rows}) > 1:
            for p in rows:
                if not p.record.found:
                    errors.append(RowError(p.row, "", "", "同一核对请求既有“无记录”又有记录，"
                                                         "请核对后重新导出。"))
        for p in rows:
            existing = stored.get((p.request.pk, p.record.record_ref))
            if existing is None:
                keep.append(p)
            elif existing.content_sha256 == p.record.content_key():
                skipped += 1
            else:
                errors.append(RowError(p.row, "", "", "该记录此前已导入且内容不同；"
                                       "核对结果不得修改，如确有错误请联系市核对平台。"))
    return keep, skipped, errors


# --- Entry point ----------------------------------------------------------------------------
def results_import(*, file_name: str, content: bytes, by, ip: str | None = None
                   ) -> ImportOutcome:
    """Validate and import one result file from the city's verification platform.

    Args:
        file_name: the uploaded file's name (.xlsx or .csv).
        content: its bytes.
        by: the importing verification officer.
        ip: the client address, for the access log.

    Returns:
        The outcome: the batch, how many results were created and skipped, or that this
        very file was imported before.

    Raises:
        CaseActionError: the user may not import verification results.
        ImportFailed: the file has errors (`errors` names each one); nothing was imported.
    """
    from cases.verification.services import store_records
    from cases.verification.standards import income_types

    if not access.is_designated_officer(by):
        message = "只有持有有效保密协议的核对专员才能导入核对结果。"
        access.log(by, A.IMPORT, purpose="导入市核对平台反馈结果", detail=f"拒绝：{message}",
                   ip=ip, allowed=False)
        raise CaseActionError("confidential", message)
    if len(content) > MAX_BYTES:
        raise ImportFailed([RowError(1, "", "", "文件超过5MB，请分批导出后导入。")])
    sha = hashlib.sha256(content).hexdigest()
    previous = VerificationImport.objects.filter(sha256=sha).first()
    if previous is not None:
        return ImportOutcome(previous, 0, 0, already_imported=True,
                             case_ids=list(previous.case_ids))
    rows = read_rows(file_name, content)
    if not rows:
        raise ImportFailed([RowError(1, "", "", "文件是空的。")])
    # The header is the first row naming 请求编号 (a title row above it is skipped).
    start = next((i for i, (_, values) in enumerate(rows[:5])
                  if any(_text(v).replace(" ", "") in ("请求编号", *COLUMNS[0].aliases)
                         for v in values)), 0)
    header_row, header = rows[start]
    positions, errors = _map_header(header)
    if errors:
        raise ImportFailed([RowError(header_row, e.column, e.header, e.message)
                            for e in errors])
    data = rows[start + 1:]
    if not data:
        raise ImportFailed([RowError(header_row + 1, "", "", "文件中没有数据行。")])
    if len(data) > MAX_ROWS:
        raise ImportFailed([RowError(1, "", "", f"数据超过{MAX_ROWS}行，请分批导入。")])
    types = {}
    for t in income_types().values():
        types[t.code] = t
        types[t.name] = t
    parsed, errors, refused = _parse_rows(data, positions, by, types)
    for case in Case.objects.filter(pk__in=list(refused)).order_by("pk"):
        access.log(by, A.IMPORT, case=case, purpose="导入市核对平台反馈结果",
                   detail=f"拒绝：{refused[case.pk]}", ip=ip, allowed=False)
    keep, skipped, more = _cross_check(parsed)
    errors += more
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: (e.row, e.column)))
    case_ids = sorted({p.request.case_id for p in parsed})
    with transaction.atomic():
        cases = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=case_ids)
                 .order_by("pk")}
        for case in cases.values():
            reason = access.refusal(case, by, A.IMPORT)  # re-checked under the lock
            if reason:
                raise CaseActionError("confidential", f"案件{case.number}：{reason}")
        batch = VerificationImport(file_name=file_name[:200], sha256=sha, rows=len(data),
                                   created=len(keep), skipped=skipped, case_ids=case_ids,
                                   imported_by=by)
        batch.file.save(f"{sha[:16]}{'.xlsx' if file_name.lower().endswith('.xlsx') else '.csv'}",
                        ContentFile(content), save=False)
        batch.save()
        grouped: dict[int, list[_Parsed]] = defaultdict(list)
        for p in keep:
            grouped[p.request.pk].append(p)
        now = timezone.now()
        per_case: dict[int, set[str]] = defaultdict(set)
        for p in parsed:
            per_case[p.request.case_id].add(p.request.get_source_display())
        for rows_of_request in grouped.values():
            request = rows_of_request[0].request
            store_records(request, [p.record for p in rows_of_request], batch=batch, at=now)
        for case_id in case_ids:
            case = cases[case_id]
            from cases.trail import append_event

            append_event(case, "verification_results_received", actor=by, payload={
                "batch": batch.pk, "file": file_name[:200],
                "results": sum(1 for p in keep if p.request.case_id == case_id),
            })
            access.log(by, A.IMPORT, case=case, purpose="导入市核对平台反馈结果",
                       source="、".join(sorted(per_case[case_id])),
                       detail=f"文件{file_name[:60]}，批次{batch.pk}", ip=ip)
    return ImportOutcome(batch, len(keep), skipped, case_ids=case_ids)
