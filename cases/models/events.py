"""The case trail (S17): append-only events, each hash-chained to the one before."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CaseEvent(models.Model):
    """One business fact about a case. Never updated or deleted (a trigger enforces it on
    PostgreSQL); `hash` = SHA-256 over `prev_hash` and a canonical serialisation."""

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT,
                             related_name="events")
    seq = models.PositiveIntegerField("序号")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True,
                              blank=True, on_delete=models.PROTECT)
    action = models.CharField("事项", max_length=40)
    from_status = models.CharField("原状态", max_length=24, blank=True)
    to_status = models.CharField("新状态", max_length=24, blank=True)
    note = models.TextField("说明", blank=True)
    payload = models.JSONField("数据", default=dict, blank=True)
    prev_hash = models.CharField("前一事件哈希", max_length=64, blank=True)
    hash = models.CharField("哈希", max_length=64)

    class Meta:
        verbose_name = "案件轨迹"
        verbose_name_plural = "案件轨迹"
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="caseevent_case_seq_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"
