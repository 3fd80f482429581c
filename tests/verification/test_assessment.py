"""Worked examples of the means test and the amount (BRIEF §3), each computed by hand in its
docstring.

Unless a test says otherwise the figures are Linyi's from 2020-07-01 (BRIEF §4): urban dibao
600 元/人·月, rural 450; urban tekun 900, rural 585; care 700 (全护理) / 400 (半护理) /
150 (全自理). Asset rule: financial assets ≤ 24 × the urban standard per person, at most one
home, no commercial property; the exclusion rules (no Lanshan value is known; these tests
set them): no car, no business, no state-paid member. Temporary assistance: 急难型 2× the
monthly standard, at most 10×, and never above 3000 yuan a grant. Rounding: the default,
``yuan_up`` (不足1元按1元计), applied once to the final amount.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from cases.verification.assessment import (
    AssessmentError,
    AssetFacts,
    AssetRuleValue,
    CareLevel,
    Exclusion,
    ExclusionRuleValue,
    IncomeLine,
    Inputs,
    MemberFact,
    Rules,
    StandardValue,
    TempRuleValue,
    assess,
    care_level_from_adl,
)

D = Decimal
ON = dt.date(2026, 11, 26)
JULY_2020 = dt.date(2020, 7, 1)


def sv(label: str, monthly: str, amount: str | None = None, period: str = "元/人·月",
       since: dt.date = JULY_2020) -> StandardValue:
    return StandardValue(label, D(monthly), D(amount or monthly), period, since)


URBAN = sv("城市低保标准", "600")
RURAL = sv("农村低保标准", "450")
TEKUN_URBAN = sv("城市特困人员基本生活标准", "900")
TEKUN_RURAL = sv("农村特困人员基本生活标准", "585")
CARE = {CareLevel.FULL: sv("特困人员照料护理标准(全护理)", "700"),
        CareLevel.HALF: sv("特困人员照料护理标准(半护理)", "400"),
        CareLevel.SELF: sv("特困人员照料护理标准(全自理)", "150")}
ASSETS = AssetRuleValue(D("24"), "urban", 1, False, dt.date(2013, 4, 1))
EXCLUDING = {item: ExclusionRuleValue(item, item, "excludes", "有此情形的，不符合条件",
                                      dt.date(2013, 4, 1))
             for item in ("vehicle", "business", "state_paid")}
EMERGENCY = TempRuleValue("emergency", D("2"), D("10"), False, D("3000"), {},
                          dt.date(2019, 11, 25))
EXPENDITURE = TempRuleValue("expenditure", D("0"), D("10"), False, D("3000"), {},
                            dt.date(2019, 11, 25))


def rules(area: str = "urban", **extra) -> Rules:
    extra.setdefault("exclusions", EXCLUDING)
    return Rules(dibao=URBAN if area == "urban" else RURAL, dibao_urban=URBAN, asset=ASSETS,
                 **extra)


def member(pk: int, name: str, age: int, **kw) -> MemberFact:
    return MemberFact(pk, name, age, **kw)


def income(pk, name, code, monthly, counted=True, type_name=None) -> IncomeLine:
    return IncomeLine(pk, name, code, type_name or code, counted, D(monthly), "测试")


NO_ASSETS = AssetFacts()


def dibao(area, members, incomes=(), assets=NO_ASSETS, **kw) -> Inputs:
    return Inputs(kind="dibao", area=area, on=ON, members=tuple(members),
                  incomes=tuple(incomes), assets=assets, **kw)


# --- 低保 ------------------------------------------------------------------------------------
def test_urban_family_just_below_the_standard_gets_the_exact_gap():
    """Urban, 3 members: wage 1500.00 (net) + pension 250.00 = 1750.00 a month.

    Per capita 1750 ÷ 3 = 583.33… < 600, so eligible.
    Amount = (600 − 583.333…) × 3 = 1800 − 1750 = 50.00 exactly (exact arithmetic: no 50.01
    from rounding 583.33 first). Rounded up to the yuan: 50.00.
    """
    result = assess(dibao("urban", [member(1, "王建国", 45), member(2, "李玉兰", 43),
                                    member(3, "王子涵", 12)],
                          [income(1, "王建国", "wage", "1500.00"),
                           income(2, "李玉兰", "pension", "250.00")]), rules())
    assert result.eligible
    assert result.per_capita_income == D("583.33")
    assert result.amount == D("50.00")
    assert result.covered_persons == 3
    assert [r.passed for r in result.reasons] == [True] * 7  # income, 3 assets, 3 exclusions


def test_income_a_few_fen_below_the_standard_rounds_up_to_a_whole_yuan():
    """Urban, 2 members, income 1199.40: per capita 599.70 < 600.

    Amount = (600 − 599.70) × 2 = 0.60, rounded up to the yuan (不足1元按1元计): 1.00.
    """
    result = assess(dibao("urban", [member(1, "甲", 50), member(2, "乙", 48)],
                          [income(1, "甲", "wage", "1199.40")]), rules())
    assert result.eligible
    assert result.per_capita_income == D("599.70")
    assert result.amount == D("1.00")


def test_income_at_or_just_above_the_standard_is_not_eligible():
    """Urban, 2 members.

    Income 1200.02: per capita 600.01 ≥ 600 → not eligible, amount 0.
    Income 1200.00: per capita 600.00 is not *below* 600 → not eligible either.
    """
    above = assess(dibao("urban", [member(1, "甲", 50), member(2, "乙", 48)],
                         [income(1, "甲", "wage", "1200.02")]), rules())
    assert not above.eligible
    assert above.amount == D("0.00")
    assert above.failed_reasons[0].code == "income"
    assert "600.01" in above.failed_reasons[0].text
    equal = assess(dibao("urban", [member(1, "甲", 50), member(2, "乙", 48)],
                         [income(1, "甲", "wage", "1200.00")]), rules())
    assert not equal.eligible
    assert "不低于城市低保标准600.00元" in equal.failed_reasons[0].text


def test_rural_family_excluded_incomes_are_not_counted():
    """Rural, 4 members (standard 450).

    Counted: wage 800.00 + land transfer 100.00 (1200 a year ÷ 12) = 900.00.
    Not counted: scholarship 300.00, family-planning reward 80.00.
    Per capita 900 ÷ 4 = 225.00 < 450. Amount = (450 − 225) × 4 = 900.00.
    """
    result = assess(dibao("rural", [member(1, "张德明", 52), member(2, "刘凤兰", 50),
                                    member(3, "张浩然", 19), member(4, "张欣怡", 15)],
                          [income(1, "张德明", "wage", "800.00"),
                           income(1, "张德明", "land_transfer", "100.00"),
                           income(3, "张浩然", "scholarship", "300.00", counted=False,
                                  type_name="奖学金、助学金"),
                           income(2, "刘凤兰", "family_planning", "80.00", counted=False)]),
                    rules("rural"))
    assert result.household_income == D("900.00")
    assert result.per_capita_income == D("225.00")
    assert result.amount == D("900.00")
    statuses = [row["status"] for row in result.income_lines]
    assert statuses == ["计入", "计入", "不计入（奖学金、助学金不计入家庭收入）",
                        "不计入（family_planning不计入家庭收入）"]


def test_a_member_serving_a_sentence_is_not_counted_nor_is_their_income():
    """Rural, 3 registered, one serving a sentence (服刑人员): 2 counted members.

    Counted income: wage 500.00 of a counted member; the prisoner's 2000.00 is not counted.
    Per capita 500 ÷ 2 = 250.00. Amount = (450 − 250) × 2 = 400.00.
    """
    result = assess(dibao("rural", [member(1, "孙立新", 40),
                                    member(2, "孙春生", 38, exclusion=Exclusion.PRISON),
                                    member(3, "孙红梅", 70)],
                          [income(1, "孙立新", "wage", "500.00"),
                           income(2, "孙春生", "wage", "2000.00")]), rules("rural"))
    assert result.counted_members == 2
    assert result.per_capita_income == D("250.00")
    assert result.amount == D("400.00")


def test_asset_tests_failing_make_the_household_ineligible_with_every_reason():
    """Urban, 2 members, no income (per capita 0 < 600, income test met).

    Financial limit = 600 × 24 × 2 = 28800.00. Deposits 30000.00 > 28800 → fails.
    A car → fails. A motorbike is not counted. Not eligible, amount 0, both reasons listed.
    """
    result = assess(dibao("urban", [member(1, "甲", 50), member(2, "乙", 48)],
                          assets=AssetFacts(financial=D("30000.00"), cars=1,
                                            exempt_vehicles=1)), rules())
    assert not result.eligible
    assert result.amount == D("0.00")
    failed = {r.code: r.text for r in result.failed_reasons}
    assert set(failed) == {"financial", "cars"}
    assert "超过限额28800.00元" in failed["financial"]
    assert "摩托车1辆，不计" in failed["cars"]
    assert any(line.label == "金融资产限额" and line.value == "28800.00"
               for line in result.lines)


def test_deposits_exactly_at_the_limit_pass():
    """Urban, 1 member: limit 600 × 24 × 1 = 14400.00; deposits 14400.00 pass.

    Income 0 → amount (600 − 0) × 1 = 600.00.
    """
    result = assess(dibao("urban", [member(1, "甲", 70)],
                          assets=AssetFacts(financial=D("14400.00"))), rules())
    assert result.eligible
    assert result.amount == D("600.00")


# --- 特困 ------------------------------------------------------------------------------------
def tekun(area, members, incomes=(), supporter=False) -> Inputs:
    return Inputs(kind="tekun", area=area, on=ON, members=tuple(members),
                  incomes=tuple(incomes), has_capable_supporter=supporter)


def test_urban_tekun_fully_dependent_person():
    """Urban, one person of 75, no income, no supporter, 全护理.

    Basic living 900 + care (全护理) 700 = 1600.00 a month.
    """
    result = assess(tekun("urban", [member(1, "周永福", 75, supported=True,
                                            care_level=CareLevel.FULL)]),
                    rules(tekun=TEKUN_URBAN, care=CARE))
    assert result.eligible
    assert result.amount == D("1600.00")
    assert "年满60周岁（75周岁），无劳动能力" in result.reasons[0].text


def test_rural_tekun_half_care_with_a_small_pension():
    """Rural, one person of 66 with a pension of 180.00 (per capita 180 < 450), 半护理.

    Basic living 585 + care (半护理) 400 = 985.00 a month (the pension does not reduce the
    tekun amount; it only enters the livelihood test).
    """
    result = assess(tekun("rural", [member(1, "吴淑珍", 66, supported=True,
                                            care_level=CareLevel.HALF)],
                          [income(1, "吴淑珍", "pension", "180.00")]),
                    rules("rural", tekun=TEKUN_RURAL, care=CARE))
    assert result.eligible
    assert result.amount == D("985.00")


def test_rural_tekun_self_care_under_the_2018_yearly_standards():
    """Rural, 2018-09-01 standards published per year: basic 5460 ÷ 12 = 455.00 a month,
    care (全自理) 360 ÷ 12 = 30.00 a month. Self-care test: all six activities managed →
    全自理. Person of 14 (under 16 → no capacity to work).

    Amount = 455.00 + 30.00 = 485.00.
    """
    sept_2018 = dt.date(2018, 9, 1)
    level = care_level_from_adl(0)
    assert level == CareLevel.SELF
    r = Rules(dibao=sv("农村低保标准", "350.00", "4200", "元/人·年", sept_2018),
              dibao_urban=sv("城市低保标准", "520", since=sept_2018), asset=ASSETS,
              exclusions=EXCLUDING,
              tekun=sv("农村特困人员基本生活标准", "455.00", "5460", "元/人·年", sept_2018),
              care={CareLevel.SELF: sv("特困人员照料护理标准(全自理)", "30.00", "360",
                                       "元/人·年", sept_2018)})
    result = assess(tekun("rural", [member(1, "马晓东", 14, supported=True, care_level=level)]),
                    r)
    assert result.eligible
    assert result.amount == D("485.00")


def test_self_care_levels_from_the_six_activities():
    """0 activities not managed → 全自理; 1–3 → 半护理; 4–6 → 全护理 (民发〔2021〕43号)."""
    assert [care_level_from_adl(n) for n in range(7)] == [
        CareLevel.SELF, CareLevel.HALF, CareLevel.HALF, CareLevel.HALF,
        CareLevel.FULL, CareLevel.FULL, CareLevel.FULL]


def test_tekun_refused_for_a_person_able_to_work_or_with_a_supporter():
    """A person of 45 with no qualifying disability can work; a capable supporter exists.

    Not eligible, amount 0; both reasons listed, the others met.
    """
    result = assess(tekun("urban", [member(1, "高文华", 45, supported=True,
                                            care_level=CareLevel.SELF)], supporter=True),
                    rules(tekun=TEKUN_URBAN, care=CARE))
    assert not result.eligible
    assert result.amount == D("0.00")
    assert {r.code for r in result.failed_reasons} == {"capacity", "supporter"}


def test_tekun_disability_grades_that_count_as_unable_to_work():
    """Physical disability grade 2 counts (grades 1–2); grade 3 does not."""
    r = rules(tekun=TEKUN_URBAN, care=CARE)
    ok = assess(tekun("urban", [member(1, "甲", 40, supported=True, care_level="half",
                                       disability_type="physical", disability_grade=2)]), r)
    assert ok.eligible and ok.amount == D("1300.00")
    no = assess(tekun("urban", [member(1, "甲", 40, supported=True, care_level="half",
                                       disability_type="physical", disability_grade=3)]), r)
    assert not no.eligible


# --- 临时救助 --------------------------------------------------------------------------------
def temp(kind, area, expense=None, cause="", members=2) -> Inputs:
    return Inputs(kind=kind, area=area, on=ON,
                  members=tuple(member(i, f"成员{i}", 40) for i in range(1, members + 1)),
                  temp_expense=D(expense) if expense else None, temp_cause=cause)


def test_expenditure_assistance_is_capped_at_3000():
    """Urban, necessary out-of-pocket medical spending 8000.00.

    Multiple limit 600 × 10 = 6000.00; grant cap 3000.00; min(8000, 6000, 3000) = 3000.00.
    """
    result = assess(temp("temp_expenditure", "urban", "8000.00"), rules(temp=EXPENDITURE))
    assert result.eligible
    assert result.amount == D("3000.00")
    assert "按单次救助上限3000.00元救助" in result.reasons[-1].text


def test_expenditure_assistance_below_the_caps_is_rounded_up():
    """Rural, spending 1234.56: limit 450 × 10 = 4500, cap 3000 → 1234.56, rounded up to the
    yuan: 1235.00."""
    result = assess(temp("temp_expenditure", "rural", "1234.56"),
                    rules("rural", temp=EXPENDITURE))
    assert result.amount == D("1235.00")


def test_the_multiple_limit_binds_when_lower_than_the_cap():
    """Rural, per-person rule, 10× cap 30000: spending 8000 for 1 person.

    Limit 450 × 1 person × 10 = 4500.00 < cap 30000 → 4500.00.
    """
    rule = TempRuleValue("expenditure", D("0"), D("10"), True, D("30000"), {}, JULY_2020)
    result = assess(temp("temp_expenditure", "rural", "8000", members=1),
                    rules("rural", temp=rule))
    assert result.amount == D("4500.00")
    assert "倍数上限4500.00元" in result.reasons[-1].text


def test_emergency_assistance_by_fixed_amount_or_by_multiple():
    """急难型, rural (450).

    Fire with a fixed amount of 2500 for fire → 2500.00.
    Sudden illness, no fixed amount → 2 × 450 = 900.00.
    """
    rule = TempRuleValue("emergency", D("2"), D("10"), False, D("3000"),
                         {"fire": D("2500")}, JULY_2020)
    fire = assess(temp("temp_emergency", "rural", cause="fire"), rules("rural", temp=rule))
    assert fire.amount == D("2500.00")
    illness = assess(temp("temp_emergency", "rural", cause="illness"),
                     rules("rural", temp=rule))
    assert illness.amount == D("900.00")


def test_expenditure_without_an_amount_is_not_eligible():
    result = assess(temp("temp_expenditure", "urban"), rules(temp=EXPENDITURE))
    assert not result.eligible
    assert result.amount == D("0.00")


# --- Rounding and exactness ------------------------------------------------------------------
@pytest.mark.parametrize(("mode", "expected"), [
    ("fen", D("10.40")), ("yuan_half_up", D("10.00")), ("yuan_up", D("11.00"))])
def test_rounding_is_a_setting(mode, expected):
    """Urban, 1 member, income 589.60: gap 600 − 589.60 = 10.40.

    fen → 10.40; yuan_half_up → 10.00; yuan_up → 11.00.
    """
    with override_settings(ASSISTANCE_AMOUNT_ROUNDING=mode):
        result = assess(dibao("urban", [member(1, "甲", 70)],
                              [income(1, "甲", "pension", "589.60")]), rules())
    assert result.amount == expected


def test_amounts_are_decimals_never_floats():
    result = assess(dibao("urban", [member(1, "甲", 70)],
                          [income(1, "甲", "pension", "100.10")]), rules())
    assert isinstance(result.amount, Decimal)
    assert isinstance(result.per_capita_income, Decimal)
    data = result.as_dict()
    assert data["amount"] == "500.00"  # 600 − 100.10 = 499.90 → up to 500
    assert all(isinstance(line["value"], str) for line in data["lines"])


def test_a_household_with_everyone_excluded_cannot_be_assessed():
    with pytest.raises(AssessmentError, match="不能为0人"):
        assess(dibao("urban", [member(1, "甲", 40, exclusion=Exclusion.MISSING)]), rules())


def test_tekun_without_a_care_level_is_refused_with_a_message():
    with pytest.raises(AssessmentError, match="生活自理能力"):
        assess(tekun("urban", [member(1, "甲", 80, supported=True)]),
               rules(tekun=TEKUN_URBAN, care=CARE))
