"""The means test and the amount: 低保, 特困 and 临时救助 (BRIEF §3).

`assess(inputs, rules)` is a pure function: the household's facts and the standards in effect
go in; the verdict with every reason (met or not), each line of the calculation and the
amount come out. Nothing here reads the database, so the worked examples in
`tests/verification/test_assessment.py` run it directly.

Counting rules (BRIEF §3.1):
  * Household: the members who live together (共同生活的家庭成员). Not counted: religious staff
    away three years or more, prisoners, persons in compulsory drug rehabilitation, persons
    declared missing (and conscripts) — their income is not counted either.
  * Income: wages net of tax and personal social insurance, net business income, net property
    income (interest, rent, land transfer), net transfers (pensions, maintenance,
    compensation). Which kinds count is the `IncomeType` table (edited in the admin); by
    default veterans' benefits, family-planning rewards, bravery awards, scholarships and
    assistance payments do not.
  * Per-capita income = counted monthly income ÷ counted members.

Exclusions (低保 and 特困; `ExclusionRule`, dated, edited in the admin): a vehicle (motorbikes
and disability carriages not counted), a business registration, a member paid from public funds
(财政供养人员). Each rule excludes, allows, or is unknown — no Lanshan rule was found for any of
them (BRIEF §3.2) — and under an unknown rule a fact found is a check line "to be confirmed"
(`TO_CONFIRM`) that does not make the household ineligible. Every check (asset limits and
exclusions) is one `Line` with its rule and outcome, and one `Reason`.

Amounts:
  * 低保 = (monthly standard − per-capita income) × persons covered (差额, BRIEF §3.3).
  * 特困 = per person supported: the basic living standard of the area + the care standard of
    the person's self-care level (全自理 / 半护理 / 全护理, BRIEF §3.5).
  * 临时救助 = 急难型: the fixed amount for the cause, else `months_default` × the monthly
    dibao standard; 支出型: the necessary expenditure the family bears; each capped by
    `months_max` × the standard (× household size when the rule says so) and by the rule's cap.

Arithmetic is exact (fractions of Decimals, never float). Rounding happens once, on the final
amount, by the setting ``ASSISTANCE_AMOUNT_ROUNDING`` (default ``yuan_up``):

  * ``fen`` — to the fen (0.01 yuan), half up;
  * ``yuan_half_up`` — to the whole yuan, half up;
  * ``yuan_up`` — to the whole yuan, any fraction of a yuan up (不足1元按1元计), so rounding
    never pays less than the formula. A temporary-assistance amount is never rounded above
    its cap or limit.

The per-capita income shown is rounded half up to the fen for display only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import models

from cases.errors import CaseActionError

ROUNDING_SETTING = "ASSISTANCE_AMOUNT_ROUNDING"
DEFAULT_ROUNDING = "yuan_up"
ROUNDINGS: dict[str, tuple[str, Decimal, str]] = {
    "fen": ("按分四舍五入", Decimal("0.01"), "half_up"),
    "yuan_half_up": ("按元四舍五入", Decimal("1"), "half_up"),
    "yuan_up": ("按元取整，不足1元按1元计", Decimal("1"), "up"),
}
CENT = Decimal("0.01")


class CareLevel(models.TextChoices):
    """Self-care ability of a 特困 person (民发〔2021〕43号, BRIEF §3.5)."""

    SELF = "self", "全自理"
    HALF = "half", "半护理"
    FULL = "full", "全护理"


# The six daily activities of the self-care test.
ADL_ITEMS = ("吃饭", "穿衣", "上下床", "如厕", "室内行走", "洗澡")


def care_level_from_adl(failed: int) -> CareLevel:
    """All six activities managed → 全自理; 1–3 not managed → 半护理; 4 or more → 全护理."""
    if failed < 0 or failed > len(ADL_ITEMS):
        raise ValueError(failed)
    if failed == 0:
        return CareLevel.SELF
    return CareLevel.HALF if failed <= 3 else CareLevel.FULL


class Exclusion(models.TextChoices):
    """Why a registered member is not counted as living together (BRIEF §3.1)."""

    NONE = "", "计入"
    RELIGIOUS = "religious", "宗教教职人员(连续3年以上)"
    PRISON = "prison", "服刑人员"
    DETOX = "detox", "强制隔离戒毒人员"
    MISSING = "missing", "宣告失踪人员"
    CONSCRIPT = "conscript", "义务兵"


class AssessmentError(CaseActionError):
    """The inputs cannot be assessed (the message says why, in Chinese)."""

    def __init__(self, message: str):
        super().__init__("assessment", message)


# --- Inputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberFact:
    person_id: int
    name: str
    age: int
    exclusion: str = ""
    disability_type: str = ""
    disability_grade: int = 0
    supported: bool = False  # 特困: this person applies to be supported
    care_level: str = ""  # 特困: CareLevel of a supported person

    @property
    def counted(self) -> bool:
        return not self.exclusion


@dataclass(frozen=True)
class IncomeLine:
    """One income of one member, as a net monthly amount."""

    person_id: int | None
    person_name: str
    type_code: str
    type_name: str
    counted_type: bool
    monthly: Decimal
    source: str = ""


@dataclass(frozen=True)
class AssetFacts:
    financial: Decimal = Decimal("0")
    homes: int = 0
    commercial: int = 0
    cars: int = 0
    exempt_vehicles: int = 0
    businesses: int = 0
    state_paid: int = 0  # members found paid from public funds (财政供养人员)


@dataclass(frozen=True)
class Inputs:
    kind: str
    area: str  # "urban" | "rural"
    on: dt.date
    members: tuple[MemberFact, ...]
    incomes: tuple[IncomeLine, ...] = ()
    assets: AssetFacts = AssetFacts()
    covered_persons: int | None = None
    has_capable_supporter: bool | None = None  # 特困
    temp_cause: str = ""  # 急难型: EmergencyCause value
    temp_expense: Decimal | None = None  # 支出型


@dataclass(frozen=True)
class StandardValue:
    label: str
    monthly: Decimal
    amount: Decimal
    period_label: str
    effective_from: dt.date


@dataclass(frozen=True)
class AssetRuleValue:
    financial_months: Decimal
    financial_base: str  # "urban" | "own_area"
    max_homes: int
    commercial_allowed: bool
    effective_from: dt.date


# ExclusionVerdict values (cases.models.standards), kept here so this module stays pure.
EXCLUDES, ALLOWED, UNKNOWN = "excludes", "allowed", "unknown"


@dataclass(frozen=True)
class ExclusionRuleValue:
    """One exclusion rule in effect (`cases.models.ExclusionRule`)."""

    item: str  # ExclusionItem value: vehicle | business | state_paid
    label: str
    verdict: str  # EXCLUDES | ALLOWED | UNKNOWN
    verdict_label: str
    effective_from: dt.date


@dataclass(frozen=True)
class TempRuleValue:
    kind: str
    months_default: Decimal
    months_max: Decimal
    per_person: bool
    cap: Decimal
    fixed: dict
    effective_from: dt.date


@dataclass(frozen=True)
class Rules:
    dibao: StandardValue  # the household's area
    dibao_urban: StandardValue | None = None
    tekun: StandardValue | None = None
    care: dict = field(default_factory=dict)  # CareLevel value -> StandardValue
    asset: AssetRuleValue | None = None
    temp: TempRuleValue | None = None
    exclusions: dict = field(default_factory=dict)  # ExclusionItem value -> ExclusionRuleValue


# --- Output ---------------------------------------------------------------------------------
@dataclass
class Reason:
    code: str
    passed: bool
    text: str
    # The rule is not known (an exclusion marked 规定未查到): the fact is shown, not judged;
    # `passed` is then True so that no unknown rule makes a household ineligible.
    unknown: bool = False


# Outcomes of a check line.
PASS, FAIL, TO_CONFIRM = "pass", "fail", "unknown"
OUTCOME_LABELS = {PASS: "符合", FAIL: "不符合", TO_CONFIRM: "待确认"}


@dataclass
class Line:
    """One line of the calculation. A check line (an asset test or an exclusion) also carries
    the rule or limit it was held against and its outcome (`PASS`, `FAIL`, `TO_CONFIRM`);
    arithmetic lines leave both empty."""

    label: str
    formula: str
    value: str
    rule: str = ""
    outcome: str = ""
    outcome_label: str = ""


@dataclass
class Result:
    kind: str
    eligible: bool
    amount: Decimal
    reasons: list[Reason]
    lines: list[Line]
    household_income: Decimal | None = None
    per_capita_income: Decimal | None = None
    counted_members: int = 0
    covered_persons: int | None = None
    standard: Decimal | None = None
    rounding: str = ""
    amount_unit: str = "元/月"
    standards_used: list[dict] = field(default_factory=list)
    income_lines: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)

    @property
    def failed_reasons(self) -> list[Reason]:
        return [r for r in self.reasons if not r.passed]

    @property
    def unknown_reasons(self) -> list[Reason]:
        """Facts found under a rule nobody has confirmed: for the approver to judge."""
        return [r for r in self.reasons if r.unknown]

    def as_dict(self) -> dict:
        """JSON-safe: money as strings with two decimals, dates ISO."""
        data = asdict(self)
        return _jsonable(data)


def _jsonable(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- Arithmetic -----------------------------------------------------------------------------
def rounding_mode() -> str:
    mode = getattr(settings, ROUNDING_SETTING, DEFAULT_ROUNDING)
    if mode not in ROUNDINGS:
        raise ImproperlyConfiguredRounding(mode)
    return mode


class ImproperlyConfiguredRounding(ValueError):
    def __init__(self, mode):
        super().__init__(f"{ROUNDING_SETTING}={mode!r}; choose one of {sorted(ROUNDINGS)}")


def _to_decimal(x: Fraction, quantum: Decimal, how: str) -> Decimal:
    """`x` (≥ 0) rounded to a multiple of `quantum`: ``half_up``, ``up`` or ``down``."""
    if x < 0:
        raise ValueError("amounts are never negative")
    steps = x / Fraction(quantum)
    if how == "half_up":
        n = math.floor(steps + Fraction(1, 2))
    elif how == "up":
        n = math.ceil(steps)
    else:
        n = math.floor(steps)
    return (Decimal(n) * quantum).quantize(quantum if quantum < 1 else Decimal("1"))


def fen(x: Fraction | Decimal) -> Decimal:
    """To the fen, half up (for display)."""
    return _to_decimal(Fraction(x), CENT, "half_up").quantize(CENT)


def round_amount(x: Fraction, mode: str | None = None) -> Decimal:
    _label, quantum, how = ROUNDINGS[mode or rounding_mode()]
    return _to_decimal(x, quantum, how).quantize(CENT)


def y(x) -> str:
    """Money for the calculation lines: 600.00."""
    return f"{fen(Fraction(x)):.2f}"


def times(x: Decimal) -> str:
    """A multiple or a number of months for the calculation lines: 24, 1.5, 10 (never
    ``1E+1``, which `Decimal.normalize` gives for 10)."""
    return f"{Decimal(x).normalize():f}"


# --- The calculation ------------------------------------------------------------------------
def assess(inputs: Inputs, rules: Rules, *, rounding: str | None = None) -> Result:
    """Assess a household for the case's kind of assistance.

    Args:
        inputs: the household's facts on `inputs.on`.
        rules: the standards in effect on that date (`cases.verification.standards.rules_for`).
        rounding: one of `ROUNDINGS`; default the ``ASSISTANCE_AMOUNT_ROUNDING`` setting.

    Returns:
        The `Result`: eligibility with every reason, the calculation lines and the amount.

    Raises:
        AssessmentError: the inputs are incomplete or contradictory (message in Chinese).
    """
    mode = rounding or rounding_mode()
    if mode not in ROUNDINGS:
        raise ImproperlyConfiguredRounding(mode)
    from cases.workflow import CaseKind

    kind = CaseKind(inputs.kind)
    calc = _Calc(inputs, rules, mode)
    if kind == CaseKind.DIBAO:
        return calc.dibao()
    if kind == CaseKind.TEKUN:
        return calc.tekun()
    return calc.temporary(emergency=kind == CaseKind.TEMP_EMERGENCY)


AREA_LABELS = {"urban": "城市", "rural": "农村"}


class _Calc:
    def __init__(self, inputs: Inputs, rules: Rules, mode: str):
        self.i = inputs
        self.r = rules
        self.mode = mode
        self.reasons: list[Reason] = []
        self.lines: list[Line] = []
        self.used: list[dict] = []
        self.counted = [m for m in inputs.members if m.counted]
        if not self.counted:
            raise AssessmentError("共同生活的家庭成员不能为0人，请检查成员是否均被排除。")
        self.m = len(self.counted)
        self._use(rules.dibao)

    # helpers -------------------------------------------------------------------------------
    def _use(self, value: StandardValue | None) -> None:
        if value is None:
            return
        entry = {"label": value.label, "amount": f"{value.amount:.2f}",
                 "period": value.period_label, "monthly": f"{value.monthly:.2f}",
                 "effective_from": value.effective_from.isoformat(),
                 "since": f"{value.effective_from.year}年{value.effective_from.month}月"
                          f"{value.effective_from.day}日"}
        if entry not in self.used:
            self.used.append(entry)

    def line(self, label: str, formula: str, value) -> None:
        self.lines.append(Line(label, formula, value if isinstance(value, str) else y(value)))

    def reason(self, code: str, passed: bool, text: str) -> bool:
        self.reasons.append(Reason(code, passed, text))
        return passed

    def _members_lines(self) -> list[dict]:
        rows = []
        for m in self.i.members:
            rows.append({"person_id": m.person_id, "name": m.name, "age": m.age,
                         "counted": m.counted,
                         "exclusion": Exclusion(m.exclusion).label if m.exclusion else "",
                         "supported": m.supported,
                         "care_level": CareLevel(m.care_level).label if m.care_level else ""})
        return rows

    def household(self) -> tuple[Fraction, Fraction]:
        """Counted monthly income and per-capita income (exact), with their lines."""
        excluded = [m for m in self.i.members if not m.counted]
        names = "、".join(m.name for m in self.counted)
        self.line("共同生活家庭成员", f"{names}，共{self.m}人", f"{self.m}人")
        for m in excluded:
            self.line("不计入家庭人口", f"{m.name}：{Exclusion(m.exclusion).label}", "不计入")
        excluded_ids = {m.person_id for m in excluded}
        total = Fraction(0)
        counted_parts = []
        self.income_rows: list[dict] = []
        for inc in self.i.incomes:
            if inc.monthly < 0:
                raise AssessmentError(f"{inc.person_name}的{inc.type_name}不能为负数。")
            if inc.person_id is not None and inc.person_id in excluded_ids:
                status = "不计入（该成员不计入家庭人口）"
            elif not inc.counted_type:
                status = f"不计入（{inc.type_name}不计入家庭收入）"
            else:
                status = "计入"
                total += Fraction(inc.monthly)
                counted_parts.append(y(inc.monthly))
            self.income_rows.append({"person": inc.person_name, "type": inc.type_name,
                                     "monthly": f"{inc.monthly:.2f}", "source": inc.source,
                                     "status": status})
        formula = " + ".join(counted_parts) if counted_parts else "无计入的收入"
        self.line("家庭月收入（计入部分）", formula, total)
        per_capita = total / self.m
        self.line("家庭月人均收入", f"{y(total)} ÷ {self.m}", per_capita)
        return total, per_capita

    def income_test(self, per_capita: Fraction) -> bool:
        s = self.r.dibao
        area = AREA_LABELS.get(self.i.area, "")
        if per_capita < Fraction(s.monthly):
            return self.reason("income", True,
                               f"家庭月人均收入{y(per_capita)}元，低于{area}低保标准"
                               f"{y(s.monthly)}元。")
        return self.reason("income", False,
                           f"家庭月人均收入{y(per_capita)}元，不低于{area}低保标准"
                           f"{y(s.monthly)}元。")

    def asset_tests(self) -> bool:
        rule = self.r.asset
        if rule is None:
            raise AssessmentError("缺少家庭财产认定标准。")
        a = self.i.assets
        ok = True
        base = self.r.dibao_urban if rule.financial_base == "urban" else self.r.dibao
        if base is None:
            raise AssessmentError("缺少城市低保标准，不能计算金融资产限额。")
        self._use(base)
        limit = Fraction(rule.financial_months) * Fraction(base.monthly) * self.m
        self.line("金融资产限额",
                  f"{base.label}{y(base.monthly)} × {times(rule.financial_months)}个月 "
                  f"× {self.m}人", limit)
        ok &= self.check(
            "financial", "存款等金融资产", f"{y(a.financial)}元", "核对及申报的存款、理财等合计",
            f"不超过{y(limit)}元", PASS if Fraction(a.financial) <= limit else FAIL,
            f"存款等金融资产{y(a.financial)}元，"
            f"{'未超过' if Fraction(a.financial) <= limit else '超过'}限额{y(limit)}元。")
        ok &= self.check(
            "homes", "住房", f"{a.homes}套", "核对到的住房", f"不超过{rule.max_homes}套",
            PASS if a.homes <= rule.max_homes else FAIL,
            f"住房{a.homes}套，{'未超过' if a.homes <= rule.max_homes else '超过'}"
            f"{rule.max_homes}套。")
        commercial_rule = "可有商业用房" if rule.commercial_allowed else "不得有商业用房"
        if a.commercial and not rule.commercial_allowed:
            ok &= self.check("commercial", "商业用房", f"{a.commercial}处", "核对到的商业用房",
                             commercial_rule, FAIL, f"拥有商业用房{a.commercial}处。")
        else:
            ok &= self.check("commercial", "商业用房", f"{a.commercial}处", "核对到的商业用房",
                             commercial_rule, PASS,
                             "无商业用房。" if not a.commercial
                             else f"商业用房{a.commercial}处（标准允许）。")
        return ok

    def check(self, code: str, label: str, value: str, detail: str, rule: str,
              outcome: str, text: str) -> bool:
        """A check: its reason and its line (name, value, rule, outcome); True unless failed."""
        passed = outcome != FAIL
        self.reasons.append(Reason(code, passed, text, unknown=outcome == TO_CONFIRM))
        self.lines.append(Line(label, detail, value, rule=rule, outcome=outcome,
                               outcome_label=OUTCOME_LABELS[outcome]))
        return passed

    def exclusion_tests(self) -> bool:
        """Vehicles, business registration and state-paid members, each by its dated rule.

        A rule marked unknown never decides: what was found is shown as "to be confirmed"."""
        a = self.i.assets
        exempt = (f"残疾人机动轮椅车、摩托车{a.exempt_vehicles}辆，不计"
                  if a.exempt_vehicles else "")
        facts = (
            ("vehicle", "cars", "机动车", a.cars, "辆",
             f"机动车{a.cars}辆" + (f"（{exempt}）" if exempt else ""),
             "无机动车" + (f"（{exempt}）" if exempt else "")),
            ("business", "business", "市场主体登记", a.businesses, "个",
             f"家庭成员登记有市场主体{a.businesses}个", "无市场主体登记"),
            ("state_paid", "state_paid", "财政供养人员", a.state_paid, "人",
             f"家庭成员中有财政供养人员{a.state_paid}人", "家庭成员中无财政供养人员"),
        )
        ok = True
        for item, code, label, count, unit, found, none in facts:
            rule = self.r.exclusions.get(item)
            if rule is None:
                raise AssessmentError(f"缺少“{label}”排除条件的认定规则。")
            since = (f"{rule.effective_from.year}年{rule.effective_from.month}月"
                     f"{rule.effective_from.day}日起")
            rule_text = f"{rule.verdict_label}（{since}）"
            value = f"{count}{unit}"
            if not count:
                ok &= self.check(code, label, value, none, rule_text, PASS, none + "。")
            elif rule.verdict == EXCLUDES:
                ok &= self.check(code, label, value, found, rule_text, FAIL,
                                 f"{found}，{rule.verdict_label}。")
            elif rule.verdict == ALLOWED:
                ok &= self.check(code, label, value, found, rule_text, PASS,
                                 f"{found}（{rule.verdict_label}）。")
            else:
                ok &= self.check(code, label, value, found, rule_text, TO_CONFIRM,
                                 f"{found}；兰山区是否据此认定不符合条件的规定未查到，"
                                 f"本项未作认定，请审批人依据政策核实。")
        return ok

    def result(self, *, eligible: bool, amount: Decimal, unit: str = "元/月",
               total=None, per_capita=None, covered=None, standard=None) -> Result:
        return Result(
            kind=self.i.kind, eligible=eligible, amount=amount, reasons=self.reasons,
            lines=self.lines,
            household_income=fen(total) if total is not None else None,
            per_capita_income=fen(per_capita) if per_capita is not None else None,
            counted_members=self.m, covered_persons=covered, standard=standard,
            rounding=ROUNDINGS[self.mode][0], amount_unit=unit, standards_used=self.used,
            income_lines=getattr(self, "income_rows", []), members=self._members_lines(),
        )

    # 低保 ----------------------------------------------------------------------------------
    def dibao(self) -> Result:
        total, per_capita = self.household()
        s = Fraction(self.r.dibao.monthly)
        income_ok = self.income_test(per_capita)
        assets_ok = self.asset_tests()
        assets_ok &= self.exclusion_tests()
        covered = self.i.covered_persons or self.m
        if covered < 1 or covered > self.m:
            raise AssessmentError(f"保障人数应在1至{self.m}人之间。")
        eligible = income_ok and assets_ok
        if eligible:
            exact = (s - per_capita) * covered
            self.line("月保障金额（差额）",
                      f"({y(s)} − {y(per_capita)}) × {covered}人 = {y(exact)}", exact)
            amount = round_amount(exact, self.mode)
            self.line("取整后月保障金额", ROUNDINGS[self.mode][0], amount)
        else:
            amount = Decimal("0.00")
            self.line("月保障金额", "不符合条件", amount)
        return self.result(eligible=eligible, amount=amount, total=total,
                           per_capita=per_capita, covered=covered if eligible else None,
                           standard=self.r.dibao.monthly)

    # 特困 ----------------------------------------------------------------------------------
    def tekun(self) -> Result:
        supported = [m for m in self.i.members if m.supported]
        if not supported:
            raise AssessmentError("请指定申请特困供养的人员。")
        if self.r.tekun is None:
            raise AssessmentError("缺少特困人员基本生活标准。")
        for m in supported:
            if not m.counted:
                raise AssessmentError(f"{m.name}已被排除在家庭人口之外，不能作为供养对象。")
        total, per_capita = self.household()
        capacity_ok = True
        for m in supported:
            basis = no_work_capacity_basis(m)
            if basis:
                capacity_ok &= self.reason("capacity", True, f"{m.name}：{basis}，无劳动能力。")
            else:
                capacity_ok &= self.reason(
                    "capacity", False,
                    f"{m.name}：{m.age}周岁，无符合条件的残疾等级，不属于无劳动能力人员。")
        income_ok = self.income_test(per_capita)
        assets_ok = self.asset_tests()
        assets_ok &= self.exclusion_tests()
        if self.i.has_capable_supporter is None:
            supporter_ok = self.reason("supporter", False,
                                       "尚未确认有无具备赡养、抚养、扶养能力的义务人。")
        elif self.i.has_capable_supporter:
            supporter_ok = self.reason("supporter", False,
                                       "有具备赡养、抚养、扶养能力的法定义务人。")
        else:
            supporter_ok = self.reason("supporter", True,
                                       "无法定义务人，或义务人无赡养、抚养、扶养能力。")
        eligible = capacity_ok and income_ok and assets_ok and supporter_ok
        basic = self.r.tekun
        self._use(basic)
        total_amount = Fraction(0)
        for m in supported:
            if not m.care_level:
                raise AssessmentError(f"请评定{m.name}的生活自理能力（全自理、半护理或全护理）。")
            care = self.r.care.get(m.care_level)
            if care is None:
                raise AssessmentError(f"缺少{CareLevel(m.care_level).label}照料护理标准。")
            self._use(care)
            person = Fraction(basic.monthly) + Fraction(care.monthly)
            total_amount += person
            self.line(f"{m.name}月供养金",
                      f"{basic.label}{y(basic.monthly)} + {care.label}{y(care.monthly)}",
                      person)
        if eligible:
            amount = round_amount(total_amount, self.mode)
            self.line("月供养金合计", f"{len(supported)}人，{ROUNDINGS[self.mode][0]}", amount)
        else:
            amount = Decimal("0.00")
            self.line("月供养金", "不符合条件", amount)
        return self.result(eligible=eligible, amount=amount, total=total,
                           per_capita=per_capita,
                           covered=len(supported) if eligible else None,
                           standard=basic.monthly)

    # 临时救助 ------------------------------------------------------------------------------
    def temporary(self, *, emergency: bool) -> Result:
        rule = self.r.temp
        if rule is None:
            raise AssessmentError("缺少临时救助标准。")
        s = self.r.dibao
        persons = self.m if rule.per_person else 1
        base = Fraction(s.monthly) * persons
        per = f" × {persons}人" if rule.per_person else ""
        limit = Fraction(rule.months_max) * base
        self.line("倍数上限", f"{s.label}{y(s.monthly)}{per} × {times(rule.months_max)}倍",
                  limit)
        self.line("单次救助上限", "临时救助标准规定", rule.cap)
        if emergency:
            from cases.models import EmergencyCause

            if not self.i.temp_cause:
                raise AssessmentError("请选择急难事由。")
            cause = EmergencyCause(self.i.temp_cause)
            if cause in rule.fixed:
                proposed = Fraction(rule.fixed[cause])
                self.line("按事由定额", f"“{cause.label}”定额", proposed)
            else:
                proposed = Fraction(rule.months_default) * base
                self.line("按倍数救助",
                          f"{y(s.monthly)}{per} × {times(rule.months_default)}倍", proposed)
            ok = self.reason("cause", True, f"因{cause.label}导致基本生活陷入困境，属急难型救助。")
        else:
            expense = self.i.temp_expense
            if expense is None or expense <= 0:
                ok = self.reason("expense", False, "未填写家庭负担的必需支出，不能计算支出型救助。")
                proposed = Fraction(0)
            else:
                proposed = Fraction(expense)
                self.line("家庭自付必需支出", "扣除医保报销及其他救助后", proposed)
                ok = self.reason("expense", True,
                                 f"家庭负担必需支出{y(expense)}元，超出家庭承受能力。")
        bound = min(limit, Fraction(rule.cap))
        exact = min(proposed, bound)
        if proposed > bound:
            which = "单次救助上限" if Fraction(rule.cap) <= limit else "倍数上限"
            self.reason("cap", True, f"按{which}{y(bound)}元救助（拟救助{y(proposed)}元）。")
        else:
            self.reason("cap", True, f"救助金额{y(proposed)}元，未超过上限{y(bound)}元。")
        if ok:
            amount = round_amount(exact, self.mode)
            if Fraction(amount) > bound:  # never round above a cap
                amount = _to_decimal(bound, ROUNDINGS[self.mode][1], "down").quantize(CENT)
            self.line("救助金额", f"min({y(proposed)}, {y(bound)})，{ROUNDINGS[self.mode][0]}",
                      amount)
        else:
            amount = Decimal("0.00")
        return self.result(eligible=ok, amount=amount, unit="元（一次性）",
                           covered=self.m if ok else None, standard=s.monthly)


# Disability grades that make a person unable to work (民发〔2021〕43号, BRIEF §1.2).
NO_WORK_DISABILITY = {"intellectual": 3, "mental": 3, "physical": 2, "visual": 1}
DISABILITY_LABELS = {"intellectual": "智力残疾", "mental": "精神残疾", "physical": "肢体残疾",
                     "visual": "视力残疾", "multiple": "多重残疾"}
GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def no_work_capacity_basis(m: MemberFact) -> str:
    """Why `m` counts as unable to work for 特困 ('' when they do not)."""
    if m.age >= 60:
        return f"年满60周岁（{m.age}周岁）"
    if m.age < 16:
        return f"未满16周岁（{m.age}周岁）"
    worst = NO_WORK_DISABILITY.get(m.disability_type)
    if m.disability_type == "multiple":
        worst = 2
    if worst and 1 <= m.disability_grade <= worst:
        return f"{DISABILITY_LABELS[m.disability_type]}{GRADES[m.disability_grade]}"
    return ""
