"""Forms for case actions. Each maps to exactly one service in `cases.services`."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone

from cases.models import Appraisal, Objection
from cases.workflow import CaseKind


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DeclaredIncomeField(forms.CharField):
    """A member's declared monthly income in yuan; blank is 未申报 (None). Checked by
    `cases.incomes.clean_amount`, the service's own check, so both say the same."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "月收入（元）")
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "申请人申报的月收入；未申报的留空，没有收入的填0。")
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "inputmode": "decimal", "autocomplete": "off", "placeholder": "未申报的留空"}))
        super().__init__(**kwargs)

    def clean(self, value):
        from cases.errors import CaseActionError
        from cases.incomes import clean_amount

        value = super().clean(value)
        try:
            return clean_amount(value)
        except CaseActionError as exc:
            raise forms.ValidationError(exc.message, code="income") from exc


def income_field_name(person) -> str:
    return f"income_{person.pk}"


class DeclaredIncomesMixin:
    """One `DeclaredIncomeField` per member (`income_<person pk>`), labelled with the name;
    `declared_incomes()` gives {person: amount or None} for `services.case_create`."""

    def add_income_fields(self, people) -> None:
        self.income_people = list(people)
        for person in self.income_people:
            self.fields[income_field_name(person)] = DeclaredIncomeField(
                label=f"{person.name}的月收入（元）", help_text="")

    def income_fields(self):
        return [self[income_field_name(p)] for p in self.income_people]

    def declared_incomes(self) -> dict:
        return {p: self.cleaned_data.get(income_field_name(p)) for p in self.income_people}


class DeclaredIncomesForm(DeclaredIncomesMixin, forms.Form):
    """The members' declared monthly incomes alone (an existing household at the window)."""

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_income_fields(people)


