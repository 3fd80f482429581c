"""The standards and rules in effect on a date, read from the admin-edited tables.

Every lookup names what it needs; a date with no row in effect raises `MissingStandard`
with a Chinese message that says which figure is missing for which date, so a calculation is
never made with a silent zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cases.errors import CaseActionError
from cases.models import (
    AssetRule,
    ExclusionItem,
    ExclusionRule,
    HukouType,
    IncomeType,
    Standard,
    StandardItem,
    TempAssistanceKind,
    TempAssistanceRule,
)
from cases.verification.assessment import (
    AssetRuleValue,
    CareLevel,
    ExclusionRuleValue,
    Rules,
    StandardValue,
    TempRuleValue,
)

DIBAO_ITEMS = {HukouType.URBAN: StandardItem.DIBAO_URBAN, HukouType.RURAL: StandardItem.DIBAO_RURAL}
TEKUN_ITEMS = {HukouType.URBAN: StandardItem.TEKUN_URBAN, HukouType.RURAL: StandardItem.TEKUN_RURAL}
CARE_ITEMS = {
    CareLevel.FULL: StandardItem.CARE_FULL,
    CareLevel.HALF: StandardItem.CARE_HALF,
    CareLevel.SELF: StandardItem.CARE_SELF,
}


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class MissingStandard(CaseActionError):
    """No standard or rule is in effect on the date: a clear error, never a zero."""

    def __init__(self, what: str, on: dt.date):
        super().__init__(
            "missing_standard",
            f"尚未设置{cn_date(on)}适用的{what}，不能计算。请区民政局在管理后台录入后再试。",
        )
        self.what = what
        self.on = on


def standard_on(item: str, on: dt.date) -> Standard:
    """The row of `item` in effect on `on` (the latest with effective_from ≤ on)."""
    row = (Standard.objects.filter(item=item, effective_from__lte=on)
           .order_by("-effective_from").first())
    if row is None:
        raise MissingStandard(StandardItem(item).label, on)
    return row


def _value(row: Standard) -> StandardValue:
    return StandardValue(label=row.get_item_display(), monthly=row.monthly, amount=row.amount,
                         period_label=row.get_period_display(),
                         effective_from=row.effective_from)


def dibao_standard_on(area: str, on: dt.date) -> StandardValue:
    return _value(standard_on(DIBAO_ITEMS[HukouType(area)], on))


def asset_rule_on(on: dt.date) -> AssetRuleValue:
    rule = AssetRule.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if rule is None:
        raise MissingStandard("家庭财产认定标准", on)
    return AssetRuleValue(
        financial_months=rule.financial_months, financial_base=rule.financial_base,
        max_homes=rule.max_homes, commercial_allowed=rule.commercial_allowed,
        effective_from=rule.effective_from,
    )


def exclusion_rules_on(on: dt.date) -> dict[str, ExclusionRuleValue]:
    """Each exclusion's rule in effect on `on` (one query); an item without a row in effect
    raises `MissingStandard` — "not known" is a row saying so, never a missing one."""
    found: dict[str, ExclusionRuleValue] = {}
    for rule in ExclusionRule.objects.filter(effective_from__lte=on).order_by(
            "item", "-effective_from"):
        if rule.item not in found:
            found[rule.item] = ExclusionRuleValue(
                item=rule.item, label=rule.get_item_display(), verdict=rule.verdict,
                verdict_label=rule.get_verdict_display(), effective_from=rule.effective_from)
    for item in ExclusionItem:
        if item.value not in found:
            raise MissingStandard(f"“{item.label}”排除条件认定规则", on)
    return found


def temp_rule_on(kind: str, on: dt.date) -> TempRuleValue:
    rule = (TempAssistanceRule.objects.filter(kind=kind, effective_from__lte=on)
            .order_by("-effective_from").prefetch_related("fixed_amounts").first())
    if rule is None:
        raise MissingStandard(f"{TempAssistanceKind(kind).label}临时救助标准", on)
    return TempRuleValue(
        kind=rule.kind, months_default=rule.months_default, months_max=rule.months_max,
        per_person=rule.per_person, cap=rule.cap,
        fixed={a.cause: a.amount for a in rule.fixed_amounts.all()},
        effective_from=rule.effective_from,
    )


def rules_for(kind: str, area: str, on: dt.date, *, care_levels=()) -> Rules:
    """Everything a calculation of `kind` for a household of `area` needs on `on`.

    Args:
        kind: a `CaseKind` value.
        area: ``urban`` or ``rural`` (the household's 户籍性质).
        on: the date whose standards apply.
        care_levels: the care levels of the persons supported (特困 only).

    Raises:
        MissingStandard: a figure the calculation needs is not in effect on `on`.
    """
    from cases.workflow import CaseKind

    kind = CaseKind(kind)
    dibao = dibao_standard_on(area, on)
    dibao_urban = dibao_standard_on(HukouType.URBAN, on)
    tekun = None
    care: dict[str, StandardValue] = {}
    asset = None
    temp = None
    exclusions: dict[str, ExclusionRuleValue] = {}
    if kind in (CaseKind.DIBAO, CaseKind.TEKUN):
        asset = asset_rule_on(on)
        exclusions = exclusion_rules_on(on)
    if kind == CaseKind.TEKUN:
        tekun = _value(standard_on(TEKUN_ITEMS[HukouType(area)], on))
        for level in sorted(set(care_levels)):
            if level:
                care[level] = _value(standard_on(CARE_ITEMS[CareLevel(level)], on))
    if kind == CaseKind.TEMP_EMERGENCY:
        temp = temp_rule_on(TempAssistanceKind.EMERGENCY, on)
    if kind == CaseKind.TEMP_EXPENDITURE:
        temp = temp_rule_on(TempAssistanceKind.EXPENDITURE, on)
    return Rules(dibao=dibao, dibao_urban=dibao_urban, tekun=tekun, care=care, asset=asset,
                 temp=temp, exclusions=exclusions)


def income_types() -> dict[str, IncomeType]:
    """Income kinds by code (name lookups use `income_type_by_name`)."""
    return {t.code: t for t in IncomeType.objects.all()}


def income_type_by_name(text: str) -> IncomeType | None:
    text = (text or "").strip()
    if not text:
        return None
    return (IncomeType.objects.filter(code=text).first()
            or IncomeType.objects.filter(name=text).first())


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
