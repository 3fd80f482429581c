"""Account security state and the sign-in audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """An audit record was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk `update()` and `delete()` are refused: audit rows are written once and kept."""

    def update(self, **kwargs):
        raise AppendOnlyError("审计记录不可修改。")

    def delete(self):
        raise AppendOnlyError("审计记录不可删除。")


class Profile(models.Model):
    """Security state of one account. Users without a row are in the default state."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE,
        related_name="security_profile",
    )
    must_change_password = models.BooleanField(
        "须修改初始密码", default=False,
        help_text="管理员创建账户或重置密码后置为是；用户修改密码后清除。",
    )
    password_changed_at = models.DateTimeField("最近修改密码时间", null=True, blank=True)

    class Meta:
        verbose_name = "账户安全状态"
        verbose_name_plural = "账户安全状态"

    def __str__(self) -> str:
        return str(self.user)


class SecurityEvent(models.Model):
    """One sign-in security event: login, logout, failure, lockout, password or 2FA change.

    Append-only: the model and its queryset refuse changes and deletions, and on PostgreSQL a
    trigger refuses UPDATE and DELETE (migration 0001). Kept without an expiry: the app offers
    no way to remove rows (retention ≥ 6 months, docs/security.md).
    """

    class Kind(models.TextChoices):
        LOGIN = "login", "登录成功"
        LOGIN_FAILED = "login_failed", "登录失败"
        OTP_FAILED = "otp_failed", "动态口令错误"
        LOCKED_OUT = "locked_out", "账户锁定"
        LOGOUT = "logout", "退出登录"
        SESSION_REJECTED = "session_rejected", "会话被拒绝"
        PASSWORD_CHANGED = "password_changed", "本人修改密码"
        PASSWORD_SET = "password_set", "管理员设置密码"
        ACCOUNT_CREATED = "account_created", "创建账户"
        OTP_ENROLLED = "otp_enrolled", "启用动态口令"
        OTP_REMOVED = "otp_removed", "停用动态口令"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    kind = models.CharField("事件", max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="账户", on_delete=models.PROTECT,
        null=True, blank=True, related_name="security_events",
    )
    username = models.CharField("输入的用户名", max_length=150, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        help_text="由他人执行时（如管理员重置密码）记录操作人。",
    )
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=200, blank=True)
    detail = models.CharField("说明", max_length=200, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "登录与安全日志"
        verbose_name_plural = "登录与安全日志"
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["user", "-at"], name="securityevent_user_idx"),
            models.Index(fields=["kind", "-at"], name="securityevent_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("审计记录不可修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计记录不可删除。")
