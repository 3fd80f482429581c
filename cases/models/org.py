"""The organisation of Lanshan District: township-level units and villages/communities.

Units keep their statistical code for life. Renames, merges and reassignments change the row
and leave an `OrgChange` behind, so history is never lost and old cases still point at the
unit that decided them.
"""

from django.conf import settings
from django.db import models


class TownshipKind(models.TextChoices):
    SUBDISTRICT = "subdistrict", "街道"
    TOWN = "town", "镇"
    ZONE = "zone", "经开区"


class VillageKind(models.TextChoices):
    COMMUNITY = "community", "社区居民委员会"
    VILLAGE = "village", "村民委员会"


class Township(models.Model):
    """A township-level approving unit (镇/街道/经开区) — the authority of its cases (S1)."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=40)
    kind = models.CharField("类别", max_length=12, choices=TownshipKind.choices)
    # Kept by the district bureau in the admin. The real Lanshan numbers, addresses and hours
    # are not in the project's sources: the demo seeds marked demo values only.
    hotline = models.CharField(
        "救助服务电话", max_length=40, blank=True,
        help_text="印在受理、批准、不予批准、调整(停发)等通知书和村(社区)公示表上；未填写时，"
                  "这些通知书不能出具。",
    )
    address = models.CharField(
        "办公地址", max_length=120, blank=True,
        help_text="社会救助窗口的地址，公示表和公示页面据此告知群众当面提出异议的地点。",
    )
    office_hours = models.CharField(
        "办公时间", max_length=80, blank=True,
        help_text="社会救助窗口的办公时间，如“周一至周五 上午8:30—12:00，下午13:30—17:00”；"
                  "以镇街公布的为准。",
    )
    is_active = models.BooleanField("在用", default=True)
    merged_into = models.ForeignKey(
        "self", verbose_name="并入单位", null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_units",
    )
    valid_from = models.DateField("启用日期", null=True, blank=True)
    valid_to = models.DateField("停用日期", null=True, blank=True)

    class Meta:
        verbose_name = "镇街(经开区)"
        verbose_name_plural = "镇街(经开区)"
        ordering = ["code"]
        permissions = [("work_in_township", "在该镇街办理业务")]

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    """A village or community (村/社区); its township may be reassigned by the district."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类别", max_length=12, choices=VillageKind.choices)
    township = models.ForeignKey(
        Township, verbose_name="所属镇街", on_delete=models.PROTECT, related_name="villages",
    )
    is_active = models.BooleanField("在用", default=True)
    merged_into = models.ForeignKey(
        "self", verbose_name="并入村(社区)", null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_villages",
    )

    class Meta:
        verbose_name = "村(社区)"
        verbose_name_plural = "村(社区)"
        ordering = ["code"]
        permissions = [("work_in_village", "在该村(社区)协理")]

    def __str__(self) -> str:
        return self.name

    @property
    def short_name(self) -> str:
        """The name without the committee suffix, as people say it (前十社区, 大岭村)."""
        for suffix in ("居民委员会", "村民委员会", "委员会"):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name


class OrgChange(models.Model):
    """One rename, merge or reassignment of a unit — the organisation's history."""

    class Action(models.TextChoices):
        CREATE = "create", "设立"
        RENAME = "rename", "更名"
        REASSIGN = "reassign", "调整归属"
        MERGE = "merge", "合并"
        DEACTIVATE = "deactivate", "撤销"

    unit_code = models.CharField("区划代码", max_length=12, db_index=True)
    action = models.CharField("变更", max_length=12, choices=Action.choices)
    old_value = models.CharField("原值", max_length=120, blank=True)
    new_value = models.CharField("新值", max_length=120, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = "区划变更记录"
        verbose_name_plural = "区划变更记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.unit_code} {self.get_action_display()}"


# django-guardian direct foreign-key permission tables: assignments of users to townships and
# villages join on integer keys instead of guardian's generic text object_pk.
from guardian.models import UserObjectPermissionBase  # noqa: E402


class TownshipUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Township, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "镇街授权"
        verbose_name_plural = "镇街授权"


class VillageUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Village, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "村(社区)授权"
        verbose_name_plural = "村(社区)授权"
