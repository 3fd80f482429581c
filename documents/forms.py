"""Forms for recording deliveries (S16). Every message is in Chinese."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from documents.models import DeliveryMethod, DeliveryOutcome


class DeliveryForm(forms.Form):
    method = forms.ChoiceField(label="送达方式", choices=DeliveryMethod.choices)
    attempted_at = forms.DateTimeField(label="送达时间", initial=timezone.now,
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                  format="%Y-%m-%dT%H:%M"))
    outcome = forms.ChoiceField(label="结果", choices=DeliveryOutcome.choices)
    recipient = forms.CharField(label="签收人", max_length=40, required=False)
    recipient_relation = forms.CharField(label="签收人与受送达人关系", max_length=20,
                                         required=False)
    address = forms.CharField(label="送达地点", max_length=200, required=False)
    witnesses = forms.CharField(label="见证人(留置送达)", max_length=100, required=False)
    tracking_number = forms.CharField(label="邮件单号(邮寄送达)", max_length=40, required=False)
    failure_reason = forms.CharField(label="未能送达原因", max_length=200, required=False)
    receipt_scan = forms.FileField(label="送达回证扫描件", required=False)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # The phone record (required after a failed delivery, or when telling by phone)
    phone_number = forms.CharField(label="拨打号码", max_length=20, required=False)
    called_at = forms.DateTimeField(label="通话时间", required=False,
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                               format="%Y-%m-%dT%H:%M"))
    spoke_with = forms.CharField(label="接听人", max_length=40, required=False)
    content = forms.CharField(label="告知内容", required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def has_phone_record(self) -> bool:
        data = self.cleaned_data
        return any(data.get(k) for k in ("phone_number", "called_at", "spoke_with", "content"))
