"""Forms of the verification, home-visit, assessment and relatives pages. Each feeds one
service; the services check everything again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone

from cases.models import (
    EmergencyCause,
    HealthStatus,
    HomeVisit,
    IncomeType,
    LabourCapacity,
    RelativeKind,
    StaffPost,
    VerificationSource,
)
from cases.verification.assessment import CareLevel, Exclusion


def _date():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class QueryForm(forms.Form):
    sources = forms.MultipleChoiceField(
        label="核对项目", choices=VerificationSource.choices,
        widget=forms.CheckboxSelectMultiple, initial=[s.value for s in VerificationSource])
    persons = forms.ModelMultipleChoiceField(
        label="核对对象（不选则为全部在册成员）", queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple)
    purpose = forms.CharField(label="查询目的", max_length=100,
                              initial="低保/特困申请家庭经济状况核对")
    channel = forms.ChoiceField(label="数据渠道", choices=())

    def __init__(self, *args, members, adapters, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["persons"].queryset = members
        self.fields["channel"].choices = [(a.code, a.label) for a in adapters]


class CompileForm(forms.Form):
    conclusion = forms.CharField(
        label="核对结论（只核对、不认定）", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如实概括查询结果；是否符合条件由审核审批机关认定。")


class CancelForm(forms.Form):
    reason = forms.CharField(label="作废原因", max_length=200)


class ImportForm(forms.Form):
    file = forms.FileField(label="结果文件（.xlsx或.csv）")


class AuthorizationScanForm(forms.Form):
    person = forms.ModelChoiceField(label="授权人", queryset=None)
    signed_on = forms.DateField(label="签署日期", widget=_date(), initial=timezone.localdate)
    scan = forms.FileField(label="签字授权书扫描件（PDF/JPG/PNG）",
                           widget=forms.ClearableFileInput(
                               attrs={"accept": "application/pdf,image/jpeg,image/png"}))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].empty_label = "请选择"


class AssessmentForm(forms.Form):
    """What the reviewer adds to the report: set up per case by `for_case`."""

    on = forms.DateField(label="标准适用日期", widget=_date(), initial=timezone.localdate)
    covered_persons = forms.IntegerField(label="保障人数（不填为全部计入人口）", min_value=1,
                                         max_value=30, required=False)
    financial = forms.DecimalField(label="存款等金融资产(元)", min_value=0, max_digits=14,
                                   decimal_places=2, required=False)
    homes = forms.IntegerField(label="住房(套)", min_value=0, required=False)
    commercial = forms.IntegerField(label="商业用房(处)", min_value=0, required=False)
    cars = forms.IntegerField(label="机动车(辆)", min_value=0, required=False)
    exempt_vehicles = forms.IntegerField(label="残疾人机动轮椅车、摩托车(辆)", min_value=0,
                                         required=False)
    businesses = forms.IntegerField(label="市场主体登记(个)", min_value=0, required=False)
    state_paid = forms.IntegerField(label="家庭成员中的财政供养人员(人)", min_value=0,
                                    required=False)
    has_capable_supporter = forms.TypedChoiceField(
        label="有无具备赡养、抚养、扶养能力的法定义务人", required=False,
        choices=[("", "请选择"), ("no", "无（或义务人无能力）"), ("yes", "有")],
        coerce=lambda v: {"yes": True, "no": False}.get(v), empty_value=None)
    temp_cause = forms.ChoiceField(label="急难事由", choices=[("", "请选择"),
                                                          *EmergencyCause.choices],
                                   required=False)
    temp_expense = forms.DecimalField(label="家庭自付的必需支出(元)", min_value=Decimal("0.01"),
                                      max_digits=12, decimal_places=2, required=False)

    EXTRA_ROWS = 3

    def __init__(self, *args, case, members, initial_assets=None, **kwargs):
        from cases.workflow import CaseKind

        super().__init__(*args, **kwargs)
        self.case = case
        self.members = members
        kind = case.kind
        for p in members:
            self.fields[f"excl_{p.pk}"] = forms.ChoiceField(
                label=f"{p.name}：是否计入家庭人口", choices=Exclusion.choices, required=False)
            if kind == CaseKind.TEKUN:
                self.fields[f"care_{p.pk}"] = forms.ChoiceField(
                    label=f"{p.name}：申请特困供养及自理能力",
                    choices=[("", "不申请供养"), *CareLevel.choices], required=False)
        types = IncomeType.objects.all()
        for i in range(self.EXTRA_ROWS):
            self.fields[f"inc{i}_person"] = forms.ModelChoiceField(
                label=f"其他收入{i + 1}：成员", queryset=_people(members), required=False)
            self.fields[f"inc{i}_type"] = forms.ModelChoiceField(
                label="收入类别", queryset=types, required=False)
            self.fields[f"inc{i}_monthly"] = forms.DecimalField(
                label="月收入(元)", min_value=0, max_digits=12, decimal_places=2,
                required=False)
            self.fields[f"inc{i}_source"] = forms.CharField(
                label="来源", max_length=40, required=False, initial="申报/入户调查")
        if kind not in (CaseKind.DIBAO, CaseKind.TEKUN):
            for name in ("financial", "homes", "commercial", "cars", "exempt_vehicles",
                         "businesses", "state_paid", "covered_persons",
                         "has_capable_supporter"):
                del self.fields[name]
        if kind != CaseKind.TEKUN and "has_capable_supporter" in self.fields:
            del self.fields["has_capable_supporter"]
        if kind != CaseKind.TEMP_EMERGENCY:
            del self.fields["temp_cause"]
        if kind != CaseKind.TEMP_EXPENDITURE:
            del self.fields["temp_expense"]
        if kind not in (CaseKind.DIBAO, CaseKind.TEKUN):
            for i in range(self.EXTRA_ROWS):
                for suffix in ("person", "type", "monthly", "source"):
                    del self.fields[f"inc{i}_{suffix}"]
        for name, value in (initial_assets or {}).items():
            if name in self.fields and not self.is_bound:
                self.fields[name].initial = value

    def member_fields(self):
        return [self[n] for n in self.fields if n.startswith(("excl_", "care_"))]

    def income_rows(self):
        return [[self[f"inc{i}_{s}"] for s in ("person", "type", "monthly", "source")]
                for i in range(self.EXTRA_ROWS) if f"inc{i}_person" in self.fields]

    def other_fields(self):
        return [self[n] for n in self.fields
                if not n.startswith(("excl_", "care_", "inc"))]

    def clean(self):
        data = super().clean()
        for i in range(self.EXTRA_ROWS):
            if f"inc{i}_person" not in self.fields:
                continue
            monthly = data.get(f"inc{i}_monthly")
            if monthly is not None and data.get(f"inc{i}_type") is None:
                self.add_error(f"inc{i}_type", "请选择收入类别。")
        return data

    def service_params(self) -> dict:
        from cases.verification.assessment import AssetFacts

        d = self.cleaned_data
        params: dict = {"on": d["on"]}
        params["exclusions"] = {p.pk: d.get(f"excl_{p.pk}") for p in self.members
                                if d.get(f"excl_{p.pk}")}
        params["supported"] = {p.pk: d.get(f"care_{p.pk}") for p in self.members
                               if d.get(f"care_{p.pk}")}
        if "financial" in self.fields:
            params["assets"] = AssetFacts(
                financial=d.get("financial") or Decimal("0"), homes=d.get("homes") or 0,
                commercial=d.get("commercial") or 0, cars=d.get("cars") or 0,
                exempt_vehicles=d.get("exempt_vehicles") or 0,
                businesses=d.get("businesses") or 0, state_paid=d.get("state_paid") or 0)
            params["covered_persons"] = d.get("covered_persons")
        if "has_capable_supporter" in self.fields:
            params["has_capable_supporter"] = d.get("has_capable_supporter")
        if "temp_cause" in self.fields:
            params["temp_cause"] = d.get("temp_cause") or ""
        if "temp_expense" in self.fields:
            params["temp_expense"] = d.get("temp_expense")
        extra = []
        for i in range(self.EXTRA_ROWS):
            if f"inc{i}_person" in self.fields and d.get(f"inc{i}_monthly") is not None:
                extra.append({"person": d.get(f"inc{i}_person"), "type": d[f"inc{i}_type"],
                              "monthly": d[f"inc{i}_monthly"],
                              "source": d.get(f"inc{i}_source") or "申报"})
        params["extra_incomes"] = extra
        return params


def _people(members):
    from cases.models import Person

    return Person.objects.filter(pk__in=[p.pk for p in members])


class RelativeForm(forms.Form):
    staff_name = forms.CharField(label="备案人姓名", max_length=40)
    post = forms.ChoiceField(label="备案人岗位", choices=StaffPost.choices)
    township = forms.ModelChoiceField(label="所在镇街", queryset=None)
    village = forms.ModelChoiceField(label="所在村(社区)（村干部、协理员填写）", queryset=None,
                                     required=False)
    for_myself = forms.BooleanField(label="为本人备案", required=False, initial=True)
    relative_name = forms.CharField(label="近亲属姓名", max_length=40)
    relative_id_number = forms.CharField(label="近亲属公民身份号码", max_length=22)
    relationship = forms.ChoiceField(label="关系", choices=RelativeKind.choices)
    declared_on = forms.DateField(label="备案日期", widget=_date(), initial=timezone.localdate)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, townships, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
        self.fields["village"].queryset = villages


# --- Home visit (phone page) ----------------------------------------------------------------
class PhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoField(forms.FileField):
    """Several photos in one input; cleans to a list (empty when none were chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", PhotoInput(attrs={"accept": "image/*",
                                                      "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class HomeVisitForm(forms.Form):
    visited_on = forms.DateField(label="调查日期", widget=_date(), initial=timezone.localdate)
    investigator_1 = forms.CharField(label="调查人员一", max_length=20)
    investigator_2 = forms.CharField(label="调查人员二", max_length=20)
    investigator_3 = forms.CharField(label="调查人员三（可选）", max_length=20, required=False)
    members_present = forms.ModelMultipleChoiceField(
        label="在场家庭成员", queryset=None, widget=forms.CheckboxSelectMultiple, required=False)
    housing_type = forms.ChoiceField(label="住房类型",
                                     choices=[("", "请选择"), *HomeVisit.Housing.choices])
    housing_area = forms.DecimalField(label="住房面积(平方米)", min_value=0, max_digits=7,
                                      decimal_places=1, required=False,
                                      widget=forms.NumberInput(attrs={"inputmode": "decimal"}))
    housing_condition = forms.CharField(label="住房状况（结构、装修、成新）", max_length=200,
                                        required=False)
    durable_goods = forms.CharField(label="家用电器等耐用品", max_length=300, required=False)
    vehicles = forms.CharField(label="车辆、大型农机具", max_length=300, required=False,
                               help_text="没有请填“无”。")
    income_sources = forms.CharField(label="观察到的收入来源",
                                     widget=forms.Textarea(attrs={"rows": 2}), required=False)
    photos = PhotoField(label="照片（可多张，可直接拍照）", required=False)
    recommendation = forms.ChoiceField(label="调查意见", choices=HomeVisit.Recommendation.choices,
                                       widget=forms.RadioSelect)
    conclusion = forms.CharField(label="调查结论", widget=forms.Textarea(attrs={"rows": 3}))
    # Set by the page and its script: the newest visit of the case when the form was opened,
    # and the id the phone gives a visit it keeps offline (`services.home_visit_record`).
    seen_visit = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        from cases.models import Person

        self.fields["members_present"].queryset = Person.objects.filter(
            pk__in=[p.pk for p in self.members])
        for p in self.members:
            self.fields[f"health_{p.pk}"] = forms.ChoiceField(
                label=f"{p.name}：健康状况", choices=HealthStatus.choices, initial=p.health)
            self.fields[f"labour_{p.pk}"] = forms.ChoiceField(
                label=f"{p.name}：劳动能力", choices=LabourCapacity.choices,
                initial=p.labour_capacity)

    def member_rows(self):
        return [(p, self[f"health_{p.pk}"], self[f"labour_{p.pk}"]) for p in self.members]

    def limit_dates(self, first: dt.date | None, last: dt.date) -> None:
        """Bound the date picker (`services.home_visit_period`); the service still checks."""
        attrs = self.fields["visited_on"].widget.attrs
        attrs["max"] = last.isoformat()
        if first is not None:
            attrs["min"] = first.isoformat()

    def clean(self):
        data = super().clean()
        names = [data.get(f"investigator_{i}", "").strip() for i in (1, 2, 3)]
        names = [n for n in names if n]
        if len(set(names)) < 2:
            raise forms.ValidationError("入户调查须由至少两名不同的调查人员进行。")
        data["investigators"] = names
        return data

    def service_params(self) -> dict:
        d = self.cleaned_data
        return {
            "visited_on": d["visited_on"], "investigators": d["investigators"],
            "members_present": [p.pk for p in d.get("members_present") or []],
            "housing_type": d["housing_type"], "housing_area": d.get("housing_area"),
            "housing_condition": d.get("housing_condition", ""),
            "durable_goods": d.get("durable_goods", ""), "vehicles": d.get("vehicles", ""),
            "member_conditions": [{"person": p.pk, "health": d[f"health_{p.pk}"],
                                   "labour": d[f"labour_{p.pk}"]} for p in self.members],
            "income_sources": d.get("income_sources", ""),
            "recommendation": d["recommendation"], "conclusion": d["conclusion"],
            "photos": d.get("photos") or [],
            "seen_visit": d.get("seen_visit"), "client_id": d.get("client_id"),
        }
