"""The record of changes to a registered person's details (who, when, which fields, old → new)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cases import crypto


class PersonChange(models.Model):
    """One change of a registered person's details. Append-only (a trigger enforces it on
    PostgreSQL, except for re-encryption by `rotate_field_keys`).

    `fields` names the changed fields in clear, so an auditor can find e.g. every change of a
    name without decrypting anything; `changes` holds `{field: [old, new]}` encrypted like the
    person's own row (Fernet, `cases.crypto`), because the old values are what an auditor needs
    to undo a wrong overwrite, and phones, ID numbers and health data must not lie in clear in
    a second table.
    """

    class Source(models.TextChoices):
        HOUSEHOLD = "household", "家庭登记/修改"
        ACCEPTANCE = "acceptance", "窗口受理"
        ADMIN = "admin", "管理后台"
        OTHER = "other", "其他"

    person = models.ForeignKey("cases.Person", verbose_name="人员", on_delete=models.PROTECT,
                               related_name="changes")
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True,
                           blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField("途径", max_length=12, choices=Source.choices)
    household = models.ForeignKey(
        "cases.Household", verbose_name="所在家庭表单", null=True, blank=True,
        on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
    )
    confirmed = models.BooleanField(
        "经经办人确认", default=False,
        help_text="登记信息与填写不一致时，经办人勾选“确认以本次填写为准更新该成员信息”后更新。",
    )
    fields = models.CharField("变更项目", max_length=200)
    changes = crypto.EncryptedJSONField("变更内容（加密）", default=dict)

    class Meta:
        verbose_name = "人员信息变更记录"
        verbose_name_plural = "人员信息变更记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "-at"], name="personchange_person_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.fields}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("人员信息变更记录只能新增，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("人员信息变更记录不能删除。")
