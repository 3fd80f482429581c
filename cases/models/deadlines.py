"""Legal clocks (S4, S5, S6, S11, S12) as rows: several can run on one case at once."""

from __future__ import annotations

from django.db import models


class DeadlineKind(models.TextChoices):
    DECISION = "decision", "审核审批时限(20个工作日)"
    RECHECK = "recheck", "复查时限(10个工作日)"
    PUBLICITY = "publicity", "审批公示(7天)"
    POSTING = "posting", "公示张贴确认"
    EMERGENCY_AID = "emergency_aid", "急难型先行救助(24小时)"
    EMERGENCY_REGISTRATION = "emergency_registration", "急难型登记补办(5个工作日)"
    PERIODIC_REVIEW = "periodic_review", "动态管理复核"
    DELIVERY = "delivery", "文书送达(5个工作日)"


class DeadlineUnit(models.TextChoices):
    WORKDAY = "workday", "工作日"
    DAY = "day", "自然日"
    HOUR = "hour", "小时"


class DeadlineStatus(models.TextChoices):
    OPEN = "open", "计时中"
    PAUSED = "paused", "暂停计时"
    MET = "met", "按时完成"
    MET_LATE = "met_late", "超时完成"
    CANCELLED = "cancelled", "已撤销"


class Deadline(models.Model):
    """One clock on a case. How the due moment was computed is kept in `explanation`."""

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.CASCADE,
                             related_name="deadlines")
    kind = models.CharField("时限类别", max_length=24, choices=DeadlineKind.choices)
    clause = models.CharField("依据条款", max_length=8)
    unit = models.CharField("计时单位", max_length=8, choices=DeadlineUnit.choices)
    amount = models.PositiveIntegerField("时限长度")
    start_at = models.DateTimeField("起算时间")
    due_at = models.DateTimeField("到期时间", db_index=True)
    calendar_confirmed = models.BooleanField(
        "日历已确认", default=True,
        help_text="到期日落入尚未录入放假安排的年份时为否，届时到期日为暂定。",
    )
    explanation = models.JSONField("计算说明", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=DeadlineStatus.choices,
                              default=DeadlineStatus.OPEN)
    paused_at = models.DateTimeField("暂停时间", null=True, blank=True)
    remaining = models.PositiveIntegerField("暂停时剩余", null=True, blank=True)
    settled_at = models.DateTimeField("完成时间", null=True, blank=True)
    at_risk_at = models.DateTimeField("临期标记时间", null=True, blank=True)
    breached_at = models.DateTimeField("超期标记时间", null=True, blank=True)
    escalated_at = models.DateTimeField("升级提醒时间", null=True, blank=True)

    class Meta:
        verbose_name = "办理时限"
        verbose_name_plural = "办理时限"
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="deadline_status_due_idx"),
            # The sweep's conditions: clocks already marked are not read again.
            models.Index(fields=["due_at"], name="deadline_unbreached_idx",
                         condition=models.Q(status="open", breached_at__isnull=True)),
            models.Index(fields=["due_at"], name="deadline_unwarned_idx",
                         condition=models.Q(status="open", at_risk_at__isnull=True,
                                            breached_at__isnull=True)),
            models.Index(fields=["start_at"], name="deadline_escalation_idx",
                         condition=models.Q(kind="emergency_aid", status="open",
                                            escalated_at__isnull=True)),
            models.Index(fields=["due_at"], name="deadline_open_publicity_idx",
                         condition=models.Q(kind="publicity", status="open")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()}"
