"""Forms for households and their members. Every error message is in Chinese."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from cases import idnumber
from cases.households import KNOWN_KEEP, KNOWN_UPDATE, KnownPersonMismatch
from cases.models import (
    PAYEE_FIELDS,
    DisabilityGrade,
    DisabilityType,
    Gender,
    HealthStatus,
    Household,
    HukouType,
    LabourCapacity,
    Relationship,
)
from cases.models.people import phone_validator


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ["village", "address", "hukou_type", "bank_name", "bank_account", "bank_payee",
                  "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, villages, bank: bool = True, **kwargs):
        """`bank`: whether the payee account is asked for — only when a window clerk registers
        a new household. An existing household's account changes only through
        `cases.payee` (two people, on record): the edit form has no such fields, so posted
        values are ignored."""
        super().__init__(*args, **kwargs)
        if not bank:
            for name in PAYEE_FIELDS:
                del self.fields[name]
        self.fields["village"].queryset = villages
        self.fields["village"].label_from_instance = (
            lambda v: f"{v.township.name} · {v.short_name}"
        )


class IdNumberField(forms.CharField):
    """An 18-digit resident ID number: normalised (spaces, lower-case x) and fully validated."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 22)
        kwargs.setdefault("label", "公民身份号码")
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return idnumber.normalize(value) if value else value

    def validate(self, value):
        super().validate(value)
        if value:
            idnumber.validate_id_number(value)


CHOOSE = [("", "请选择")]
KNOWN_CHOICES = [
    (KNOWN_UPDATE, "确认以本次填写为准更新该成员信息"),
    (KNOWN_KEEP, "沿用已登记的信息，不更新"),
]


class MemberForm(forms.Form):
    """One household member; birth date and gender come from the ID number and are checked.

    A browser posts every select of the blank extra row. Each select's untouched value must
    equal its initial value, or the formset takes the untouched row for a half-filled member
    and refuses to save: relationship and hukou type start blank (nobody becomes 户主 by
    default), health and labour capacity start at their first choice.
    """

    name = forms.CharField(label="姓名", max_length=40)
    id_number = IdNumberField()
    relationship = forms.ChoiceField(label="与户主关系", choices=CHOOSE + Relationship.choices)
    gender = forms.ChoiceField(
        label="性别", choices=[("", "按身份证")] + list(Gender.choices), required=False,
    )
    birth_date = forms.DateField(label="出生日期", required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    phone = forms.CharField(label="联系电话", max_length=20, required=False,
                            validators=[phone_validator])
    hukou_type = forms.ChoiceField(label="户籍类别", choices=CHOOSE + HukouType.choices)
    disability_grade = forms.TypedChoiceField(
        label="残疾等级", choices=DisabilityGrade.choices, coerce=int, initial=0,
    )
    disability_type = forms.ChoiceField(label="残疾类别", choices=DisabilityType.choices,
                                        required=False)
    health = forms.ChoiceField(label="健康状况", choices=HealthStatus.choices,
                               initial=HealthStatus.HEALTHY)
    labour_capacity = forms.ChoiceField(label="劳动能力", choices=LabourCapacity.choices,
                                        initial=LabourCapacity.FULL)
    occupation = forms.CharField(label="职业/就业情况", max_length=60, required=False)
    # Shown (as radio buttons) only after a save found this ID number registered with other
    # details; `known_ref` binds the choice to the comparison the clerk saw.
    known = forms.ChoiceField(label="已登记人员", choices=KNOWN_CHOICES, required=False,
                              widget=forms.HiddenInput)
    known_ref = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        number = data.get("id_number")
        if not number:
            return data
        born = idnumber.birth_date_of(number)
        gender = idnumber.gender_of(number)
        if data.get("birth_date") and data["birth_date"] != born:
            self.add_error("birth_date", f"出生日期与身份证号码不一致（号码中为"
                                         f"{born.year}年{born.month}月{born.day}日）。")
        if data.get("gender") and data["gender"] != gender:
            self.add_error("gender", f"性别与身份证号码不一致（号码中为{Gender(gender).label}）。")
        grade, kind = data.get("disability_grade"), data.get("disability_type")
        if grade and not kind:
            self.add_error("disability_type", "填写了残疾等级，请同时选择残疾类别。")
        if kind and not grade:
            self.add_error("disability_grade", "选择了残疾类别，请同时填写残疾等级。")
        return data


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        heads, seen = 0, set()
        live = [f.cleaned_data for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not live:
            raise ValidationError("请至少登记一名家庭成员（户主）。")
        for data in live:
            if data["relationship"] == Relationship.HEAD:
                heads += 1
            if data["id_number"] in seen:
                raise ValidationError(
                    f"身份证号码{idnumber.mask(data['id_number'])}在本户重复填写。")
            seen.add(data["id_number"])
        if heads != 1:
            raise ValidationError("每户须有且只有一名户主（与户主关系选“户主”）。")


MemberFormSet = forms.formset_factory(
    MemberForm, formset=BaseMemberFormSet, extra=1, can_delete=True, max_num=30,
    validate_max=True,
)


KNOWN_PEOPLE_HEADER = ("以下成员的身份证号码已登记，登记的信息与本次填写不一致，本次未保存。"
                       "请逐一核对，在该成员下选择“确认以本次填写为准更新该成员信息”或“沿用已登记的信息”，"
                       "再保存。")


def show_known_people(formset, live_forms: list, exc: KnownPersonMismatch) -> None:
    """Put a refused save's registered people back on the bound formset: per member the
    comparison (`form.known_person`, for the template) and the choice to make; the formset's
    non-form errors explain why nothing was saved.

    The formset must be bound to a mutable copy of the POST data (`request.POST.copy()`):
    each row gets the reference of the comparison now shown, and a stale choice is cleared.
    """
    for known in exc.known:
        form = live_forms[known.index]
        form.known_person = known
        form.data[form.add_prefix("known_ref")] = known.ref
        form.data[form.add_prefix("known")] = ""
        form.fields["known"].widget = forms.RadioSelect(choices=KNOWN_CHOICES)
        form.fields["known"].label = "已登记人员的处理"
        form._bound_fields_cache.pop("known", None)  # built before, with the hidden widget
    who = "、".join(f"“{k.typed_name}”（{k.masked_id}）" for k in exc.known)
    formset._non_form_errors = formset.error_class([f"{KNOWN_PEOPLE_HEADER}涉及成员：{who}。"])
