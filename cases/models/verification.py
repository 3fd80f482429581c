"""Household economic-status verification (核对, S2, S19, S20): confidentiality agreements,
requests to the data sources, their results, result imports, the verification access log, and
home-visit photos.

Principles (BRIEF §6): authorise first (先授权后核对); no authorisation, no query; the officer
reports facts and the approver decides (只核对不认定); results are never edited; every look-up
is tied to a case, has a purpose and is logged.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from .events import EVENT_LABELS


class VerificationSource(models.TextChoices):
    """The data sources of Shandong's verification system a request can go to (S20)."""

    HUKOU = "hukou", "户籍"
    REAL_ESTATE = "real_estate", "不动产"
    VEHICLE = "vehicle", "车辆"
    BUSINESS = "business", "市场主体登记"
    SOCIAL_INSURANCE = "social_insurance", "社会保险"
    HOUSING_FUND = "housing_fund", "住房公积金"
    TAX = "tax", "税务"
    BANK = "bank", "银行存款"
    WEALTH = "wealth", "理财、证券及商业保险"
    CIVIL = "civil", "婚姻登记及殡葬"
    # A record here means the member is paid from public funds (机关事业单位在编在岗等);
    # the exclusion it feeds is `ExclusionItem.STATE_PAID`.
    STATE_PAID = "state_paid", "财政供养人员"


class AssetKind(models.TextChoices):
    """What an asset record is, for the asset tests (BRIEF §3.2)."""

    FINANCIAL = "financial", "存款及金融资产"
    HOME = "home", "住房"
    COMMERCIAL = "commercial", "商业用房"
    CAR = "car", "机动车"
    EXEMPT_VEHICLE = "exempt_vehicle", "残疾人机动轮椅车、摩托车"
    BUSINESS = "business", "市场主体(个体工商户、企业)"
    OTHER = "other", "其他财产"


class ConfidentialityAgreement(models.Model):
    """A verification officer's signed 保密协议 (S19), valid between two dates.

    Only an officer with an agreement valid today may request or view verification data.
    Revoking (on leaving the post) ends it at once; rows are kept as history.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核对专员",
                             on_delete=models.PROTECT,
                             related_name="confidentiality_agreements")
    signed_on = models.DateField("签订日期")
    valid_from = models.DateField("有效期自")
    valid_to = models.DateField("有效期至", null=True, blank=True,
                                help_text="留空表示长期有效；离岗时请填写“撤销时间”。")
    scan = models.FileField("协议扫描件", upload_to="confidentiality/%Y/")
    scan_sha256 = models.CharField("扫描件SHA-256", max_length=64, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_reason = models.CharField("撤销原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "核对保密协议"
        verbose_name_plural = "核对保密协议"
        ordering = ["user", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="agreement_valid_range",
                violation_error_message="有效期截止日期不能早于起始日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} 保密协议 {self.valid_from:%Y-%m-%d}"

    def is_current_on(self, day: dt.date) -> bool:
        if self.revoked_at is not None or not self.scan:
            return False
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class VerificationRequest(models.Model):
    """One query: one member of one case, to one data source, under that member's
    authorization (or, for a minor, an adult member's)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待反馈"
        ANSWERED = "answered", "已反馈"
        CANCELLED = "cancelled", "已作废"

    number = models.CharField("请求编号", max_length=40, unique=True)
    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT,
                             related_name="verification_requests")
    person = models.ForeignKey("cases.Person", verbose_name="核对对象", on_delete=models.PROTECT,
                               related_name="verification_requests")
    authorization = models.ForeignKey("cases.VerificationAuthorization",
                                      verbose_name="依据的授权书", on_delete=models.PROTECT,
                                      related_name="requests")
    source = models.CharField("核对项目", max_length=20, choices=VerificationSource.choices)
    channel = models.CharField("数据渠道", max_length=20)
    purpose = models.CharField("查询目的", max_length=100)
    status = models.CharField("状态", max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人(核对专员)",
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("发起时间")
    answered_at = models.DateTimeField("反馈时间", null=True, blank=True)

    class Meta:
        verbose_name = "核对请求"
        verbose_name_plural = "核对请求"
        ordering = ["case", "person", "source", "requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "source"],
                                    condition=Q(status="pending"),
                                    name="verification_request_one_pending"),
        ]

    def __str__(self) -> str:
        return self.number


