"""Assistance standards and the rules of the means test, each dated and edited in the admin
(BRIEF §3, §4), and the stored assessments computed from them.

No figure is a constant in code: every amount is a row with the date it took effect. A
computation for a date with no row in effect is refused with a message naming what is missing
(`cases.verification.standards.MissingStandard`), never computed with zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models

CENT = Decimal("0.01")


class StandardItem(models.TextChoices):
    DIBAO_URBAN = "dibao_urban", "城市低保标准"
    DIBAO_RURAL = "dibao_rural", "农村低保标准"
    TEKUN_URBAN = "tekun_urban", "城市特困人员基本生活标准"
    TEKUN_RURAL = "tekun_rural", "农村特困人员基本生活标准"
    CARE_FULL = "care_full", "特困人员照料护理标准(全护理)"
    CARE_HALF = "care_half", "特困人员照料护理标准(半护理)"
    CARE_SELF = "care_self", "特困人员照料护理标准(全自理)"


class StandardPeriod(models.TextChoices):
    MONTH = "month", "元/人·月"
    YEAR = "year", "元/人·年"


class Standard(models.Model):
    """One published standard, per person, in effect from a date until the next row of the
    same item. Yearly figures are used per month as one twelfth, to the cent."""

    item = models.CharField("项目", max_length=16, choices=StandardItem.choices)
    amount = models.DecimalField("金额(元)", max_digits=10, decimal_places=2)
    period = models.CharField("计量单位", max_length=8, choices=StandardPeriod.choices,
                              default=StandardPeriod.MONTH)
    effective_from = models.DateField("执行日期")
    scope = models.CharField("适用范围", max_length=60, blank=True)
    source = models.CharField("依据/来源", max_length=300, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "救助保障标准"
        verbose_name_plural = "救助保障标准"
        ordering = ["item", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["item", "effective_from"],
                                    name="standard_item_date_uniq"),
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="standard_amount_positive"),
        ]

    def __str__(self) -> str:
        return (f"{self.get_item_display()} {self.amount}{self.get_period_display()}"
                f"（{self.effective_from:%Y-%m-%d}起）")

    @property
    def monthly(self) -> Decimal:
        """The monthly figure per person (a yearly one divided by 12, to the cent)."""
        if self.period == StandardPeriod.YEAR:
            return (self.amount / 12).quantize(CENT, rounding=ROUND_HALF_UP)
        return self.amount


class TempAssistanceKind(models.TextChoices):
    EMERGENCY = "emergency", "急难型"
    EXPENDITURE = "expenditure", "支出型"


class TempAssistanceRule(models.Model):
    """How much temporary assistance (临时救助) may be granted, in multiples of the monthly
    dibao standard of the household's area, with an absolute cap per grant."""

    kind = models.CharField("类型", max_length=12, choices=TempAssistanceKind.choices)
    effective_from = models.DateField("执行日期")
    months_default = models.DecimalField(
        "一般救助倍数", max_digits=5, decimal_places=2,
        help_text="急难型：未规定定额的事由按当地月低保标准的此倍数救助；支出型不用。")
    months_max = models.DecimalField("最高倍数", max_digits=5, decimal_places=2,
                                     help_text="救助金额不超过当地月低保标准的此倍数。")
    per_person = models.BooleanField("按家庭人数计", default=False,
                                     help_text="勾选：倍数乘以家庭共同生活人数。")
    cap = models.DecimalField("单次救助上限(元)", max_digits=10, decimal_places=2)
    source = models.CharField("依据/来源", max_length=300, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "临时救助标准"
        verbose_name_plural = "临时救助标准"
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"],
                                    name="temp_rule_kind_date_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}临时救助标准（{self.effective_from:%Y-%m-%d}起）"


class EmergencyCause(models.TextChoices):
    FIRE = "fire", "火灾"
    TRAFFIC = "traffic", "交通事故"
    INJURY = "injury", "意外伤害"
    ILLNESS = "illness", "突发重大疾病"
    DISASTER = "disaster", "自然灾害"
    OTHER = "other", "其他突发事件"


class EmergencyAidAmount(models.Model):
    """A fixed 急难型 amount for one cause under a rule (per household, per grant)."""

    rule = models.ForeignKey(TempAssistanceRule, verbose_name="临时救助标准",
                             on_delete=models.CASCADE, related_name="fixed_amounts")
    cause = models.CharField("事由", max_length=12, choices=EmergencyCause.choices)
    amount = models.DecimalField("救助金额(元)", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "急难型救助定额"
        verbose_name_plural = "急难型救助定额"
        constraints = [
            models.UniqueConstraint(fields=["rule", "cause"], name="emergency_amount_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.get_cause_display()} {self.amount}元"


class AssetBase(models.TextChoices):
    URBAN = "urban", "城市低保标准"
    OWN_AREA = "own_area", "申请家庭所在地(城市/农村)低保标准"


class AssetRule(models.Model):
    """The asset tests (BRIEF §3.2), in effect from a date."""

    effective_from = models.DateField("执行日期", unique=True)
    financial_months = models.DecimalField(
        "金融资产限额(月数)", max_digits=5, decimal_places=2,
        help_text="人均存款等金融资产不超过低保标准的此月数。")
    financial_base = models.CharField("金融资产限额依据", max_length=12,
                                      choices=AssetBase.choices, default=AssetBase.URBAN)
    max_homes = models.PositiveSmallIntegerField("住房套数上限", default=1)
    commercial_allowed = models.BooleanField("可有商业用房", default=False)
    source = models.CharField("依据/来源", max_length=300, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "家庭财产认定标准"
        verbose_name_plural = "家庭财产认定标准"
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"家庭财产认定标准（{self.effective_from:%Y-%m-%d}起）"


class ExclusionItem(models.TextChoices):
    """The exclusions the verification data sources can report (BRIEF §3.2, §6)."""

    VEHICLE = "vehicle", "机动车（残疾人机动轮椅车、摩托车除外）"
    BUSINESS = "business", "市场主体登记（个体工商户、企业）"
    STATE_PAID = "state_paid", "家庭成员为财政供养人员"


class ExclusionVerdict(models.TextChoices):
    EXCLUDES = "excludes", "有此情形的，不符合条件"
    ALLOWED = "allowed", "不作为排除条件"
    UNKNOWN = "unknown", "兰山区规定未查到（待区民政局确认）"


EXCLUSION_UNKNOWN_HELP = (
    "山东省、临沂市、兰山区对此项的规定均未查到（资料中仅有外省示例，如深圳低保边缘家庭“除残疾人"
    "机动轮椅车、摩托车外无机动车，无市场主体登记”）。未确认前请选择“规定未查到”：计算时只列出"
    "核对到的情形并标为“待确认”，不据此认定不符合条件，由审批人依据政策判断。"
    "取得区民政局正式口径后，按执行日期新增一行。")


class ExclusionRule(models.Model):
    """Whether one exclusion makes a household ineligible for 低保/特困, in effect from a date
    until the next row of the same item.

    The Lanshan rule for each of these is not known (BRIEF §3.2: "Shandong/Linyi limits: not
    found"); rows with `verdict=unknown` say so, and the calculation then shows what was found
    as "to be confirmed" without deciding on it — never a rule invented in code.
    """

    item = models.CharField("排除情形", max_length=16, choices=ExclusionItem.choices)
    effective_from = models.DateField("执行日期")
    verdict = models.CharField("认定规则", max_length=10, choices=ExclusionVerdict.choices,
                               default=ExclusionVerdict.UNKNOWN,
                               help_text=EXCLUSION_UNKNOWN_HELP)
    source = models.CharField("依据/来源", max_length=300, blank=True,
                              help_text="文件名称和文号；规定未查到时留空。")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "家庭经济状况排除条件"
        verbose_name_plural = "家庭经济状况排除条件"
        ordering = ["item", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["item", "effective_from"],
                                    name="exclusion_rule_item_date_uniq"),
        ]

    def __str__(self) -> str:
        return (f"{self.get_item_display()}：{self.get_verdict_display()}"
                f"（{self.effective_from:%Y-%m-%d}起）")


class IncomeGroup(models.TextChoices):
    WAGE = "wage", "工资性收入"
    BUSINESS = "business", "经营净收入"
    PROPERTY = "property", "财产净收入"
    TRANSFER = "transfer", "转移净收入"
    EXCLUDED = "excluded", "不计入家庭收入的款项"


class IncomeType(models.Model):
    """A kind of income and whether it counts in the household's income (BRIEF §3.1)."""

    code = models.SlugField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=40, unique=True)
    group = models.CharField("归类", max_length=12, choices=IncomeGroup.choices)
    counted = models.BooleanField("计入家庭收入", default=True)
    note = models.CharField("计算口径", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "收入类别"
        verbose_name_plural = "收入类别"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Assessment(models.Model):
    """One computed means test and amount for a case, with its inputs, every reason and line
    of the calculation, and the standards it used — kept as computed (versioned)."""

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT,
                             related_name="assessments")
    version = models.PositiveSmallIntegerField("版本")
    on_date = models.DateField("标准适用日期")
    report = models.ForeignKey("cases.VerificationReport", verbose_name="依据的核对报告",
                               null=True, blank=True, on_delete=models.PROTECT,
                               related_name="assessments")
    inputs = models.JSONField("计算依据")
    result = models.JSONField("计算过程")
    eligible = models.BooleanField("符合条件")
    per_capita_income = models.DecimalField("家庭月人均收入(元)", max_digits=12,
                                            decimal_places=2, null=True, blank=True)
    standard = models.DecimalField("适用标准(元/人·月)", max_digits=10, decimal_places=2,
                                   null=True, blank=True)
    amount = models.DecimalField("保障/救助金额(元)", max_digits=10, decimal_places=2)
    covered_persons = models.PositiveSmallIntegerField("保障人数", null=True, blank=True)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="计算人",
                                    on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "保障金额计算"
        verbose_name_plural = "保障金额计算"
        ordering = ["case", "version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="assessment_version_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.case} 计算第{self.version}版"
