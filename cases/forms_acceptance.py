"""Forms of the three-screen acceptance flow (S15 最多跑一次). Every message is in Chinese.

Screen 1 reuses `cases.forms.HouseholdForm` and `MemberFormSet`; this module adds the look-up
of an existing household by the head's ID number and the case form of screen 2 (kind,
stated hardship, materials checklist, each adult's signed verification authorization).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils import timezone

from cases import idnumber
from cases.forms import IdNumberField
from cases.workflow import AUTHORIZATION_KINDS, CaseKind
from documents.materials import MATERIALS

# The kinds a window clerk accepts here; an emergency (急难型) is reported, not accepted (S11).
ACCEPT_KINDS = [
    (CaseKind.DIBAO.value, "城乡低保"),
    (CaseKind.TEKUN.value, "特困人员救助供养"),
    (CaseKind.TEMP_EXPENDITURE.value, "临时救助（支出型）"),
]
# The one material the clerk must have seen at the window: the applicant's ID card.
ID_CARD = "申请人居民身份证"


@dataclass(frozen=True)
class DraftMember:
    """A member as screen 2 shows it: from the database or from the session draft."""

    key: str  # position in the draft, used as the form value
    name: str
    id_number: str
    relationship: str
    adult: bool

    @property
    def masked_id(self) -> str:
        return idnumber.mask(self.id_number)


def is_adult(id_number: str, on=None) -> bool:
    on = on or timezone.localdate()
    born = idnumber.birth_date_of(id_number)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day)) >= 18


def checklist(kinds: list[str] | None = None) -> list[dict]:
    """Materials the applicant hands over or signs, per kind; shared ones are fetched."""
    kinds = list(kinds) if kinds is not None else [k for k, _ in ACCEPT_KINDS]
    rows = []
    for item in MATERIALS:
        if item.shared:
            continue
        applies = [k for k in kinds if item.kinds is None or k in item.kinds]
        if applies:
            rows.append({"name": item.name, "how": item.how, "note": item.note,
                         "kinds": applies})
    return rows


def shared_materials() -> list[str]:
    return [item.name for item in MATERIALS if item.shared]


class HouseholdLookupForm(forms.Form):
    """Find a household of the clerk's townships by its head's ID number."""

    head_id = IdNumberField(label="户主公民身份号码", required=False)


class AcceptanceCaseForm(forms.Form):
    """Screen 2: what is applied for, why, what was handed over, who signed the authorization."""

    kind = forms.ChoiceField(label="救助类别", choices=ACCEPT_KINDS,
                             widget=forms.RadioSelect)
    applicant = forms.ChoiceField(label="申请人")
    hardship = forms.CharField(label="申请理由/困难情况", max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.MultipleChoiceField(label="窗口已收取或核验的材料", required=False,
                                          widget=forms.CheckboxSelectMultiple)
    signed_on = forms.DateField(label="授权书签署日期", initial=timezone.localdate,
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))

    def __init__(self, *args, members: list[DraftMember], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        self.adults = [m for m in members if m.adult]
        self.fields["applicant"].choices = [("", "请选择")] + [
            (m.key, f"{m.name}（{m.masked_id}）") for m in members]
        head = next((m for m in members if m.relationship == "head"), None)
        if head is not None:
            self.fields["applicant"].initial = head.key
        self.fields["materials"].choices = [(r["name"], r["name"]) for r in checklist()]
        for m in self.adults:
            self.fields[f"auth_{m.key}"] = forms.BooleanField(
                label=f"{m.name}（{m.masked_id}）已签署核对授权书", required=False)

    def auth_fields(self):
        return [self[f"auth_{m.key}"] for m in self.adults]

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("签署日期不能晚于今天。")
        return day

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        wanted = {r["name"] for r in checklist([kind])}
        data["materials"] = [m for m in data.get("materials", []) if m in wanted]
        if ID_CARD not in data["materials"]:
            self.add_error("materials", "请当场核验申请人居民身份证原件，并勾选该项。")
        if kind in AUTHORIZATION_KINDS:
            for m in self.adults:
                if not data.get(f"auth_{m.key}"):
                    self.add_error(f"auth_{m.key}",
                                   f"{m.name}尚未签署家庭经济状况核对授权书，不能受理（核对前置）。")
        return data

    def signed_adults(self) -> list[DraftMember]:
        return [m for m in self.adults if self.cleaned_data.get(f"auth_{m.key}")]

    def accept_note(self) -> str:
        names = "、".join(self.cleaned_data["materials"])
        return f"窗口一次受理。已收取/核验：{names}；其余材料经部门共享获取。"
