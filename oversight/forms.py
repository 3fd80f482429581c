"""Forms of the spot-check pages; the rules themselves live in `oversight.services`."""

from __future__ import annotations

from django import forms

from cases.models import Township
from oversight.models import Finding
from oversight.sampling import MAX_SEED


class DrawForm(forms.Form):
    township = forms.ModelChoiceField(label="被抽查镇街",
                                      queryset=Township.objects.order_by("code"),
                                      empty_label="请选择")
    decided_from = forms.DateField(label="决定日期自",
                                   widget=forms.DateInput(attrs={"type": "date"}))
    decided_to = forms.DateField(label="决定日期至",
                                 widget=forms.DateInput(attrs={"type": "date"}))
    size = forms.IntegerField(label="抽取件数", required=False, min_value=1,
                              help_text="抽取件数与抽取比例填写其一。")
    percent = forms.DecimalField(label="抽取比例(%)", required=False, min_value=0,
                                 max_value=100, max_digits=5, decimal_places=2)
    seed = forms.IntegerField(label="随机种子", required=False, min_value=1, max_value=MAX_SEED,
                              help_text="留空则由系统随机生成并记录；填写以往抽查的种子可复现同一抽样。")


class FindingForm(forms.Form):
    finding = forms.ChoiceField(label="抽查结果", choices=Finding.choices,
                                widget=forms.RadioSelect)
    text = forms.CharField(label="问题说明", required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(forms.Form):
    text = forms.CharField(label="答复", widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    conclusion = forms.CharField(label="抽查结论", widget=forms.Textarea(attrs={"rows": 3}))
