"""Forms of the three-screen acceptance flow (S15 最多跑一次). Every message is in Chinese.

Screen 1 reuses `cases.forms.HouseholdForm` and `MemberFormSet`; this module adds the look-up
of an existing household by the head's ID number, the application form of screen 2 (kind,
stated hardship, materials checklist, a delegate) and the signed-pages form of screen 3 (each
adult's signed verification authorization, uploaded and matched to its person).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils import timezone

from cases import idnumber
from cases.forms import BaseMemberFormSet, IdNumberField, MemberForm
from cases.forms_case import DeclaredIncomeField, DeclaredIncomesForm
from cases.models.people import phone_validator
from cases.workflow import CaseKind
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


class AcceptanceMemberForm(MemberForm):
    """A member of a new household on screen 1, with the monthly income the applicant declares
    (blank: 未申报). The income stays in the draft and is saved with the case."""

    declared_income = DeclaredIncomeField()


AcceptanceMemberFormSet = forms.formset_factory(
    AcceptanceMemberForm, formset=BaseMemberFormSet, extra=1, can_delete=True, max_num=30,
    validate_max=True,
)


def draft_incomes(pairs) -> dict[str, str | None]:
    """What the session draft keeps of the declared incomes: {ID number: "1234.50" or None}
    for (ID number, amount or None) pairs (JSON data)."""
    return {number: None if amount is None else str(amount) for number, amount in pairs}


def household_incomes_form(data, household) -> DeclaredIncomesForm:
    """Screen 1's declared incomes of an existing household's current members."""
    return DeclaredIncomesForm(data, people=[m.person for m in household.current_members()
                                             .order_by("id")])


class HouseholdLookupForm(forms.Form):
    """Find a household of the clerk's townships by its head's ID number."""

    head_id = IdNumberField(label="户主公民身份号码", required=False)


class AcceptanceCaseForm(forms.Form):
    """Screen 2: what is applied for, why, what was handed over, and who acts for the applicant
    (a delegate: the bundle then carries a 委托授权书)."""

    kind = forms.ChoiceField(label="救助类别", choices=ACCEPT_KINDS,
                             widget=forms.RadioSelect)
    applicant = forms.ChoiceField(label="申请人")
    hardship = forms.CharField(label="申请理由/困难情况", max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.MultipleChoiceField(label="窗口已收取或核验的材料", required=False,
                                          widget=forms.CheckboxSelectMultiple)
    agent_name = forms.CharField(label="受托人姓名", max_length=40, required=False)
    agent_id_number = IdNumberField(label="受托人公民身份号码", required=False)
    agent_relation = forms.CharField(label="与委托人关系", max_length=20, required=False)
    agent_phone = forms.CharField(label="受托人联系电话", max_length=20, required=False,
                                  validators=[phone_validator])

    AGENT_FIELDS = ("agent_name", "agent_id_number", "agent_relation", "agent_phone")

    def __init__(self, *args, members: list[DraftMember], **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        self.fields["applicant"].choices = [("", "请选择")] + [
            (m.key, f"{m.name}（{m.masked_id}）") for m in members]
        head = next((m for m in members if m.relationship == "head"), None)
        if head is not None:
            self.fields["applicant"].initial = head.key
        self.fields["materials"].choices = [(r["name"], r["name"]) for r in checklist()]

    def agent_fields(self):
        return [self[name] for name in self.AGENT_FIELDS]

    def clean(self):
        data = super().clean()
        if any(data.get(name) for name in self.AGENT_FIELDS):
            for name, what in (("agent_name", "姓名"), ("agent_id_number", "公民身份号码"),
                               ("agent_relation", "与委托人关系")):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, f"委托他人代办时，请填写受托人的{what}。")
        kind = data.get("kind")
        if not kind:
            return data
        wanted = {r["name"] for r in checklist([kind])}
        data["materials"] = [m for m in data.get("materials", []) if m in wanted]
        if ID_CARD not in data["materials"]:
            self.add_error("materials", "请当场核验申请人居民身份证原件，并勾选该项。")
        return data

    def application(self) -> dict:
        """What the session draft keeps of this screen (JSON data)."""
        d = self.cleaned_data
        agent = {name.removeprefix("agent_"): d.get(name) or "" for name in self.AGENT_FIELDS}
        return {"kind": d["kind"], "applicant": d["applicant"], "hardship": d["hardship"],
                "materials": d["materials"], "agent": agent if agent["name"] else None}


def application_initial(application: dict | None) -> dict:
    """Screen 2's form refilled from the draft (going back from screen 3)."""
    if not application:
        return {}
    agent = application.get("agent") or {}
    return {"kind": application["kind"], "applicant": application["applicant"],
            "hardship": application["hardship"], "materials": application["materials"],
            **{f"agent_{k}": v for k, v in agent.items()}}


