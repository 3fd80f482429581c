"""Forms of the payee-account change (cases.payee). Every error message is in Chinese."""

from __future__ import annotations

from django import forms


class AccountChangeForm(forms.Form):
    bank_name = forms.CharField(label="开户银行", max_length=60)
    bank_account = forms.CharField(label="银行账号", max_length=60,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                 "autocomplete": "off"}))
    bank_payee = forms.CharField(label="账户户名（收款人）", max_length=40, required=False,
                                 help_text="空白表示户主本人。")
    reason = forms.CharField(label="变更原因", max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
    scan = forms.FileField(label="银行卡或存折扫描件", help_text="PDF、JPG或PNG，不超过10MB。",
                           widget=forms.ClearableFileInput(
                               attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = f"请填写{field.label}。"
        self.fields["scan"].error_messages.update(
            required="请上传银行卡或存折的扫描件。", empty="上传的扫描件是空文件。",
            invalid="请上传银行卡或存折的扫描件。")


class RefuseForm(forms.Form):
    reason = forms.CharField(label="退回理由", max_length=500,
                             error_messages={"required": "请填写退回理由。"},
                             widget=forms.Textarea(attrs={"rows": 2}))