class CaseCreateForm(DeclaredIncomesMixin, forms.Form):
    kind = forms.ChoiceField(label="救助类别", choices=CaseKind.choices)
    applicant = forms.ModelChoiceField(label="申请人", queryset=None)
    hardship = forms.CharField(label="申请理由/困难情况", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        from cases.models import Person

        self.fields["applicant"].queryset = Person.objects.filter(
            memberships__household=household, memberships__ended_on__isnull=True)
        self.fields["applicant"].empty_label = "请选择"
        self.add_income_fields(m.person for m in household.current_members().order_by("id"))


class NoteForm(forms.Form):
    note = forms.CharField(label="说明", required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(forms.Form):
    note = forms.CharField(label="撤回方式和理由", widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由（将写入告知书）", widget=forms.Textarea(attrs={"rows": 3}))


OVERRIDE_HELP = ("留空则按保障金额计算结果；填写的金额或人数与计算结果不一致，"
                 "或计算结果为不符合条件而拟同意的，须写明理由，案件将被标注且不能批量审批。")


class ProposeApprovalForm(forms.Form):
    """The amount and persons come from the calculation; typing them is an override."""

    opinion = forms.CharField(label="审核意见", widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(label="改定拟保障金额(元/月)", required=False,
                                min_value=Decimal("0.01"), max_digits=10, decimal_places=2,
                                help_text=OVERRIDE_HELP)
    covered_persons = forms.IntegerField(label="改定保障人数", required=False, min_value=1,
                                         max_value=30)
    override_reason = forms.CharField(label="与计算结果不一致的理由", required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))


class AdjustForm(forms.Form):
    reason = forms.CharField(label="调整理由", widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(label="改定调整后金额(元/月)", required=False,
                                min_value=Decimal("0.01"), max_digits=10, decimal_places=2,
                                help_text=OVERRIDE_HELP)
    override_reason = forms.CharField(label="与计算结果不一致的理由", required=False,
                                      widget=forms.Textarea(attrs={"rows": 2}))


def _aid_cause_field():
    from cases.models import EmergencyCause

    return forms.ChoiceField(label="事由类别", choices=[("", "请选择"), *EmergencyCause.choices])


def _aid_method_field():
    from cases.models import AidMethod

    return forms.ChoiceField(label="救助方式", choices=AidMethod.choices,
                             widget=forms.RadioSelect)


class GiveAidForm(forms.Form):
    """先行救助 (S11): what the 临时救助登记审批表 needs is entered now, while it is known."""

    amount = forms.DecimalField(label="先行救助金额(元)", min_value=Decimal("0.01"),
                                max_digits=10, decimal_places=2)
    cause = _aid_cause_field()
    method = _aid_method_field()
    reason = forms.CharField(label="救助事由", widget=forms.Textarea(attrs={"rows": 2}))
    handling_opinion = forms.CharField(label="经办意见", max_length=500,
                                       widget=forms.Textarea(attrs={"rows": 2}))


class RegisterEmergencyForm(forms.Form):
    """登记并补齐手续 (S11): the registration table's entries, those of the aid filled in."""

    amount = forms.DecimalField(label="救助金额(元)", min_value=Decimal("0.01"),
                                max_digits=10, decimal_places=2)
    cause = _aid_cause_field()
    method = _aid_method_field()
    reason = forms.CharField(label="救助事由", widget=forms.Textarea(attrs={"rows": 2}))
    handling_opinion = forms.CharField(label="经办意见", max_length=500,
                                       widget=forms.Textarea(attrs={"rows": 2}))
    leader_opinion = forms.CharField(label="审批意见（分管领导）", max_length=500,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    paperwork_complete = forms.BooleanField(label="经办人签字、盖章手续已补齐", required=True)

    @staticmethod
    def initial_for(case) -> dict:
        return {"amount": case.aid_amount, "cause": case.aid_cause, "method": case.aid_method,
                "reason": case.aid_reason, "handling_opinion": case.handling_opinion}


class RecheckForm(forms.Form):
    content = forms.CharField(label="申请人对核对结果的异议",
                              widget=forms.Textarea(attrs={"rows": 3}))
    channel = forms.ChoiceField(label="提出方式", choices=Objection.Channel.choices)


class ObjectionForm(forms.Form):
    content = forms.CharField(label="异议内容", widget=forms.Textarea(attrs={"rows": 3}))
    channel = forms.ChoiceField(label="提出方式", choices=Objection.Channel.choices)


class AppraisalForm(forms.Form):
    """The democratic appraisal as the case page and the API take it; every rule (roles, votes
    and outcome, date, signed scan) is `services.case_record_appraisal`'s."""

    held_on = forms.DateField(label="评议日期", widget=_date_widget())
    place = forms.CharField(label="地点", max_length=100)
    chair = forms.CharField(label="主持人", max_length=40)
    recorder = forms.CharField(label="记录人", max_length=40)
    participants = forms.CharField(
        label="参加人员（每行一人：姓名，身份）", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="例如：王建国，村民代表。身份须为：" + "、".join(settings.APPRAISAL_ROLES))
    votes_for = forms.IntegerField(label="同意票", min_value=0, max_value=1000)
    votes_against = forms.IntegerField(label="反对票", min_value=0, max_value=1000)
    votes_abstain = forms.IntegerField(label="弃权票", min_value=0, max_value=1000)
    outcome = forms.ChoiceField(label="评议结果", choices=Appraisal.Outcome.choices,
                                help_text=f"须与表决一致：同意票超过参加人数的"
                                f"{settings.APPRAISAL_PASS_SHARE}为通过。")
    notes = forms.CharField(label="评议情况", required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    scan = forms.FileField(label="签字记录扫描件", required=False,
                           help_text="全体参加人员签字的民主评议记录，PDF、JPG或PNG。")

    def clean_participants(self):
        rows = []
        for line in self.cleaned_data["participants"].splitlines():
            line = line.strip()
            if not line:
                continue
            name, _, capacity = line.replace(",", "，").partition("，")
            rows.append({"name": name.strip(), "capacity": capacity.strip()})
        return rows


class AuthorizationForm(forms.Form):
    person = forms.ModelChoiceField(label="授权人", queryset=None)
    signed_on = forms.DateField(label="签署日期", widget=_date_widget(),
                                initial=timezone.localdate)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        from cases.models import Person

        self.fields["person"].queryset = Person.objects.filter(pk__in=[p.pk for p in people])


class VerificationForm(forms.Form):
    monthly_income = forms.DecimalField(label="家庭月收入(元)", min_value=Decimal("0"),
                                        max_digits=12, decimal_places=2)
    assets_note = forms.CharField(label="财产状况", required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    conclusion = forms.CharField(label="核对结论", widget=forms.Textarea(attrs={"rows": 2}))


class HomeVisitForm(forms.Form):
    visited_on = forms.DateField(label="调查日期", widget=_date_widget(),
                                 initial=timezone.localdate)
    investigators = forms.CharField(label="调查人员（每行一人，至少两人）",
                                    widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.CharField(label="调查情况", widget=forms.Textarea(attrs={"rows": 3}))

    def clean_investigators(self):
        names = [n.strip() for n in self.cleaned_data["investigators"].replace("，", "\n")
                 .replace(",", "\n").splitlines() if n.strip()]
        if len(set(names)) < 2:
            raise forms.ValidationError("入户调查须由至少两名调查人员进行。")
        return names