def accept_note(application: dict) -> str:
    names = "、".join(application["materials"])
    note = f"窗口一次受理。已收取/核验：{names}；其余材料经部门共享获取。"
    if application.get("agent"):
        note += f"受托人：{application['agent']['name']}（已签署委托授权书）。"
    return note


# The signed forms of the bundle kept at acceptance besides the authorizations: the file input
# of screen 3, the attachment kind they are stored as, and what a message calls a page of it.
SIGNED_PAGES = (
    ("application_pages", "signed_application", "申请书"),
    ("declaration_pages", "signed_declaration", "诚信声明"),
)
MAX_SIGNED_PAGES = 20  # files per signed form


class AcceptanceSignForm(forms.Form):
    """Screen 3: the signed pages, uploaded together; each adult's authorization is matched to
    its person by the select beside each file. Every file goes through the scan validation of
    the authorization upload (`cases.verification.files.read_scan`).

    The signed 申请书 and 诚信声明 may be attached too, several pages (files) each, from a
    phone's camera or from files; they are optional here (the clerk may add them later on the
    household's attachments page). Each page passes the attachments' upload check
    (`documents.attachments.check_upload`) before anything is saved; `signed_pages` then holds
    (attachment kind, upload, page number) for `_accept`.
    """

    signed_on = forms.DateField(label="授权书签署日期", initial=timezone.localdate,
                                widget=forms.DateInput(attrs={"type": "date"},
                                                       format="%Y-%m-%d"))

    def __init__(self, *args, adults: list[DraftMember], needs_authorization: bool,
                 files=None, targets=None, pages=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.adults = adults
        self.needs_authorization = needs_authorization
        self.uploads = list(files or [])
        self.targets = list(targets or [])
        self.pages = {name: list((pages or {}).get(name) or []) for name, _, _ in SIGNED_PAGES}

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("签署日期不能晚于今天。")
        return day

    def clean(self):
        from cases.errors import CaseActionError
        from cases.verification.files import read_scan

        data = super().clean()
        data["signed_pages"] = self._signed_pages()
        if not self.needs_authorization:
            data["scans"] = {}
            return data
        if len(self.targets) != len(self.uploads):
            raise forms.ValidationError("上传的文件与所选成员不对应，请重新选择文件。")
        by_key = {m.key: m for m in self.adults}
        scans: dict[str, object] = {}
        for index, (upload, target) in enumerate(zip(self.uploads, self.targets, strict=True),
                                                 start=1):
            member = by_key.get(target)
            if member is None:
                raise forms.ValidationError(
                    f"请为第{index}个文件（{upload.name}）选择是谁的授权书。")
            if target in scans:
                raise forms.ValidationError(
                    f"{member.name}的授权书对应了多个文件，请只选择一个（多页请扫描为一个PDF）。")
            try:
                read_scan(upload, f"第{index}个文件（{upload.name}）")
            except CaseActionError as exc:
                raise forms.ValidationError(exc.message) from exc
            scans[target] = upload
        missing = [m.name for m in self.adults if m.key not in scans]
        if missing:
            raise forms.ValidationError(
                f"{'、'.join(missing)}尚未上传签字的家庭经济状况核对授权书，不能受理（核对前置）。")
        data["scans"] = scans
        return data

    def _signed_pages(self) -> list[tuple[str, object, int]]:
        """The signed 申请书 and 诚信声明 pages, each checked; refused with a Chinese message."""
        from cases.errors import CaseActionError
        from documents.attachments import check_upload

        pages = []
        for name, kind, what in SIGNED_PAGES:
            uploads = self.pages[name]
            if len(uploads) > MAX_SIGNED_PAGES:
                raise forms.ValidationError(
                    f"签字的{what}最多上传{MAX_SIGNED_PAGES}个文件（当前{len(uploads)}个），"
                    "多页可扫描为一个PDF。")
            for number, upload in enumerate(uploads, start=1):
                try:
                    check_upload(upload, what=f"签字的{what}第{number}页（{upload.name}）")
                except CaseActionError as exc:
                    raise forms.ValidationError(exc.message) from exc
                pages.append((kind, upload, number))
        return pages
