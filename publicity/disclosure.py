"""What a publicity may show: the one disclosure policy (BRIEF §1.4, STYLE rule 9).

Every piece of case data that leaves the system through the publicity work — the printed
board sheet, the public village page and the export marked 公开版 — is produced here and
nowhere else. Templates and writers receive `PublicBatch` / `PublicRow` values, never a case
or a person, so they cannot reach a field this module did not allow.

Allowed (the board of BRIEF §1.4): the village, the applicant's name (in full on the paper
board, masked as 张*明 online and in exports), the number of people covered, the kind of
assistance, the proposed amount and the dates. Never: ID number, phone, address, the
reasons for hardship, health, disability, income or assets, the review opinion, bank details
(`WITHHELD`). Online, a household is shown only while its period runs and its case is still in
publicity; afterwards only the number of households remains.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils import timezone

from cases.workflow import CaseKind, CaseStatus


class Medium(StrEnum):
    """Where the data goes."""

    BOARD = "board"  # the printed sheet on the village board (staff download)
    WEB = "web"  # the public village page /gongshi/<code>/
    EXPORT = "export"  # a file marked 公开版, for re-publication


ONLINE = frozenset({Medium.WEB, Medium.EXPORT})
EVERYWHERE = frozenset(Medium)

# What never leaves through publicity, whatever the medium (for the record and the tests).
WITHHELD: dict[str, str] = {
    "Person.id_number": "公民身份号码",
    "Person.phone": "联系电话",
    "Person.birth_date": "出生日期",
    "Person.health": "健康状况、病情",
    "Person.disability_type": "残疾类别",
    "Person.disability_grade": "残疾等级",
    "Person.labour_capacity": "劳动能力",
    "Person.occupation": "职业/就业情况",
    "Household.address": "家庭住址",
    "Household.bank_account": "银行账号",
    "Household.bank_name": "开户银行",
    "Household.bank_payee": "账户户名",
    "Household.note": "家庭备注",
    "Case.hardship": "申请理由/困难情况",
    "Case.review_opinion": "审核意见",
    "VerificationReport.monthly_income": "家庭收入",
    "VerificationReport.assets_note": "财产状况",
    "VerificationReport.conclusion": "核对结论",
    "HomeVisit.findings": "入户调查情况",
    "Objection.content": "异议内容",
    "ObjectionDetail.submitter_name": "反映人姓名",
    "ObjectionDetail.submitter_contact": "反映人联系方式",
}

# A run of digits that could be an ID number (18 with check character, or the old 15) or a
# mobile number. Allowed fields never hold one; if a typing slip puts one there, it is masked.
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")
_MOBILE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def scrub(text: str) -> str:
    """Mask anything shaped like an ID or mobile number in a value about to be published."""
    text = _ID_LIKE.sub(lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 4), text)
    return _MOBILE_LIKE.sub(lambda m: m.group(0)[:3] + "********", text)


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, 欧阳文华 → 欧**华; one character → *."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def cn_date(day: dt.date | None) -> str:
    """2026年11月26日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def money(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"{Decimal(amount):,.2f}"


def _amount_unit(case) -> str:
    return "元/月" if case.kind in (CaseKind.DIBAO, CaseKind.TEKUN) else "元"


def _household_size(case) -> int:
    if case.covered_persons:
        return case.covered_persons
    return case.household.memberships.filter(ended_on__isnull=True).count()


@dataclass(frozen=True)
class PublicField:
    """One allowed field: its key, its column heading, where it may go, how it is written."""

    key: str
    label: str
    media: frozenset[Medium]
    value: Callable  # (entry, medium) -> str


FIELDS: tuple[PublicField, ...] = (
    PublicField("seq", "序号", EVERYWHERE, lambda e, m: str(e.seq)),
    PublicField("village", "村(社区)", EVERYWHERE, lambda e, m: e.case.village.short_name),
    PublicField("name", "申请人", EVERYWHERE,
                lambda e, m: e.case.applicant.name if m is Medium.BOARD
                else mask_name(e.case.applicant.name)),
    PublicField("household_size", "保障人数", EVERYWHERE,
                lambda e, m: str(_household_size(e.case))),
    PublicField("kind", "救助类别", EVERYWHERE, lambda e, m: CaseKind(e.case.kind).label),
    PublicField("amount", "拟救助金额", EVERYWHERE,
                lambda e, m: f"{money(e.case.proposed_amount)}{_amount_unit(e.case)}"
                if e.case.proposed_amount is not None else ""),
)
FIELD_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS)


