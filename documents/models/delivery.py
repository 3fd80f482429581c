"""Delivery of notices to the applicant (S16): how, when, by whom, to whom, with what outcome.

A failed delivery is followed by a phone call, recorded as a `PhoneNotification`; the service
refuses a failed delivery without one. Rows are append-only (the signed receipt's scan may be
attached once, later).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cases.crypto import EncryptedCharField


class DeliveryMethod(models.TextChoices):
    IN_PERSON = "in_person", "当面签收"
    POST = "post", "邮寄送达"
    LEFT = "left", "留置送达"
    ENTRUSTED = "entrusted", "委托送达"
    PHONE = "phone", "电话告知"


class DeliveryOutcome(models.TextChoices):
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "未能送达"


class Delivery(models.Model):
    """One attempt to deliver an issued notice."""

    document = models.ForeignKey("documents.IssuedDocument", verbose_name="文书",
                                 on_delete=models.PROTECT, related_name="deliveries")
    method = models.CharField("送达方式", max_length=12, choices=DeliveryMethod.choices)
    attempted_at = models.DateTimeField("送达时间")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="送达人",
                              on_delete=models.PROTECT, related_name="+")
    recipient = models.CharField("受送达人/签收人", max_length=40, blank=True)
    recipient_relation = models.CharField("签收人与受送达人关系", max_length=20, blank=True)
    address = models.CharField("送达地点", max_length=200, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=DeliveryOutcome.choices)
    failure_reason = models.CharField("未能送达原因", max_length=200, blank=True)
    witnesses = models.CharField("见证人", max_length=100, blank=True,
                                 help_text="留置送达须有见证人。")
    tracking_number = models.CharField("邮件单号", max_length=40, blank=True)
    received_on = models.DateField("受送达人收到日期", null=True, blank=True)
    reconsideration_until = models.DateField("申请行政复议最后一日", null=True, blank=True)
    litigation_until = models.DateField("提起行政诉讼最后一日", null=True, blank=True)
    receipt_scan = models.FileField("送达回证扫描件", upload_to="deliveries/%Y/%m/", blank=True)
    note = models.TextField("备注", blank=True)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "文书送达记录"
        verbose_name_plural = "文书送达记录"
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.document_id} {self.get_method_display()} {self.get_outcome_display()}"


class PhoneNotification(models.Model):
    """The phone call that tells the person of a notice that could not be delivered (S16)."""

    document = models.ForeignKey("documents.IssuedDocument", verbose_name="文书",
                                 on_delete=models.PROTECT, related_name="phone_notifications")
    delivery = models.ForeignKey(Delivery, verbose_name="对应送达记录", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="phone_notifications")
    phone_number = EncryptedCharField("拨打号码", max_length=20)  # encrypted at rest
    called_at = models.DateTimeField("通话时间")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="告知人",
                                  on_delete=models.PROTECT, related_name="+")
    spoke_with = models.CharField("接听人", max_length=40)
    content = models.TextField("告知内容")
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "电话告知记录"
        verbose_name_plural = "电话告知记录"
        ordering = ["called_at", "id"]

    def __str__(self) -> str:
        return f"{self.document_id} 电话告知 {self.called_at:%Y-%m-%d}"
