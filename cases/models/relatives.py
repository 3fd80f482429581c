"""Close relatives of staff (近亲属备案).

Township staff, village cadres and village assistants declare their close relatives. An
application from a household with a declared relative among its members is flagged on every
page, is listed separately for the district bureau, and cannot be handled or signed off by
the staff member who declared that relative (回避). Matching is by resident ID number, so a
relative is found whether or not they are in the system yet — through the keyed hash of the
number (`relative_id_number_hash`), since the number itself is encrypted at rest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cases import crypto, idnumber


class StaffPost(models.TextChoices):
    TOWNSHIP_STAFF = "township_staff", "镇街工作人员"
    VILLAGE_CADRE = "village_cadre", "村(社区)干部"
    ASSISTANT = "assistant", "村(社区)协理员"


class RelativeKind(models.TextChoices):
    SPOUSE = "spouse", "配偶"
    PARENT = "parent", "父母"
    CHILD = "child", "子女"
    SIBLING = "sibling", "兄弟姐妹"
    GRANDPARENT = "grandparent", "祖父母、外祖父母"
    GRANDCHILD = "grandchild", "孙子女、外孙子女"
    IN_LAW = "in_law", "其他近姻亲"


class StaffRelative(models.Model):
    """One declared close relative of one staff member or village cadre."""

    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="备案人账号", null=True, blank=True,
        on_delete=models.PROTECT, related_name="declared_relatives",
        help_text="村(社区)干部没有系统账号时留空，填写姓名即可。")
    staff_name = models.CharField("备案人姓名", max_length=40)
    post = models.CharField("备案人岗位", max_length=16, choices=StaffPost.choices)
    township = models.ForeignKey("cases.Township", verbose_name="所在镇街",
                                 on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("cases.Village", verbose_name="所在村(社区)", null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    relative_name = models.CharField("近亲属姓名", max_length=40)
    relative_id_number = crypto.EncryptedCharField(
        "近亲属公民身份号码", max_length=18, hash_field="relative_id_number_hash",
        validators=[idnumber.validate_id_number])
    relative_id_number_hash = crypto.KeyedHashField(
        "近亲属身份号码检索摘要", source="relative_id_number", db_index=True)
    relationship = models.CharField("关系", max_length=12, choices=RelativeKind.choices)
    declared_on = models.DateField("备案日期")
    ended_on = models.DateField("备案终止日期", null=True, blank=True,
                                help_text="备案人离岗等情形下填写；终止后不再提示、不再回避。")
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "工作人员近亲属备案"
        verbose_name_plural = "工作人员近亲属备案"
        ordering = ["township", "staff_name", "relative_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff_name", "township", "relative_id_number_hash"],
                condition=models.Q(ended_on__isnull=True),
                name="staff_relative_active_uniq",
                violation_error_message="该近亲属已由同一备案人备案。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_name}的{self.get_relationship_display()}{self.relative_name}"

    def save(self, *args, **kwargs) -> None:
        self.relative_id_number = idnumber.normalize(self.relative_id_number)
        super().save(*args, **kwargs)
