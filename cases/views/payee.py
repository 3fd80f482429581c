"""Payee-account pages: the request (clerk or leader), the leader's list to confirm or refuse,
and the scan of the bank card. Every rule is in `cases.payee`; these pages only call it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.names import person_name
from cases import payee, scoping
from cases import permissions as perms
from cases.audit_access import log_access
from cases.errors import CaseActionError
from cases.forms_payee import AccountChangeForm, RefuseForm
from cases.list_fields import encrypted_fields
from cases.models import AccessLog, AccountChange, Person
from cases.permissions import Role


def staff_name(user) -> str:
    return person_name(user)


def rows_of(changes) -> list[dict]:
    """What the pages show of each change: masked values, names in 姓名 order."""
    return [{"change": c, "lines": payee.describe(c), "requested_by": staff_name(c.requested_by),
             "decided_by": staff_name(c.decided_by)} for c in changes]


@require_http_methods(["GET", "POST"])
def household_account(request: HttpRequest, pk: int) -> HttpResponse:
    """The request form: the new bank, account and payee, the reason and the card's scan."""
    household = scoping.household_for_user(request.user, pk)
    if not perms.can_request_account_change(household, request.user):
        raise PermissionDenied(payee.NOT_ALLOWED)
    pending = household.account_changes.filter(status=AccountChange.Status.PENDING).first()
    status = 200
    if request.method == "POST":
        form = AccountChangeForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payee.account_change_request(
                    household=household, bank_name=data["bank_name"],
                    bank_account=data["bank_account"], bank_payee=data["bank_payee"],
                    reason=data["reason"], scan=data["scan"], by=request.user)
            except CaseActionError as exc:
                form.add_error(None, exc.message)
                status = 400
            else:
                messages.success(request, "收款账户变更已提交，待分管领导确认后生效；"
                                          "确认前仍按原账户发放。")
                return redirect(household)
        else:
            status = 400
    else:
        form = AccountChangeForm(initial={"bank_name": household.bank_name,
                                          "bank_payee": household.bank_payee})
    return render(request, "cases/payee/request.html", {
        "household": household, "form": form, "pending": pending,
        "current": [(payee.FIELD_LABELS[n], payee.shown(n, getattr(household, n)))
                    for n in payee.PAYEE_FIELDS],
    }, status=status)


@require_GET
def account_changes(request: HttpRequest) -> HttpResponse:
    """The leader's list of pending changes of the households of their townships."""
    if not scoping.has_role(request.user, Role.LEADER):
        raise PermissionDenied("只有镇街分管领导可以确认收款账户变更。")
    changes = list(payee.pending_for(request.user).defer(
        "household__bank_account", *encrypted_fields(Person, "household__head__")))
    return render(request, "cases/payee/pending.html", {
        "rows": rows_of(changes), "refuse_form": RefuseForm(),
    })


def _change_for(user, pk: int) -> AccountChange:
    change = AccountChange.objects.filter(
        pk=pk, household__in=scoping.households_visible_to(user)).select_related(
        "household").first()
    if change is None:
        raise Http404("未找到该收款账户变更，或您无权查看。")
    return change


@require_POST
def account_change_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change_for(request.user, pk)
    try:
        payee.account_change_confirm(change=change, by=request.user)
    except CaseActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已确认收款账户变更，自即日起按新账户发放。")
    return redirect("account_changes" if scoping.has_role(request.user, Role.LEADER)
                    else change.household)


@require_POST
def account_change_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change_for(request.user, pk)
    form = RefuseForm(request.POST)
    try:
        payee.account_change_refuse(change=change, by=request.user,
                                    reason=form.data.get("reason", ""))
    except CaseActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已退回收款账户变更，仍按原账户发放。")
    return redirect("account_changes" if scoping.has_role(request.user, Role.LEADER)
                    else change.household)


@require_GET
def account_change_scan(request: HttpRequest, pk: int) -> FileResponse:
    """The bank card's scan: for the township's clerks and leaders (who request and confirm)."""
    change = _change_for(request.user, pk)
    if not perms.can_request_account_change(change.household, request.user):
        raise PermissionDenied("只有该家庭所在镇街的窗口受理员或分管领导可以查看银行卡扫描件。")
    log_access(request, AccessLog.Action.VIEW, "account_change", change.pk,
               detail="银行卡或存折扫描件")
    name = change.scan.name.rsplit("/", 1)[-1]
    response = FileResponse(change.scan.open("rb"), filename=f"银行卡扫描件_{name}")
    response["Cache-Control"] = "private, no-store"
    return response
