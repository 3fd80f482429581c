"""The district bureau's supervision (S1): dashboard aggregates and spot checks (抽查).

The townships decide; the district supervises. `TownshipMonthStat` holds per-township,
per-month counts refreshed by a Celery task, so the dashboard never scans the case history
per request. `SpotCheck` is a reproducible random sample of one township's decisions, with a
finding per case, the township's answer and the bureau's closing; `SpotCheckEvent` records
every step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class TownshipMonthStat(models.Model):
    """What happened in one township in one calendar month (Asia/Shanghai)."""

    township = models.ForeignKey("cases.Township", verbose_name="镇街",
                                 on_delete=models.CASCADE, related_name="+")
    month = models.DateField("月份", help_text="该月1日。")
    applications = models.PositiveIntegerField("申请", default=0)
    approvals = models.PositiveIntegerField("批准", default=0)
    rejections = models.PositiveIntegerField("不予批准", default=0)
    approved_amount = models.DecimalField("批准保障金额合计(元)", max_digits=14,
                                          decimal_places=2, default=0)
    timed_decisions = models.PositiveIntegerField(
        "计入用时的决定", default=0, help_text="低保、特困、支出型临时救助的批准和不予批准。")
    median_workdays = models.DecimalField("申请至决定工作日中位数", max_digits=6,
                                          decimal_places=1, null=True, blank=True)
    over_limit = models.PositiveIntegerField("超过20个工作日", default=0)
    workdays_histogram = models.JSONField(
        "用时分布", default=dict, blank=True,
        help_text="工作日数 → 件数；合并多个月或镇街时据此求精确的中位数。")
    reports_received = models.PositiveIntegerField("收到审核审批表", default=0)
    refreshed_at = models.DateTimeField("统计时间")

    class Meta:
        verbose_name = "镇街月度统计"
        verbose_name_plural = "镇街月度统计"
        ordering = ["month", "township"]
        constraints = [models.UniqueConstraint(fields=["township", "month"],
                                               name="oversight_stat_township_month_uniq")]
        indexes = [models.Index(fields=["month"], name="oversight_stat_month_idx")]

    def __str__(self) -> str:
        return f"{self.township_id} {self.month:%Y-%m}"


class DashboardRefresh(models.Model):
    """One run of the aggregate refresh: when, how long, how many rows."""

    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间")
    months = models.PositiveSmallIntegerField("统计月数")
    rows = models.PositiveIntegerField("写入行数")
    duration_ms = models.PositiveIntegerField("用时(毫秒)")

    class Meta:
        verbose_name = "总览统计刷新"
        verbose_name_plural = "总览统计刷新"
        ordering = ["-finished_at", "-pk"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M}"


class SpotCheck(models.Model):
    """A random sample of one township's decisions, reviewed by the bureau (抽查)."""

    class Status(models.TextChoices):
        OPEN = "open", "抽查中"
        CLOSED = "closed", "已结束"

    township = models.ForeignKey("cases.Township", verbose_name="被抽查镇街",
                                 on_delete=models.PROTECT, related_name="spot_checks")
    decided_from = models.DateField("决定日期自")
    decided_to = models.DateField("决定日期至")
    requested_size = models.PositiveIntegerField("指定抽取件数", null=True, blank=True)
    requested_percent = models.DecimalField("指定抽取比例(%)", max_digits=5, decimal_places=2,
                                            null=True, blank=True)
    seed = models.BigIntegerField("随机种子", help_text="以相同种子和相同总体可复现同一样本。")
    population_size = models.PositiveIntegerField("总体件数")
    population_digest = models.CharField("总体摘要(SHA-256)", max_length=64,
                                         help_text="按主键排序的总体案件主键的摘要。")
    status = models.CharField("状态", max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="抽查人",
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("抽取时间")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="结束人", null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    conclusion = models.TextField("抽查结论", blank=True)

    class Meta:
        verbose_name = "抽查"
        verbose_name_plural = "抽查"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["township", "-created_at"],
                                name="spotcheck_township_idx")]

    def __str__(self) -> str:
        return f"{self.township} {self.decided_from}–{self.decided_to}"

    def get_absolute_url(self) -> str:
        return reverse("spot_check_detail", args=[self.pk])


class Finding(models.TextChoices):
    NORMAL = "normal", "正常"
    PROBLEM = "problem", "有问题"


class SpotCheckItem(models.Model):
    """One sampled case: the bureau's finding and the township's answer."""

    spot_check = models.ForeignKey(SpotCheck, verbose_name="抽查", on_delete=models.CASCADE,
                                   related_name="items")
    position = models.PositiveIntegerField("序号")
    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT,
                             related_name="+")
    finding = models.CharField("抽查结果", max_length=10, choices=Finding.choices, blank=True)
    finding_text = models.TextField("问题说明", blank=True)
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审查人", null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField("审查时间", null=True, blank=True)
    answer = models.TextField("镇街答复", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽查案件"
        verbose_name_plural = "抽查案件"
        ordering = ["spot_check", "position"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "case"],
                                    name="spotcheckitem_check_case_uniq"),
            models.UniqueConstraint(fields=["spot_check", "position"],
                                    name="spotcheckitem_check_position_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check_id}#{self.position}"


class SpotCheckEvent(models.Model):
    """One step of a spot check, written in the step's transaction. Never changed."""

    ACTIONS = {
        "drawn": "抽取样本",
        "finding_recorded": "记录抽查结果",
        "answered": "镇街答复",
        "closed": "结束抽查",
    }

    spot_check = models.ForeignKey(SpotCheck, verbose_name="抽查", on_delete=models.PROTECT,
                                   related_name="events")
    item = models.ForeignKey(SpotCheckItem, verbose_name="抽查案件", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="events")
    action = models.CharField("事项", max_length=24)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人",
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间")
    note = models.TextField("说明", blank=True)
    payload = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        verbose_name = "抽查记录"
        verbose_name_plural = "抽查记录"
        ordering = ["spot_check", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.spot_check_id} {self.action}"

    @property
    def action_label(self) -> str:
        return self.ACTIONS.get(self.action, self.action)
