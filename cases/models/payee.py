"""The record of changes to a household's payee account (bank, account number, payee)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases import crypto

from .people import Household

# The household fields an account change sets, in the order the pages show them.
PAYEE_FIELDS = ("bank_name", "bank_account", "bank_payee")
# The only fields written after a change is requested: its decision, once.
DECISION_FIELDS = frozenset({"status", "decided_by", "decided_at", "refusal_reason"})


class AccountChange(models.Model):
    """One requested change of a household's payee account. Append-only.

    A clerk or leader of the household's township asks for it, with a reason and a scan of
    the bank card or passbook; a leader of the township other than the requester confirms it
    (the household's account is changed then, in the same transaction) or refuses it with a
    reason. Until then the roster pays the confirmed account. The row is never deleted and,
    once written, only its decision is ever recorded (`cases.payee`). `values` holds the old
    and the new values (`{"old": {...}, "new": {...}}`), encrypted like the household's own
    account (Fernet, `cases.crypto`); `fields` names the changed fields in clear.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        CONFIRMED = "confirmed", "已确认"
        REFUSED = "refused", "已退回"

    household = models.ForeignKey(Household, verbose_name="家庭", on_delete=models.PROTECT,
                                  related_name="account_changes")
    status = models.CharField("状态", max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    fields = models.CharField("变更项目", max_length=100)
    values = crypto.EncryptedJSONField("变更前后（加密）", default=dict)
    reason = models.TextField("变更原因")
    scan = models.FileField("银行卡或存折扫描件", upload_to="bank_cards/%Y/%m/")
    scan_sha256 = models.CharField("扫描件SHA-256", max_length=64)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人",
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认/退回人",
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField("确认/退回时间", null=True, blank=True)
    refusal_reason = models.TextField("退回理由", blank=True)

    class Meta:
        verbose_name = "收款账户变更记录"
        verbose_name_plural = "收款账户变更记录"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(status="pending"),
                name="one_pending_account_change",
                violation_error_message="该家庭已有一项待确认的收款账户变更。",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "-requested_at"], name="accountchange_hh_idx"),
            # The roster's "changed this month" look-up and the leaders' pending list.
            models.Index(fields=["status", "decided_at"], name="accountchange_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.get_status_display()}"

    @property
    def old(self) -> dict:
        return (self.values or {}).get("old", {})

    @property
    def new(self) -> dict:
        return (self.values or {}).get("new", {})

    def save(self, *args, **kwargs) -> None:
        """Insert, or record the decision of a pending change once; nothing else."""
        if self.pk is not None and not kwargs.get("force_insert"):
            update = set(kwargs.get("update_fields") or ())
            if not update or not update <= DECISION_FIELDS:
                raise ValueError("收款账户变更记录只能新增，不能修改。")
            stored = (type(self).objects.filter(pk=self.pk)
                      .values_list("status", flat=True).first())
            if stored != self.Status.PENDING:
                raise ValueError("该收款账户变更已处理，不能再修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("收款账户变更记录不能删除。")
