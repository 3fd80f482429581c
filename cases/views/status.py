"""The public status page: an applicant checks where their case stands (no login).

The applicant types the case number and the last 6 characters of the applicant's ID number.
A matching pair shows the case's stage, its dates and what happens next — nothing else: no
name, no ID number, no address, no amount. A wrong pair and a case number that does not exist
get the same answer, so the page cannot be used to find out which case numbers exist; each
lookup (right or wrong) counts against a per-address limit kept in the cache.
"""

from __future__ import annotations

import hmac
import time
import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from cases.calendar import fmt_date
from cases.deadlines import publicity_period
from cases.models import Case, DeadlineKind, DeadlineStatus
from cases.workflow import CaseKind, CaseStatus
from lanshan_aid.client_address import client_ip

S = CaseStatus
NOT_FOUND = "未查到与该案件编号和身份证号码后6位相符的案件，请核对后重试。"
# A case number that cannot exist is still compared, against this, so that both answers take
# the same work.
_DUMMY_TAIL = "\x00" * 6

NEXT_STEPS = {
    S.RECEIVED: "镇街已收到您的申请，正在审查申请材料和家庭成员签署的核对授权书。材料齐全后将出具"
                "受理通知书；材料不全的，工作人员会一次性告知需要补齐的材料。",
    S.INVESTIGATING: "申请已受理。镇街正在核对家庭经济状况并入户调查，请保持电话畅通、配合调查。"
                     "核对和调查完成后，镇街提出审核意见。",
    S.RECHECK: "您对核对结果提出的异议已受理，正在复查，复查应在提出异议之日起10个工作日内完成。",
    S.IN_PUBLICITY: "审核意见为同意，正在您所在的村（社区）公示7天。公示期间任何人都可以提出异议；"
                    "公示期满无异议的，报镇街分管领导审批。",
    S.AWAITING_APPRAISAL: "公示期间有人提出异议，镇街将组织民主评议，评议后报分管领导审批。",
    S.AWAITING_SIGN_OFF: "公示已结束，等待镇街分管领导审批。审批后将书面通知您。",
    S.APPROVED: "已批准。保障金按月发放到您家的银行账户。镇街会定期复核家庭情况；家庭人口、"
                "收入、财产发生变化时，请及时告知镇街。",
    S.SUSPENDED: "保障金暂停发放，原因见书面告知书。如有疑问，请联系镇街社会救助窗口。",
    S.TERMINATED: "保障已终止，原因见书面告知书。如对决定不服，可以依照告知书申请行政复议或者提起"
                  "行政诉讼。",
    S.REJECTED: "未予批准，理由见不予批准告知书。如对决定不服，可以依照告知书申请行政复议或者提起"
                "行政诉讼。",
    S.WITHDRAWN: "申请已撤回，办理结束。如需再次申请，请到镇街社会救助窗口办理。",
    S.EMERGENCY_REPORTED: "急难求助已登记，镇街应在24小时内作出先行救助决定。",
    S.AID_GIVEN: "已先行救助。镇街正在补齐登记和审批手续（5个工作日内）。",
    S.CLOSED: "救助已办结。",
}

PUBLIC_CLOCKS = {
    DeadlineKind.DECISION: "审批决定",
    DeadlineKind.RECHECK: "复查",
    DeadlineKind.EMERGENCY_AID: "先行救助",
    DeadlineKind.EMERGENCY_REGISTRATION: "补办登记手续",
}


def lookup_limit() -> tuple[int, int]:
    """(lookups, seconds) allowed from one address."""
    return tuple(getattr(settings, "PUBLIC_STATUS_LOOKUPS", (10, 600)))


