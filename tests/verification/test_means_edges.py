"""The edges of the means test: income at the standard and one fen either side, the asset
limits at their edge, and the day a new standard takes effect.

No Lanshan figure is known for any of these; the figures are the ones the tests of
`test_assessment.py` use (Linyi's urban 600 / rural 450, financial assets ≤ 24 × the urban
standard per person, one home, no commercial property) or rows the tests enter themselves,
as the bureau would in the admin.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import (
    AssetRule,
    EmergencyAidAmount,
    Standard,
    StandardItem,
    TempAssistanceRule,
)
from cases.verification import standards
from cases.verification.assessment import (
    AssessmentError,
    AssetFacts,
    AssetRuleValue,
    CareLevel,
    TempRuleValue,
    assess,
    care_level_from_adl,
)
from tests.verification.test_assessment import (
    ASSETS,
    EXCLUDING,
    RURAL,
    URBAN,
    Rules,
    dibao,
    income,
    member,
    rules,
    temp,
)

D = Decimal


def one(monthly: str, area: str = "urban", mode: str = "fen", assets=None):
    """A household of one with a wage of `monthly` a month."""
    inputs = dibao(area, [member(1, "甲", 50)], [income(1, "甲", "wage", monthly)],
                   **({"assets": assets} if assets else {}))
    return assess(inputs, rules(area), rounding=mode)


# --- Income at the standard -----------------------------------------------------------------
@pytest.mark.parametrize(("monthly", "eligible", "amount", "word"), [
    ("599.99", True, "0.01", "低于"),  # one fen below: the one-fen gap is paid
    ("600.00", False, "0.00", "不低于"),  # exactly at the standard: not below it
    ("600.01", False, "0.00", "不低于"),  # one fen above
])
def test_income_one_fen_either_side_of_the_standard(monthly, eligible, amount, word):
    result = one(monthly)
    assert result.eligible is eligible
    assert result.amount == D(amount)
    assert result.per_capita_income == D(monthly)
    income_reason = next(r for r in result.reasons if r.code == "income")
    assert income_reason.passed is eligible
    assert income_reason.text == f"家庭月人均收入{monthly}元，{word}城市低保标准600.00元。"


def test_one_fen_below_the_standard_is_paid_one_yuan_under_the_default_rounding():
    """(600 − 599.99) × 1 = 0.01, 不足1元按1元计: 1.00 (half-up to the yuan would be 0)."""
    assert one("599.99", mode="yuan_up").amount == D("1.00")
    assert one("599.99", mode="yuan_half_up").amount == D("0.00")


def test_the_rural_standard_is_the_edge_of_a_rural_household():
    """Rural standard 450: 449.99 is below it, 450.00 is not."""
    below, at = one("449.99", area="rural"), one("450.00", area="rural")
    assert below.eligible and below.amount == D("0.01")
    assert not at.eligible
    assert "不低于农村低保标准450.00元" in at.failed_reasons[0].text


def test_per_capita_income_is_compared_exactly_not_after_rounding():
    """3 members, 1799.99 a month: per capita 599.996…, shown 600.00 but below 600 — eligible,
    and the gap is exact: (600 − 599.99666…) × 3 = 0.01."""
    result = assess(dibao("urban", [member(1, "甲", 50), member(2, "乙", 48),
                                    member(3, "丙", 20)],
                          [income(1, "甲", "wage", "1799.99")]), rules(), rounding="fen")
    assert result.per_capita_income == D("600.00")
    assert result.eligible
    assert result.amount == D("0.01")


# --- Asset limits ---------------------------------------------------------------------------
@pytest.mark.parametrize(("financial", "passed"), [
    ("14399.99", True), ("14400.00", True), ("14400.01", False),
])
def test_financial_assets_at_the_limit_and_one_fen_either_side(financial, passed):
    """One member: 600 × 24 × 1 = 14400.00; at the limit passes, one fen above fails."""
    result = one("0", assets=AssetFacts(financial=D(financial)))
    assert result.eligible is passed
    reason = next(r for r in result.reasons if r.code == "financial")
    assert reason.passed is passed
    word = "未超过" if passed else "超过"
    assert reason.text == f"存款等金融资产{financial}元，{word}限额14400.00元。"
    line = next(x for x in result.lines if x.label == "存款等金融资产")
    assert (line.rule, line.outcome) == ("不超过14400.00元", "pass" if passed else "fail")


def test_the_financial_limit_of_a_rural_household_is_counted_on_the_urban_standard():
    """The asset rule's base is the urban standard: a rural household of one may hold
    600 × 24 = 14400.00 (not 450 × 24 = 10800.00)."""
    ok = one("0", area="rural", assets=AssetFacts(financial=D("14400.00")))
    over = one("0", area="rural", assets=AssetFacts(financial=D("14400.01")))
    assert ok.eligible and not over.eligible
    limit = next(x for x in ok.lines if x.label == "金融资产限额")
    assert limit.value == "14400.00"
    assert limit.formula == "城市低保标准600.00 × 24个月 × 1人"
    assert {u["label"] for u in ok.standards_used} == {"农村低保标准", "城市低保标准"}


def test_a_rule_on_the_households_own_standard_uses_it():
    own = AssetRuleValue(D("24"), "own_area", 1, False, dt.date(2013, 4, 1))
    base = Rules(dibao=RURAL, dibao_urban=URBAN, asset=own, exclusions=EXCLUDING)
    inputs = dibao("rural", [member(1, "甲", 50)], assets=AssetFacts(financial=D("10800.00")))
    assert assess(inputs, base, rounding="fen").eligible
    over = dibao("rural", [member(1, "甲", 50)], assets=AssetFacts(financial=D("10800.01")))
    result = assess(over, base, rounding="fen")
    assert not result.eligible
    assert [r.code for r in result.failed_reasons] == ["financial"]


def test_the_financial_limit_grows_with_the_counted_members():
    """Two members: 600 × 24 × 2 = 28800.00."""
    members = [member(1, "甲", 50), member(2, "乙", 48)]
    at = assess(dibao("urban", members, assets=AssetFacts(financial=D("28800.00"))), rules())
    over = assess(dibao("urban", members, assets=AssetFacts(financial=D("28800.01"))),
                  rules())
    assert at.eligible and not over.eligible


@pytest.mark.parametrize(("homes", "passed", "text"), [
    (0, True, "住房0套，未超过1套。"),
    (1, True, "住房1套，未超过1套。"),
    (2, False, "住房2套，超过1套。"),
])
def test_homes_at_the_limit_pass_one_more_fails(homes, passed, text):
    result = one("0", assets=AssetFacts(homes=homes))
    assert result.eligible is passed
    reason = next(r for r in result.reasons if r.code == "homes")
    assert (reason.passed, reason.text) == (passed, text)


@pytest.mark.parametrize(("allowed", "commercial", "passed", "text"), [
    (False, 0, True, "无商业用房。"),
    (False, 1, False, "拥有商业用房1处。"),
    (True, 1, True, "商业用房1处（标准允许）。"),
])
def test_commercial_property_follows_the_rule(allowed, commercial, passed, text):
    rule = AssetRuleValue(D("24"), "urban", 1, allowed, dt.date(2013, 4, 1))
    base = Rules(dibao=URBAN, dibao_urban=URBAN, asset=rule, exclusions=EXCLUDING)
    result = assess(dibao("urban", [member(1, "甲", 50)],
                          assets=AssetFacts(commercial=commercial)), base, rounding="fen")
    assert result.eligible is passed
    reason = next(r for r in result.reasons if r.code == "commercial")
    assert (reason.passed, reason.text) == (passed, text)
    line = next(x for x in result.lines if x.label == "商业用房")
    assert line.rule == ("可有商业用房" if allowed else "不得有商业用房")


# --- The day a standard takes effect (database: the dated rows) ------------------------------
NEW_DAY = dt.date(2031, 1, 1)
EVE = NEW_DAY - dt.timedelta(days=1)


@pytest.fixture
def new_standards(db):
    """The bureau enters new rows from NEW_DAY (test figures, not Lanshan's)."""
    for item, amount in ((StandardItem.DIBAO_URBAN, "650"), (StandardItem.DIBAO_RURAL, "500"),
                         (StandardItem.TEKUN_URBAN, "1000"), (StandardItem.CARE_FULL, "800")):
        Standard.objects.create(item=item, amount=D(amount), effective_from=NEW_DAY,
                                source="测试")
    AssetRule.objects.create(effective_from=NEW_DAY, financial_months=D("36"),
                             financial_base="urban", max_homes=2, commercial_allowed=True)
    rule = TempAssistanceRule.objects.create(kind="emergency", effective_from=NEW_DAY,
                                             months_default=D("3"), months_max=D("12"),
                                             per_person=True, cap=D("5000"))
    EmergencyAidAmount.objects.create(rule=rule, cause="fire", amount=D("2500"))


@pytest.mark.django_db
def test_the_day_before_uses_the_old_standard_the_day_itself_the_new(new_standards):
    eve, day = standards.rules_for("dibao", "urban", EVE), standards.rules_for(
        "dibao", "urban", NEW_DAY)
    assert (eve.dibao.monthly, day.dibao.monthly) == (D("600.00"), D("650.00"))
    assert (eve.dibao.effective_from, day.dibao.effective_from) == (dt.date(2020, 7, 1),
                                                                    NEW_DAY)
    rural_eve = standards.rules_for("dibao", "rural", EVE)
    rural_day = standards.rules_for("dibao", "rural", NEW_DAY)
    assert (rural_eve.dibao.monthly, rural_day.dibao.monthly) == (D("450.00"), D("500.00"))
    # The urban standard is read beside the rural one (the financial limit's base).
    assert (rural_eve.dibao_urban.monthly, rural_day.dibao_urban.monthly) == (D("600.00"),
                                                                              D("650.00"))
    assert (eve.asset.financial_months, day.asset.financial_months) == (D("24.00"), D("36.00"))
    assert (eve.asset.max_homes, day.asset.max_homes) == (1, 2)
    assert (eve.asset.commercial_allowed, day.asset.commercial_allowed) == (False, True)
    assert (eve.asset.financial_base, day.asset.financial_base) == ("urban", "urban")
    assert day.asset.effective_from == NEW_DAY


@pytest.mark.django_db
def test_a_date_before_the_first_asset_rule_is_a_clear_error_naming_it():
    first = AssetRule.objects.order_by("effective_from").first().effective_from
    eve = first - dt.timedelta(days=1)
    with pytest.raises(standards.MissingStandard) as exc:
        standards.asset_rule_on(eve)
    assert exc.value.message.startswith(
        f"尚未设置{eve.year}年{eve.month}月{eve.day}日适用的家庭财产认定标准，不能计算。")
    assert (exc.value.what, exc.value.on) == ("家庭财产认定标准", eve)
    assert standards.asset_rule_on(first).effective_from == first


@pytest.mark.django_db
def test_a_household_between_the_two_standards_is_eligible_only_from_the_day(new_standards):
    """One member earning 620.00: not below 600 on the eve; (650 − 620) × 1 = 30.00 on the
    day."""
    inputs = dibao("urban", [member(1, "甲", 50)], [income(1, "甲", "wage", "620.00")])
    eve = assess(inputs, standards.rules_for("dibao", "urban", EVE), rounding="fen")
    day = assess(inputs, standards.rules_for("dibao", "urban", NEW_DAY), rounding="fen")
    assert not eve.eligible and eve.amount == D("0.00")
    assert day.eligible and day.amount == D("30.00")
    assert day.standard == D("650.00")
    assert [u["effective_from"] for u in day.standards_used] == ["2031-01-01"]


@pytest.mark.django_db
def test_tekun_and_care_standards_change_on_their_day(new_standards):
    eve = standards.rules_for("tekun", "urban", EVE, care_levels=["full", ""])
    day = standards.rules_for("tekun", "urban", NEW_DAY, care_levels=["full"])
    assert (eve.tekun.monthly, day.tekun.monthly) == (D("900.00"), D("1000.00"))
    assert (eve.care["full"].monthly, day.care["full"].monthly) == (D("700.00"), D("800.00"))
    assert set(eve.care) == {"full"}  # a member without a level asks for no care standard
    assert eve.temp is None and eve.asset is not None and len(eve.exclusions) == 3


@pytest.mark.django_db
def test_the_temporary_assistance_rule_changes_on_its_day(new_standards):
    eve = standards.rules_for("temp_emergency", "urban", EVE)
    day = standards.rules_for("temp_emergency", "urban", NEW_DAY)
    assert (eve.temp.months_default, day.temp.months_default) == (D("2.00"), D("3.00"))
    assert (eve.temp.cap, day.temp.cap) == (D("3000.00"), D("5000.00"))
    assert (eve.temp.per_person, day.temp.per_person) == (False, True)
    assert day.temp.effective_from == NEW_DAY and day.temp.kind == "emergency"
    assert (eve.temp.fixed, day.temp.fixed) == ({}, {"fire": D("2500.00")})
    assert day.asset is None and day.exclusions == {} and day.tekun is None


def test_the_test_rules_are_the_documented_ones():
    """Guard of this file's arithmetic: the asset rule these edges are computed from."""
    assert (ASSETS.financial_months, ASSETS.financial_base, ASSETS.max_homes,
            ASSETS.commercial_allowed) == (D("24"), "urban", 1, False)


# --- Self-care level and temporary assistance edges ------------------------------------------
@pytest.mark.parametrize(("failed", "level"), [
    (0, CareLevel.SELF), (1, CareLevel.HALF), (3, CareLevel.HALF), (4, CareLevel.FULL),
    (6, CareLevel.FULL),
])
def test_self_care_level_at_each_edge(failed, level):
    assert care_level_from_adl(failed) == level


@pytest.mark.parametrize("failed", [-1, 7])
def test_a_count_outside_the_six_activities_is_refused(failed):
    with pytest.raises(ValueError) as exc:
        care_level_from_adl(failed)
    assert exc.value.args == (failed,)


def test_temporary_assistance_without_its_rule_is_refused_in_chinese():
    with pytest.raises(AssessmentError) as exc:
        assess(temp("temp_expenditure", "urban", "100"), rules())
    assert exc.value.message == "缺少临时救助标准。"


def test_a_per_person_limit_counts_every_member():
    """Rural, 2 members, per person: limit 450 × 2 × 10 = 9000.00; spending 8000 is paid in
    full (a per-household limit would be 4500.00)."""
    rule = TempRuleValue("expenditure", D("0"), D("10"), True, D("30000"), {}, EVE)
    result = assess(temp("temp_expenditure", "rural", "8000", members=2),
                    rules("rural", temp=rule), rounding="fen")
    assert result.amount == D("8000.00")
    limit = next(x for x in result.lines if x.label == "倍数上限")
    assert (limit.formula, limit.value) == ("农村低保标准450.00 × 2人 × 10倍", "9000.00")


@pytest.mark.parametrize(("covered", "amount"), [(1, "100.00"), (2, "200.00"), (None, "200.00")])
def test_the_persons_covered_are_one_to_all_counted_members(covered, amount):
    """2 members, income 1000.00: per capita 500.00, gap 100.00 a person."""
    inputs = dibao("urban", [member(1, "甲", 50), member(2, "乙", 48)],
                   [income(1, "甲", "wage", "1000.00")], covered_persons=covered)
    result = assess(inputs, rules(), rounding="fen")
    assert (result.amount, result.covered_persons) == (D(amount), covered or 2)


@pytest.mark.parametrize("covered", [3, -1])
def test_more_persons_covered_than_members_or_fewer_than_one_is_refused(covered):
    inputs = dibao("urban", [member(1, "甲", 50), member(2, "乙", 48)],
                   [income(1, "甲", "wage", "1000.00")], covered_persons=covered)
    with pytest.raises(AssessmentError) as exc:
        assess(inputs, rules(), rounding="fen")
    assert exc.value.message == "保障人数应在1至2人之间。"
