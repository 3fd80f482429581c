"""Forms of the publicity pages. Each feeds one service in `publicity.services`."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from cases.models import Appraisal
from publicity.captcha import PublicCaptchaField
from publicity.disclosure import Medium, cn_date, disclose_entry
from publicity.services import MAX_OBJECTION_CHARS, STAFF_CHANNELS
from publicity.uploads import MAX_PHOTO_BYTES, MAX_SCAN_BYTES

TOO_LONG = "异议内容不能超过%(limit_value)d字（当前%(show_value)d字）。"


class PublicObjectionForm(forms.Form):
    """The public form: which household, what is wrong, optionally who and how to reply."""

    entry = forms.TypedChoiceField(label="对哪一户有异议", coerce=int, empty_value=None)
    content = forms.CharField(
        label="异议内容", max_length=MAX_OBJECTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_OBJECTION_CHARS}),
        help_text=f"请写明具体情况，不超过{MAX_OBJECTION_CHARS}字。",
        error_messages={"required": "请填写异议内容。", "max_length": TOO_LONG},
    )
    submitter_name = forms.CharField(
        label="您的姓名（可不填）", max_length=20, required=False,
        error_messages={"max_length": "姓名不能超过20字。"})
    submitter_contact = forms.CharField(
        label="联系电话（可不填，便于回复核实结果）", max_length=30, required=False,
        error_messages={"max_length": "联系方式不能超过30字。"})
    captcha = PublicCaptchaField(label="验证码：请填写图中的4位数字")

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "请选择")]
        for entry in entries:
            row = disclose_entry(entry, Medium.WEB)
            choices.append((entry.pk, f"{cn_date(entry.batch.posted_on)}公示 第{row['seq']}号 "
                                      f"{row['name']}（{row['kind']}）"))
        self.fields["entry"].choices = choices
        self.fields["entry"].error_messages = {"required": "请选择对哪一户有异议。",
                                               "invalid_choice": "所选公示对象不在公示期内。"}


class PostingConfirmForm(forms.Form):
    posted_at = forms.DateTimeField(
        label="实际张贴时间", initial=lambda: timezone.localtime().replace(second=0, microsecond=0),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                   format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    posted_place = forms.CharField(label="张贴地点", max_length=100, required=False,
                                   help_text="例如：村委会公示栏")
    photo = forms.FileField(
        label="公示栏照片", help_text=f"JPG、PNG或WebP，不超过{MAX_PHOTO_BYTES // 1048576}MB；"
                                   "保存时去除照片中的位置等信息。",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"required": "请上传公示栏张贴照片。"})


class StaffObjectionForm(forms.Form):
    channel = forms.ChoiceField(
        label="提出方式", choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    lodged_at = forms.DateTimeField(
        label="提出时间", initial=lambda: timezone.localtime().replace(second=0, microsecond=0),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                   format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    content = forms.CharField(
        label="异议内容", max_length=MAX_OBJECTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": TOO_LONG})
    submitter_name = forms.CharField(label="反映人（可不填）", max_length=20, required=False)
    submitter_contact = forms.CharField(label="联系方式（可不填）", max_length=30, required=False)


class HandlingForm(forms.Form):
    handling = forms.CharField(label="处理情况", max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))


class AppraisalForm(forms.Form):
    held_on = forms.DateField(label="评议日期", widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label="地点", max_length=100)
    chair = forms.CharField(label="主持人", max_length=40)
    recorder = forms.CharField(label="记录人", max_length=40)
    participants = forms.CharField(
        label="参加人员（每行一人：姓名，身份）", widget=forms.Textarea(attrs={"rows": 6}),
        help_text="例如：王建国，村民代表。不少于3人；与申请人有利害关系的人员应回避。")
    votes_for = forms.IntegerField(label="同意票", min_value=0)
    votes_against = forms.IntegerField(label="反对票", min_value=0)
    votes_abstain = forms.IntegerField(label="弃权票", min_value=0)
    outcome = forms.ChoiceField(label="评议结果", choices=Appraisal.Outcome.choices)
    minutes = forms.CharField(label="评议情况（会议记录）", max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 5}))
    scan = forms.FileField(
        label="签字记录扫描件",
        help_text="全体参加人员签字的民主评议记录，PDF或照片，"
                  f"不超过{MAX_SCAN_BYTES // 1048576}MB。",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
        error_messages={"required": "请上传签字记录扫描件。"})

    def clean_participants(self):
        rows = []
        for line in self.cleaned_data["participants"].splitlines():
            line = line.strip()
            if not line:
                continue
            for sep in ("，", ",", "、", " ", "\t"):
                if sep in line:
                    name, _, capacity = line.partition(sep)
                    break
            else:
                name, capacity = line, ""
            rows.append({"name": name.strip(), "capacity": capacity.strip()})
        if len(rows) < 3:
            raise forms.ValidationError("民主评议参加人员不少于3人，请逐行填写。")
        missing = [r["name"] for r in rows if not r["capacity"]]
        if missing:
            raise forms.ValidationError(
                "请写明以下人员的身份：" + "、".join(missing) + "（格式：姓名，身份）。")
        return rows