def fields_for(medium: Medium) -> tuple[PublicField, ...]:
    return tuple(f for f in FIELDS if medium in f.media)


@dataclass(frozen=True)
class PublicRow:
    """One household as published: allowed keys only, in column order."""

    values: dict[str, str]
    labels: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    @property
    def cells(self) -> tuple[str, ...]:
        """The values in column order."""
        return tuple(self.values.values())

    @property
    def labelled(self) -> tuple[tuple[str, str, str], ...]:
        """(key, column heading, value) in column order."""
        return tuple((k, self.labels[k], v) for k, v in self.values.items())


@dataclass(frozen=True)
class PublicBatch:
    """A board sheet as the public may see it."""

    village: str
    village_code: str
    township: str
    hotline: str
    address: str
    office_hours: str
    posted_on: dt.date
    period_start: dt.date | None  # None while the sheet is not confirmed posted
    period_end: dt.date | None
    period_days: int | None
    running: bool
    count: int
    columns: tuple[tuple[str, str], ...]
    rows: tuple[PublicRow, ...] = field(default_factory=tuple)

    @property
    def objection_last_day(self) -> dt.date:
        """The last day an objection is taken: the last day of the publicity period."""
        return self.period_end


def is_listed(entry, medium: Medium, now: dt.datetime) -> bool:
    """May this household appear in this medium now?

    The paper sheet lists every case not withdrawn (it is printed for the posting and kept in
    the file). Online, only a case still in publicity whose period is running.
    """
    status = entry.case.status
    if status == CaseStatus.WITHDRAWN:
        return False
    if medium is Medium.BOARD:
        return True
    return (status == CaseStatus.IN_PUBLICITY and entry.ends_at is not None
            and now <= entry.ends_at)


def disclose_entry(entry, medium: Medium) -> PublicRow:
    """The allowed fields of one entry for `medium`, each scrubbed."""
    fields = fields_for(medium)
    return PublicRow(values={f.key: scrub(str(f.value(entry, medium))) for f in fields},
                     labels={f.key: f.label for f in fields})


# What disclosing an entry reads besides the entry.
ENTRY_RELATED = ("case__applicant", "case__village", "case__household")


def disclose_batch(batch, medium: Medium, *, now: dt.datetime | None = None) -> PublicBatch:
    """The batch for `medium` at `now`: the listed rows, or online after the period only the
    number of households."""
    now = now or timezone.now()
    entries = getattr(batch, "listed_entries", None)  # prefetched by `publicity.selectors`
    if entries is None:
        entries = list(batch.entries.select_related(*ENTRY_RELATED).order_by("seq"))
    shown = [e for e in entries if e.case.status != CaseStatus.WITHDRAWN]
    rows = tuple(disclose_entry(e, medium) for e in shown if is_listed(e, medium, now))
    township = batch.township
    return PublicBatch(
        village=batch.village.short_name, village_code=batch.village.code,
        township=township.name, hotline=township.hotline, address=township.address,
        office_hours=township.office_hours,
        posted_on=batch.posted_on, period_start=batch.period_start,
        period_end=batch.period_end, period_days=batch.period_days,
        running=batch.is_running(now), count=len(shown),
        columns=tuple((f.key, f.label) for f in fields_for(medium)), rows=rows,
    )
