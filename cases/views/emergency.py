"""急难求助 at the window (S11): the household screen of the acceptance flow (`accept_start`
with `emergency=1`), then this report screen; the report starts the 24-hour clock and the
case page takes the 先行救助.

The household and the report are saved in one transaction (`household_save` for a new
household, `case_create` of kind 急难型); a refusal saves nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cases import services
from cases.errors import CaseActionError
from cases.households import household_save
from cases.models import PersonChange
from cases.views.acceptance import (
    DRAFT_KEY,
    SAVE_REFUSALS,
    _draft,
    _draft_members,
    _new_household,
    _require_clerk,
    refusal_message,
)
from cases.workflow import CaseKind


class EmergencyReportForm(forms.Form):
    applicant = forms.ChoiceField(label="求助人")
    hardship = forms.CharField(label="求助情况（遭遇的急难、当前困难）", max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        self.fields["applicant"].choices = [("", "请选择")] + [
            (m.key, f"{m.name}（{m.masked_id}）") for m in members]
        head = next((m for m in members if m.relationship == "head"), None)
        if head is not None:
            self.fields["applicant"].initial = head.key


def _report(user, draft: dict, household, form: EmergencyReportForm):
    with transaction.atomic():
        if household is None:
            household = household_save(household=_new_household(user, draft["new"]),
                                       members=draft["members"], by=user,
                                       source=PersonChange.Source.ACCEPTANCE)
        people = {m.person.id_number: m.person for m in household.current_members()}
        chosen = next(m for m in form.members if m.key == form.cleaned_data["applicant"])
        if chosen.id_number not in people:
            raise CaseActionError("members", "该家庭的成员刚刚已有变动，请返回第一步重新选择家庭。")
        return services.case_create(household=household, applicant=people[chosen.id_number],
                                    kind=CaseKind.TEMP_EMERGENCY,
                                    hardship=form.cleaned_data["hardship"], by=user)


@require_http_methods(["GET", "POST"])
def emergency_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_clerk(user)
    draft = _draft(request)
    if draft is None or not draft.get("emergency"):
        messages.error(request, "急难求助草稿已失效（已报告或已超时），请重新开始。")
        return redirect(reverse("accept_start") + "?emergency=1")
    household, members, summary = _draft_members(user, draft)
    status = 200
    if request.method == "POST":
        form = EmergencyReportForm(request.POST, members=members)
        if request.POST.get("token") != draft["token"]:
            messages.error(request, "急难求助草稿已更换，请核对后重新提交。")
            return redirect("emergency_report")
        if form.is_valid():
            try:
                case = _report(user, draft, household, form)
            except SAVE_REFUSALS as exc:
                form.add_error(None, refusal_message(exc))
            else:
                request.session.pop(DRAFT_KEY, None)
                messages.success(request, f"已报告急难求助，案件编号 {case.number}。"
                                          "请在24小时内先行救助。")
                return redirect(case)
        status = 400
    else:
        form = EmergencyReportForm(members=members)
    return render(request, "cases/emergency/report.html", {
        "form": form, "members": members, "summary": summary, "token": draft["token"],
        "step": 2,
    }, status=status)
