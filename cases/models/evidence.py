"""What a decision rests on: what the applicant declared (the members' monthly incomes),
authorizations (S2), verification (S4/S5), home visits (S4), objections (S5/S10) and
democratic appraisals (S10)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from cases.crypto import EncryptedJSONField

# The most a member may declare as monthly income (元): a typo guard, not a rule of aid.
DECLARED_INCOME_MAX = Decimal("1000000.00")


class DeclaredIncome(models.Model):
    """A member's monthly income as the applicant declared it with this application (申报月收入).

    It belongs to the application and to the member at the time of applying, not to the person:
    a later application declares again. A member without a row has declared nothing (未申报);
    a row of 0.00 declares no income. Written only by `cases.incomes.declared_incomes_record`
    (with its event on the trail); verification checks it against the data sources later.
    """

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE,
                             related_name="declared_incomes")
    person = models.ForeignKey("cases.Person", verbose_name="家庭成员",
                               on_delete=models.PROTECT, related_name="+")
    monthly_amount = models.DecimalField("申报月收入(元)", max_digits=10, decimal_places=2)
    note = models.CharField("收入来源说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "申报月收入"
        verbose_name_plural = "申报月收入"
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"],
                                    name="declared_income_case_person_uniq"),
            models.CheckConstraint(
                condition=models.Q(monthly_amount__gte=0,
                                   monthly_amount__lte=DECLARED_INCOME_MAX),
                name="declared_income_amount_range",
                violation_error_message="申报月收入须在0至1,000,000元之间。"),
        ]

    def __str__(self) -> str:
        return f"{self.person} 申报月收入 {self.monthly_amount}"


class VerificationAuthorization(models.Model):
    """An adult member's signed 家庭经济状况核对授权书 for this case (核对前置, S2)."""

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE,
                             related_name="authorizations")
    person = models.ForeignKey("cases.Person", verbose_name="授权人", on_delete=models.PROTECT)
    signed_on = models.DateField("签署日期")
    scan = models.FileField("授权书扫描件", upload_to="authorizations/%Y/%m/", blank=True)
    scan_sha256 = models.CharField("扫描件SHA-256", max_length=64, blank=True)
    scan_uploaded_at = models.DateTimeField("扫描件上传时间", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                    on_delete=models.PROTECT)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "核对授权书"
        verbose_name_plural = "核对授权书"
        constraints = [models.UniqueConstraint(fields=["case", "person"],
                                               name="authorization_case_person_uniq")]

    def __str__(self) -> str:
        return f"{self.person} 授权"


