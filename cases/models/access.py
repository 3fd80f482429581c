"""The look-up log: every view of a person's data is written here (who, what, when, from where)."""

from django.conf import settings
from django.db import models


class AccessLog(models.Model):
    """One look-up of personal data. Append-only; read by the district bureau and auditors."""

    class Action(models.TextChoices):
        VIEW = "view", "查看"
        SEARCH = "search", "查询"
        EXPORT = "export", "导出"
        PRINT = "print", "打印"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.PROTECT,
        related_name="access_logs",
    )
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    action = models.CharField("操作", max_length=8, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=40)
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    detail = models.CharField("说明", max_length=200, blank=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)

    class Meta:
        verbose_name = "查询访问日志"
        verbose_name_plural = "查询访问日志"
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="accesslog_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.object_type}#{self.object_id}"