class VerificationImport(models.Model):
    """One result file from the city's verification platform, imported once (by its hash)."""

    file = models.FileField("结果文件", upload_to="verification/imports/%Y/%m/")
    file_name = models.CharField("文件名", max_length=200)
    sha256 = models.CharField("文件SHA-256", max_length=64, unique=True)
    rows = models.PositiveIntegerField("数据行数")
    created = models.PositiveIntegerField("新增记录数")
    skipped = models.PositiveIntegerField("已存在而跳过的记录数")
    case_ids = models.JSONField("涉及案件", default=list)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人",
                                    on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = "核对结果导入"
        verbose_name_plural = "核对结果导入"
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.file_name


class VerificationResult(models.Model):
    """One record a data source returned for a request (or "no record"). Never edited."""

    request = models.ForeignKey(VerificationRequest, verbose_name="核对请求",
                                on_delete=models.PROTECT, related_name="results")
    record_ref = models.CharField("记录编号", max_length=64)
    found = models.BooleanField("有记录")
    category = models.CharField("类别", max_length=60, blank=True)
    income_type = models.CharField("收入类别", max_length=32, blank=True)
    monthly_income = models.DecimalField("月收入(元)", max_digits=12, decimal_places=2,
                                         null=True, blank=True)
    asset_kind = models.CharField("财产类别", max_length=16, choices=AssetKind.choices,
                                  blank=True)
    asset_value = models.DecimalField("金额/价值(元)", max_digits=14, decimal_places=2,
                                      null=True, blank=True)
    quantity = models.PositiveIntegerField("数量", default=0)
    detail = models.CharField("说明", max_length=300, blank=True)
    data_date = models.DateField("数据日期", null=True, blank=True)
    content_sha256 = models.CharField("内容摘要", max_length=64)
    batch = models.ForeignKey(VerificationImport, verbose_name="导入批次", null=True,
                              blank=True, on_delete=models.PROTECT, related_name="results")
    received_at = models.DateTimeField("接收时间")

    class Meta:
        verbose_name = "核对结果"
        verbose_name_plural = "核对结果"
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "record_ref"],
                                    name="verification_result_record_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.request.number} {self.record_ref}"


class VerificationAccess(models.Model):
    """The verification access log (S19): every view, query, import, print and export of
    verification data, allowed or refused — who, when, which case, why, which source, from
    where. Append-only (a PostgreSQL trigger forbids UPDATE and DELETE)."""

    class Action(models.TextChoices):
        VIEW = "view", "查看"
        QUERY = "query", "查询"
        IMPORT = "import", "导入"
        COMPILE = "compile", "生成报告"
        PRINT = "print", "打印"
        EXPORT = "export", "导出"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户",
                             on_delete=models.PROTECT, related_name="verification_accesses")
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    action = models.CharField("操作", max_length=8, choices=Action.choices)
    allowed = models.BooleanField("是否准许", default=True)
    case = models.ForeignKey("cases.Case", verbose_name="案件", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="verification_accesses")
    person = models.ForeignKey("cases.Person", verbose_name="核对对象", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField("目的", max_length=100, blank=True)
    source = models.CharField("核对项目", max_length=200, blank=True)
    detail = models.CharField("说明", max_length=200, blank=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)

    class Meta:
        verbose_name = "核对数据访问日志"
        verbose_name_plural = "核对数据访问日志"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="verif_access_user_at_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.case_id or ''}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("核对数据访问日志只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("核对数据访问日志只能追加，不能删除。")


class HomeVisitPhoto(models.Model):
    """A photo taken during a home visit (S4), re-encoded on upload and kept with its hash."""

    visit = models.ForeignKey("cases.HomeVisit", verbose_name="入户调查", on_delete=models.CASCADE,
                              related_name="photos")
    image = models.FileField("照片", upload_to="home_visits/%Y/%m/")
    sha256 = models.CharField("SHA-256", max_length=64)
    width = models.PositiveIntegerField("宽")
    height = models.PositiveIntegerField("高")
    caption = models.CharField("说明", max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人",
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "入户调查照片"
        verbose_name_plural = "入户调查照片"
        ordering = ["visit", "id"]

    def __str__(self) -> str:
        return f"入户调查照片 {self.pk}"


# Timeline labels of the events the verification services write.
EVENT_LABELS.update({
    "authorization_scan_attached": "上传核对授权书扫描件",
    "verification_requested": "发起核对查询",
    "verification_results_received": "收到核对结果",
    "assessment_recorded": "计算保障金额",
})
