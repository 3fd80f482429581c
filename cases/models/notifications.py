"""Reminders to staff: the in-app inbox, and the e-mail/SMS outbox that follows it.

A `Notification` is the reminder of record. It is unique per clock, kind of reminder, due moment
and person (a database constraint), so a reminder can never be written twice, whichever worker
or rerun tries. Each outside channel gets one `NotificationDelivery` row written in the
same transaction (an outbox), sent later by the delivery task.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    AT_RISK = "at_risk", "时限临期"
    BREACHED = "breached", "时限超期"
    ESCALATED = "escalated", "急难救助升级提醒"
    PUBLICITY_CLOSED = "publicity_closed", "公示期满"
    PUBLICITY_OBJECTION = "publicity_objection", "公示有异议"


class NotificationLevel(models.TextChoices):
    INFO = "info", "一般"
    WARNING = "warning", "提醒"
    URGENT = "urgent", "紧急"


class Notification(models.Model):
    """One message in one user's inbox."""

    # No single-column indexes on recipient and case: the inbox indexes below start with the
    # recipient, and cases are never deleted (their trail protects them). Every index here
    # is paid for by the catch-up sweep, which may write tens of thousands of rows at once.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人",
                                  on_delete=models.CASCADE, related_name="notifications",
                                  db_index=False)
    case = models.ForeignKey("cases.Case", verbose_name="案件", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="notifications",
                             db_index=False)
    deadline = models.ForeignKey("cases.Deadline", verbose_name="办理时限", null=True,
                                 blank=True, on_delete=models.CASCADE,
                                 related_name="notifications", db_index=False)  # the unique
    # constraint below starts with it
    kind = models.CharField("类别", max_length=24, choices=NotificationKind.choices)
    level = models.CharField("紧急程度", max_length=8, choices=NotificationLevel.choices,
                             default=NotificationLevel.INFO)
    due_at = models.DateTimeField("提醒所述到期时间", null=True, blank=True,
                                  help_text="同一时限、同一类提醒、同一到期时间，每人只提醒一次。")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    created_at = models.DateTimeField("提醒时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内提醒"
        verbose_name_plural = "站内提醒"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["deadline", "kind", "due_at", "recipient"],
                                               name="notification_once_uniq")]
        indexes = [
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True),
                         name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    UNKNOWN = "unknown", "结果未知（不再重发）"


class NotificationDelivery(models.Model):
    """A notification's copy through one outside channel (the outbox).

    Sent at most once: the row is claimed (`sending`) and committed before the message leaves;
    a worker that dies after the claim leaves it `sending`, and it is later marked `unknown`
    rather than sent again. A failure the gateway reports is retried a few times.
    """

    notification = models.ForeignKey(Notification, verbose_name="提醒", on_delete=models.CASCADE,
                                     related_name="deliveries", db_index=False)  # see below
    channel = models.CharField("渠道", max_length=8, choices=DeliveryChannel.choices)
    address = models.CharField("发送地址", max_length=254)
    status = models.CharField("状态", max_length=8, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    claimed_at = models.DateTimeField("开始发送时间", null=True, blank=True)
    sent_at = models.DateTimeField("发送成功时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "提醒发送记录"
        verbose_name_plural = "提醒发送记录"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"],
                                    name="delivery_notification_channel_uniq"),
        ]
        indexes = [models.Index(fields=["status", "id"], name="delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.get_channel_display()} {self.get_status_display()}"


class NotificationProfile(models.Model):
    """How a staff member wants reminders outside the inbox (set on the inbox page)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="用户",
                                on_delete=models.CASCADE, related_name="notification_profile")
    mobile = models.CharField("手机号码", max_length=11, blank=True,
                              help_text="用于接收超期和急难救助等紧急提醒短信。")
    email_enabled = models.BooleanField("接收电子邮件提醒", default=True)
    sms_enabled = models.BooleanField("接收紧急短信提醒", default=True)

    class Meta:
        verbose_name = "提醒设置"
        verbose_name_plural = "提醒设置"

    def __str__(self) -> str:
        return f"{self.user_id}"
