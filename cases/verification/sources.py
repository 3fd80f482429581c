"""Data-source adapters (S20): how verification requests reach Shandong's verification system
and how the answers come back.

Each adapter is a `DataSource`. `submit(requests)` sends a batch; a synchronous source answers
at once with each request's records, an asynchronous one answers later (the city platform
returns a result workbook that `cases.verification.importer` reads). Adapters shipped:

* ``platform_file`` — the city's verification platform: the officer downloads the request
  sheet (`request_sheet`), uploads it to the platform, and imports the result file it returns.
* ``simulated`` — a deterministic stand-in for the demo and the tests: the same person and
  source always give the same records. Enabled only where the setting
  ``VERIFICATION_SIMULATED_SOURCE`` is true (default: ``DEBUG``), never in production.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone

from accounts.names import person_name
from cases.models import AssetKind, VerificationRequest, VerificationSource

VS = VerificationSource


@dataclass(frozen=True)
class SourceRecord:
    """One record a source returned (``found=False``: the source has no record)."""

    record_ref: str
    found: bool
    category: str = ""
    income_type: str = ""
    monthly_income: Decimal | None = None
    asset_kind: str = ""
    asset_value: Decimal | None = None
    quantity: int = 0
    detail: str = ""
    data_date: dt.date | None = None

    def content_key(self) -> str:
        """SHA-256 of the record's content: equal content, equal key (re-imports)."""
        parts = [
            "1" if self.found else "0", self.category, self.income_type,
            f"{self.monthly_income:.2f}" if self.monthly_income is not None else "",
            self.asset_kind,
            f"{self.asset_value:.2f}" if self.asset_value is not None else "",
            str(self.quantity), self.detail,
            self.data_date.isoformat() if self.data_date else "",
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class DataSource(ABC):
    code: str
    label: str
    synchronous: bool

    @abstractmethod
    def submit(self, requests: Sequence[VerificationRequest]) -> dict[int, list[SourceRecord]]:
        """Send the requests; return the records of each answered request by its pk."""


# --- The city platform (file exchange) -------------------------------------------------------
REQUEST_COLUMNS = ("请求编号", "姓名", "公民身份号码", "核对项目", "查询目的", "授权书签署日期",
                   "发起人", "发起时间")


class PlatformFileSource(DataSource):
    code = "platform_file"
    label = "市级核对平台（导出核对申请表，导入结果文件）"
    synchronous = False

    def submit(self, requests):
        return {}

    @staticmethod
    def request_sheet(requests: Sequence[VerificationRequest], *, watermark: str) -> bytes:
        """The request workbook to upload to the city platform (one row per request)."""
        from openpyxl import Workbook

        from cases.xlsx import text_row

        wb = Workbook()
        ws = wb.active
        ws.title = "核对申请"
        ws.append(REQUEST_COLUMNS)
        for r in requests:
            ws.append(text_row(ws, [
                r.number, r.person.name, r.person.id_number, r.get_source_display(), r.purpose,
                r.authorization.signed_on.isoformat(),
                person_name(r.requested_by),
                timezone.localtime(r.requested_at).strftime("%Y-%m-%d %H:%M"),
            ]))
        ws.oddHeader.center.text = watermark
        ws.oddFooter.center.text = watermark
        for col, width in zip("ABCDEFGH", (30, 10, 22, 14, 24, 14, 10, 18), strict=True):
            ws.column_dimensions[col].width = width
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()


# --- The simulated source -------------------------------------------------------------------
def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class SimulatedSource(DataSource):
    """Deterministic records from a hash of the person's ID number and the source."""

    code = "simulated"
    label = "模拟数据源（演示与测试）"
    synchronous = True

    def submit(self, requests):
        return {r.pk: self.records_for(r) for r in requests}

    def records_for(self, request: VerificationRequest) -> list[SourceRecord]:
        person = request.person
        seed = hashlib.sha256(
            f"lanshan-simulated|{person.id_number}|{request.source}".encode()).digest()
        on = timezone.localdate(request.requested_at)
        age = person.age_on(on)
        ref = f"SIM-{request.number}"
        none = [SourceRecord(f"{ref}-0", False, detail="未查询到记录")]
        roll = seed[0] % 100
        employed = 18 <= age < 60 and hashlib.sha256(
            f"lanshan-simulated|{person.id_number}|work".encode()).digest()[0] % 100 < 35
        wage = _money(2200 + seed[1] * 6) if employed else None
        src = request.source
        if src == VS.HUKOU:
            return [SourceRecord(f"{ref}-1", True, category="户籍登记",
                                 detail=f"{person.name}，{person.get_hukou_type_display()}户籍，"
                                        f"户籍地临沂市兰山区", data_date=on)]
        if src == VS.REAL_ESTATE:
            if roll < 45:
                area = 50 + seed[2] % 70
                return [SourceRecord(f"{ref}-1", True, category="住宅", asset_kind=AssetKind.HOME,
                                     asset_value=_money(area * 3000), quantity=1,
                                     detail=f"住宅一套，建筑面积{area}平方米", data_date=on)]
            if roll < 48:
                return [SourceRecord(f"{ref}-1", True, category="商业用房",
                                     asset_kind=AssetKind.COMMERCIAL,
                                     asset_value=_money(150000 + seed[3] * 1000), quantity=1,
                                     detail="商铺一处", data_date=on)]
            return none
        if src == VS.VEHICLE:
            if roll < 10 and age >= 18:
                return [SourceRecord(f"{ref}-1", True, category="小型汽车",
                                     asset_kind=AssetKind.CAR,
                                     asset_value=_money(20000 + seed[4] * 300), quantity=1,
                                     detail="小型普通客车一辆", data_date=on)]
            if roll < 22 and age >= 16:
                return [SourceRecord(f"{ref}-1", True, category="摩托车",
                                     asset_kind=AssetKind.EXEMPT_VEHICLE, quantity=1,
                                     detail="二轮摩托车一辆", data_date=on)]
            return none
        if src == VS.BUSINESS:
            if roll < 6 and age >= 18:
                return [SourceRecord(f"{ref}-1", True, category="个体工商户",
                                     asset_kind=AssetKind.BUSINESS, quantity=1,
                                     detail="个体工商户登记（存续）", data_date=on)]
            return none
        if src == VS.SOCIAL_INSURANCE:
            if age >= 60:
                if roll < 25:
                    return [SourceRecord(f"{ref}-1", True, category="企业职工基本养老金",
                                         income_type="pension",
                                         monthly_income=_money(1800 + seed[5] * 5),
                                         detail="按月领取养老金", data_date=on)]
                return [SourceRecord(f"{ref}-1", True, category="城乡居民基本养老保险",
                                     income_type="pension",
                                     monthly_income=_money(150 + seed[5] % 60),
                                     detail="按月领取基础养老金", data_date=on)]
            if employed:
                return [SourceRecord(f"{ref}-1", True, category="职工基本养老保险在缴",
                                     income_type="wage", monthly_income=wage,
                                     detail="缴费基数对应月工资（已扣除个人缴费）", data_date=on)]
            return none
        if src == VS.HOUSING_FUND:
            if employed:
                return [SourceRecord(f"{ref}-1", True, category="住房公积金缴存",
                                     detail=f"月缴存额{_money(wage * Decimal('0.10'))}元",
                                     data_date=on)]
            return none
        if src == VS.TAX:
            if employed:
                return [SourceRecord(f"{ref}-1", True, category="工资薪金所得",
                                     detail="已申报工资薪金所得，未达起征点", data_date=on)]
            return none
        if src == VS.BANK:
            balance = _money(seed[6] * 90 + seed[7] % 100)
            interest = _money(balance * Decimal("0.0035") / 12)
            return [SourceRecord(f"{ref}-1", True, category="活期及定期存款",
                                 asset_kind=AssetKind.FINANCIAL, asset_value=balance,
                                 income_type="interest", monthly_income=interest, quantity=1,
                                 detail="存款余额合计", data_date=on)]
        if src == VS.WEALTH:
            if roll < 8 and age >= 18:
                return [SourceRecord(f"{ref}-1", True, category="银行理财产品",
                                     asset_kind=AssetKind.FINANCIAL,
                                     asset_value=_money(10000 + seed[8] * 200), quantity=1,
                                     detail="理财产品持有市值", data_date=on)]
            return none
        if src == VS.STATE_PAID:
            # Paid from public funds only where employed, and then rarely.
            if employed and seed[10] % 100 < 8:
                return [SourceRecord(f"{ref}-1", True, category="机关事业单位在编人员",
                                     detail="财政供养人员信息库有在编在岗记录", data_date=on)]
            return none
        if src == VS.CIVIL:
            status = "已婚" if age >= 22 and seed[9] % 3 else "未婚或无婚姻登记记录"
            return [SourceRecord(f"{ref}-1", True, category="婚姻登记", detail=status,
                                 data_date=on)]
        return none


ADAPTERS: dict[str, DataSource] = {
    PlatformFileSource.code: PlatformFileSource(),
    SimulatedSource.code: SimulatedSource(),
}


def simulated_enabled() -> bool:
    return bool(getattr(settings, "VERIFICATION_SIMULATED_SOURCE", settings.DEBUG))


def enabled_adapters() -> list[DataSource]:
    return [a for a in ADAPTERS.values()
            if a.code != SimulatedSource.code or simulated_enabled()]


def adapter(code: str) -> DataSource:
    """The enabled adapter `code`."""
    from cases.errors import CaseActionError

    for a in enabled_adapters():
        if a.code == code:
            return a
    raise CaseActionError("channel", "该数据渠道不可用。")