class VerificationReport(models.Model):
    """A recorded household economic-status verification result (or recheck, S5).

    Reports are versioned per case: each new report (a recheck included) gets the next
    version and points at the one it supersedes. A report compiled from the data sources'
    results keeps them in `snapshot`, with its SHA-256, exactly as they were when compiled.
    """

    class Basis(models.TextChoices):
        MANUAL = "manual", "人工录入核对结论"
        RESULTS = "results", "依据数据源核对结果生成"

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE,
                             related_name="verification_reports")
    is_recheck = models.BooleanField("复查报告", default=False)
    monthly_income = models.DecimalField("家庭月收入(元)", max_digits=12, decimal_places=2)
    assets_note = models.TextField("财产状况", blank=True)
    conclusion = models.TextField("核对结论")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核对人",
                                    on_delete=models.PROTECT)
    recorded_at = models.DateTimeField("录入时间")
    version = models.PositiveSmallIntegerField("版本", default=1)
    previous = models.ForeignKey("self", verbose_name="上一版本", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    basis = models.CharField("生成方式", max_length=8, choices=Basis.choices,
                             default=Basis.MANUAL)
    snapshot = models.JSONField("核对结果明细", default=dict, blank=True)
    snapshot_sha256 = models.CharField("明细SHA-256", max_length=64, blank=True)

    class Meta:
        verbose_name = "家庭经济状况核对报告"
        verbose_name_plural = "家庭经济状况核对报告"
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"{'复查' if self.is_recheck else '核对'}报告 {self.case_id} 第{self.version}版"


class HomeVisit(models.Model):
    """A recorded 入户调查 with at least two investigators (S4).

    What was seen is kept field by field (LS2018's 入户调查登记表): members present, housing,
    durable goods and vehicles, each member's health and labour capacity, income sources, and
    the investigators' conclusion; photos are `HomeVisitPhoto` rows.
    """

    class Housing(models.TextChoices):
        COMMERCIAL = "commercial", "商品房"
        SELF_BUILT = "self_built", "自建房"
        RESETTLEMENT = "resettlement", "安置房"
        RENTED = "rented", "租房"
        WITH_CHILDREN = "with_children", "随子女居住"
        OTHER = "other", "其他"

    class Recommendation(models.TextChoices):
        ELIGIBLE = "eligible", "初步符合救助条件"
        INELIGIBLE = "ineligible", "初步不符合救助条件"
        UNCERTAIN = "uncertain", "需进一步核实"

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE,
                             related_name="home_visits")
    visited_on = models.DateField("调查日期")
    investigators = models.JSONField("调查人员", default=list)
    findings = models.TextField("调查情况")
    members_present = models.JSONField("在场家庭成员", default=list, blank=True)
    housing_type = models.CharField("住房类型", max_length=16, choices=Housing.choices,
                                    blank=True)
    housing_area = models.DecimalField("住房面积(平方米)", max_digits=7, decimal_places=1,
                                       null=True, blank=True)
    housing_condition = models.CharField("住房状况", max_length=200, blank=True)
    durable_goods = models.CharField("家用电器等耐用品", max_length=300, blank=True)
    vehicles = models.CharField("车辆、大型农机具", max_length=300, blank=True)
    # Health data: encrypted at rest (cases/crypto.py).
    member_conditions = EncryptedJSONField("成员健康与劳动能力", default=list, blank=True)
    income_sources = models.TextField("观察到的收入来源", blank=True)
    recommendation = models.CharField("调查意见", max_length=12,
                                      choices=Recommendation.choices, blank=True)
    conclusion = models.TextField("调查结论", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                    on_delete=models.PROTECT)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)
    # Made by the phone for a visit it keeps while offline: a resend after a lost answer
    # carries the same id and is recognised instead of recorded twice.
    client_id = models.UUIDField("本机编号", null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "入户调查"
        verbose_name_plural = "入户调查"
        ordering = ["visited_on"]

    def __str__(self) -> str:
        return f"入户调查 {self.visited_on}"


class Objection(models.Model):
    """An objection: to the verification result (S5) or during publicity (S10)."""

    class Kind(models.TextChoices):
        VERIFICATION = "verification", "对核对结果有异议"
        PUBLICITY = "publicity", "公示期异议"

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", "当面"
        PHONE = "phone", "电话"
        ONLINE = "online", "网上"
        LETTER = "letter", "信件"

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE,
                             related_name="objections")
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    channel = models.CharField("渠道", max_length=12, choices=Channel.choices)
    content = models.TextField("异议内容")
    lodged_at = models.DateTimeField("提出时间")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", null=True,
                                    blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = "异议"
        verbose_name_plural = "异议"
        ordering = ["lodged_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case_id}"


class Appraisal(models.Model):
    """A democratic appraisal (民主评议) held after an objection during publicity (S10)."""

    class Outcome(models.TextChoices):
        SUPPORTED = "supported", "评议通过(同意保障)"
        NOT_SUPPORTED = "not_supported", "评议未通过"

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE,
                             related_name="appraisals")
    held_on = models.DateField("评议日期")
    place = models.CharField("地点", max_length=100)
    chair = models.CharField("主持人", max_length=40)
    participants = models.JSONField("参加人员", default=list)
    votes_for = models.PositiveSmallIntegerField("同意票", default=0)
    votes_against = models.PositiveSmallIntegerField("反对票", default=0)
    votes_abstain = models.PositiveSmallIntegerField("弃权票", default=0)
    outcome = models.CharField("评议结果", max_length=16, choices=Outcome.choices)
    notes = models.TextField("评议情况", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                    on_delete=models.PROTECT)
    recorded_at = models.DateTimeField("录入时间")
    # The signed record (民主评议记录, signed by everyone present), kept with its hash.
    recorder = models.CharField("记录人", max_length=40, blank=True)
    scan = models.FileField("签字记录扫描件", upload_to="cases/appraisals/%Y/%m/", blank=True)
    scan_sha256 = models.CharField("扫描件SHA-256", max_length=64, blank=True)

    class Meta:
        verbose_name = "民主评议记录"
        verbose_name_plural = "民主评议记录"
        ordering = ["held_on"]

    def __str__(self) -> str:
        return f"民主评议 {self.held_on}"