def _within_limit(request: HttpRequest) -> bool:
    """Count one lookup from the client's address; False once the window's limit is used."""
    allowed, window = lookup_limit()
    bucket = int(time.time() // window)
    key = f"public-status:{client_ip(request) or 'unknown'}:{bucket}"
    if cache.add(key, 1, timeout=window + 5):
        return allowed >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count <= allowed


def _normalise(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


class StatusForm(forms.Form):
    number = forms.CharField(label="案件编号", max_length=40,
                             widget=forms.TextInput(attrs={"autocomplete": "off",
                                                           "placeholder": "见受理通知书"}))
    id_tail = forms.CharField(label="申请人身份证号码后6位", min_length=6, max_length=6,
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "inputmode": "text"}))

    def clean_number(self) -> str:
        return _normalise(self.cleaned_data["number"])

    def clean_id_tail(self) -> str:
        tail = _normalise(self.cleaned_data["id_tail"])
        if len(tail) != 6 or not (tail[:5].isascii() and tail[:5].isdigit()
                                  and (tail[5].isdigit() or tail[5] == "X")):
            raise forms.ValidationError("请填写身份证号码的最后6位（数字，末位可能是X）。")
        return tail


def find_case(number: str, id_tail: str) -> Case | None:
    """The case if the pair matches; None for a wrong pair and for an unknown number alike."""
    case = (Case.objects.select_related("applicant", "township")
            .filter(number=number).first())
    stored = case.applicant.id_number[-6:].upper() if case is not None else _DUMMY_TAIL
    matched = hmac.compare_digest(stored.encode(), id_tail.encode())
    return case if matched and case is not None else None


def status_view(case: Case) -> dict:
    """Only what the applicant may see: stage, dates, clocks and what happens next."""
    local = timezone.localdate
    deadlines = list(case.deadlines.order_by("start_at", "pk"))
    publicity = next((d for d in reversed(deadlines) if d.kind == DeadlineKind.PUBLICITY
                      and d.status != DeadlineStatus.CANCELLED), None)
    clocks = []
    for d in deadlines:
        if d.kind not in PUBLIC_CLOCKS:
            continue
        if d.status == DeadlineStatus.OPEN:
            clocks.append({"label": PUBLIC_CLOCKS[d.kind], "due": local(d.due_at),
                           "provisional": not d.calendar_confirmed, "state": "open"})
        elif d.status == DeadlineStatus.PAUSED:
            clocks.append({"label": PUBLIC_CLOCKS[d.kind], "due": None, "state": "paused",
                           "remaining": d.remaining})
    dates = [("申请日期", local(case.applied_at))]
    if case.accepted_at:
        dates.append(("受理日期", local(case.accepted_at)))
    if case.aid_given_at:
        dates.append(("先行救助日期", local(case.aid_given_at)))
    if publicity is not None:
        period = publicity_period(publicity.start_at, publicity.due_at)
        dates.append(("公示期", f"{fmt_date(period.first_day)}至{fmt_date(period.last_day)}"))
    if case.decided_at and case.status not in (S.WITHDRAWN,):
        dates.append(("决定日期", local(case.decided_at)))
    return {
        "number": case.number, "kind": CaseKind(case.kind).label,
        "stage": S(case.status).label, "next_steps": NEXT_STEPS.get(S(case.status), ""),
        "dates": dates, "clocks": clocks, "township": case.township.name,
        "hotline": case.township.hotline, "updated": local(case.updated_at),
    }


@login_not_required
@require_http_methods(["GET", "POST"])
@csrf_protect
@never_cache
def public_case_status(request: HttpRequest) -> HttpResponse:
    """案件办理进度查询 (public)."""
    form = StatusForm(request.POST or None)
    allowed, window = lookup_limit()
    context = {"form": form, "limit_count": allowed, "limit_minutes": max(1, window // 60)}
    if request.method == "POST":
        if not _within_limit(request):
            context["limited"] = (f"查询过于频繁：同一网络{context['limit_minutes']}分钟内最多查询"
                                  f"{allowed}次，"
                                  "请稍后再试。也可以拨打镇街社会救助窗口电话咨询。")
            return render(request, "cases/public_status.html", context, status=429)
        if form.is_valid():
            case = find_case(form.cleaned_data["number"], form.cleaned_data["id_tail"])
            if case is None:
                context["not_found"] = NOT_FOUND
            else:
                context["status"] = status_view(case)
                context["form"] = StatusForm()
    return render(request, "cases/public_status.html", context)
