"""People and households (户): the applicants and the members whose means are assessed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, router, transaction
from django.db.models import Q
from django.urls import reverse

from cases import crypto, idnumber

from .org import Township, Village

phone_validator = RegexValidator(
    r"^(1\d{10}|0\d{2,3}-?\d{7,8})$", "请输入11位手机号码或带区号的固定电话。",
)


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class HukouType(models.TextChoices):
    URBAN = "urban", "城镇"
    RURAL = "rural", "农村"


class DisabilityGrade(models.IntegerChoices):
    NONE = 0, "无残疾"
    GRADE_1 = 1, "一级"
    GRADE_2 = 2, "二级"
    GRADE_3 = 3, "三级"
    GRADE_4 = 4, "四级"


class DisabilityType(models.TextChoices):
    NONE = "", "无"
    VISUAL = "visual", "视力残疾"
    HEARING = "hearing", "听力残疾"
    SPEECH = "speech", "言语残疾"
    PHYSICAL = "physical", "肢体残疾"
    INTELLECTUAL = "intellectual", "智力残疾"
    MENTAL = "mental", "精神残疾"
    MULTIPLE = "multiple", "多重残疾"


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", "健康"
    CHRONIC = "chronic", "患慢性病"
    SERIOUS = "serious", "患重特大疾病"
    DISABLED = "disabled", "残疾"


class LabourCapacity(models.TextChoices):
    FULL = "full", "有劳动能力"
    PARTIAL = "partial", "部分丧失劳动能力"
    NONE = "none", "无劳动能力"


class Relationship(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    SON = "son", "子"
    DAUGHTER = "daughter", "女"
    PARENT = "parent", "父母"
    PARENT_IN_LAW = "parent_in_law", "公婆/岳父母"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    SIBLING = "sibling", "兄弟姐妹"
    CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
    OTHER = "other", "其他"


ID_NUMBER_TAKEN = "该身份证号码已登记，不能重复录入。"


class MaskedIdentityMixin:
    """The masked ID and phone numbers shown on pages, for a model with `id_number` and `phone`."""

    @property
    def masked_id(self) -> str:
        return idnumber.mask(self.id_number)

    @property
    def masked_phone(self) -> str:
        return idnumber.mask_phone(self.phone)


class Person(MaskedIdentityMixin, models.Model):
    """A resident, identified by the 18-digit resident ID number (once in the system).

    The ID number, phone number and health and disability details are encrypted at rest
    (`cases.crypto`); the ID number is found and kept unique through `id_number_hash`, and
    `Person.objects.filter(id_number=…)` compiles to a look-up of that hash; its last six
    characters are found through `id_tail_hash` (`cases.search.people_with_id_tail`). Birth
    date and gender, derived from the number, stay in clear for age rules and lists.
    """

    name = models.CharField("姓名", max_length=40)
    id_number = crypto.EncryptedCharField(
        "公民身份号码", max_length=18, hash_field="id_number_hash",
        validators=[idnumber.validate_id_number],
    )
    id_number_hash = crypto.KeyedHashField(
        "身份号码检索摘要", source="id_number", unique=True,
        error_messages={"unique": ID_NUMBER_TAKEN},
    )
    # The last six characters, for the search by the tail staff read off a receipt or hear on
    # the phone: a keyed hash with its own key, shared by many people, never shown.
    id_tail_hash = crypto.KeyedTailHashField(
        "身份号码后六位检索摘要", source="id_number", db_index=True, null=True,
    )
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    phone = crypto.EncryptedCharField("联系电话", max_length=20, blank=True,
                                      validators=[phone_validator])
    hukou_type = models.CharField("户籍类别", max_length=8, choices=HukouType.choices)
    disability_grade = crypto.EncryptedSmallIntegerField(
        "残疾等级", choices=DisabilityGrade.choices, default=DisabilityGrade.NONE,
    )
    disability_type = crypto.EncryptedCharField(
        "残疾类别", max_length=16, choices=DisabilityType.choices, blank=True, default="",
    )
    health = crypto.EncryptedCharField(
        "健康状况", max_length=12, choices=HealthStatus.choices, default=HealthStatus.HEALTHY,
    )
    labour_capacity = models.CharField(
        "劳动能力", max_length=12, choices=LabourCapacity.choices, default=LabourCapacity.FULL,
    )
    occupation = models.CharField("职业/就业情况", max_length=60, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["name"]
        # varchar_pattern_ops: the prefix search (LIKE '王%') uses it under any collation.
        indexes = [models.Index(fields=["name"], name="person_name_idx",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def clean(self) -> None:
        """Normalise the ID number and cross-check birth date and gender against it."""
        super().clean()
        if not self.id_number:
            return
        self.id_number = idnumber.normalize(self.id_number)
        try:
            idnumber.validate_id_number(self.id_number)
        except ValidationError:
            # The field's validator has already reported it (full_clean runs clean_fields
            # first); nothing can be cross-checked against an invalid number.
            return
        born = idnumber.birth_date_of(self.id_number)
        gender = idnumber.gender_of(self.id_number)
        errors = {}
        if self.birth_date and self.birth_date != born:
            errors["birth_date"] = (
                f"出生日期与身份证号码不一致（号码中为{born.year}年{born.month}月{born.day}日）。"
            )
        if self.gender and self.gender != gender:
            errors["gender"] = f"性别与身份证号码不一致（号码中为{Gender(gender).label}）。"
        if errors:
            raise ValidationError(errors)
        self.birth_date = born
        self.gender = gender

    def validate_unique(self, exclude=None) -> None:
        """The ID number is unique through its hash, reported on the ID number itself."""
        exclude = set(exclude or ())
        super().validate_unique(exclude=exclude | {"id_number_hash"})
        if "id_number" in exclude or not self.id_number:
            return
        taken = Person.objects.filter(id_number_hash=crypto.id_hash(self.id_number))
        if taken.exclude(pk=self.pk).exists():
            raise ValidationError({"id_number": ID_NUMBER_TAKEN})

    def save(self, *args, **kwargs) -> None:
        if self.id_number:
            self.id_number = idnumber.normalize(self.id_number)
            if not self.birth_date:
                self.birth_date = idnumber.birth_date_of(self.id_number)
            if not self.gender:
                self.gender = idnumber.gender_of(self.id_number)
        super().save(*args, **kwargs)


class Household(models.Model):
    """A household (户) in a village; its members are current `Membership` rows."""

    village = models.ForeignKey(
        Village, verbose_name="所在村(社区)", on_delete=models.PROTECT, related_name="households",
    )
    # A copy of `village.township`, so that a township's households are read in order from one
    # index (the list, the scope). Set by `save()` from the village row; kept when a village
    # moves to another township by `cases.org.village_reassign`. Not indexed on its own: the
    # (township, -updated_at, -id) index serves every look-up by township.
    township = models.ForeignKey(
        Township, verbose_name="所在镇街", on_delete=models.PROTECT, related_name="households",
        editable=False, db_index=False,
    )
    address = models.CharField("家庭住址", max_length=200)
    hukou_type = models.CharField("户籍性质", max_length=8, choices=HukouType.choices)
    head = models.ForeignKey(
        Person, verbose_name="户主", null=True, blank=True, on_delete=models.PROTECT,
        related_name="headed_households",
    )
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    bank_account = crypto.EncryptedCharField("银行账号", max_length=40, blank=True)
    # Blank: the household head is the account holder. `db_default` keeps bulk loads that
    # name their columns (cases.scale) working.
    bank_payee = models.CharField("账户户名（收款人）", max_length=40, blank=True, default="",
                                  db_default="", help_text="空白表示户主本人。")
    note = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "家庭"
        verbose_name_plural = "家庭"
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The list of a township's households, newest first (cases.views.households).
            models.Index(fields=["township", "-updated_at", "-id"],
                         name="household_township_idx"),
            # The list of an assistant's villages: one ordered read per village, merged.
            models.Index(fields=["village", "-updated_at", "-id"], name="household_village_idx"),
            models.Index(fields=["-updated_at", "-id"], name="household_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.head.name if self.head else '未定户主'}户（{self.village.short_name}）"

    def get_absolute_url(self) -> str:
        return reverse("household_detail", args=[self.pk])

    def save(self, *args, **kwargs):
        """Save, copying the township from the village row whenever the village may change.

        The village row is read locked (FOR NO KEY UPDATE on PostgreSQL) in the save's
        transaction: a `village_reassign` running at the same time either finishes first (this
        save then reads the new township) or waits for this household to be committed and then
        moves it too. A save of other fields only (`update_fields` without `village`) reads
        nothing.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"village", "village_id"} & set(update_fields):
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            self.township_id = (Village.objects.using(using).select_for_update(no_key=True)
                                .values_list("township_id", flat=True).get(pk=self.village_id))
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "township"}
            return super().save(*args, **kwargs)

    def current_members(self):
        return self.memberships.filter(ended_on__isnull=True).select_related("person")


class Membership(models.Model):
    """A person's membership of a household over time; one current household per person."""

    household = models.ForeignKey(
        Household, verbose_name="家庭", on_delete=models.CASCADE, related_name="memberships",
    )
    person = models.ForeignKey(
        Person, verbose_name="成员", on_delete=models.PROTECT, related_name="memberships",
    )
    relationship = models.CharField("与户主关系", max_length=16, choices=Relationship.choices)
    started_on = models.DateField("加入日期", auto_now_add=True)
    ended_on = models.DateField("离开日期", null=True, blank=True)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["household", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(ended_on__isnull=True),
                name="one_current_household_per_person",
                violation_error_message="此人已是另一户的在册成员，一人同一时间只能属于一户。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_relationship_display()}"
