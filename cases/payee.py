"""A household's payee account (开户银行、银行账号、账户户名): changed by two people, on record.

The bank pays a household's assistance into the account on its household row (the monthly
roster, `cases.exports`). That account is changed only here:

1. `account_change_request`: a window clerk or leader of the household's township asks for the
   change with a reason and a scan of the bank card or passbook (checked like every scan:
   `cases.verification.files.read_scan`). Nothing on the household changes yet; the roster
   keeps paying the confirmed account.
2. `account_change_confirm`: a leader of the township who did not ask for it confirms; the
   household's account is changed in the same transaction, and an event is written on the
   trail of each of the household's live entitlements.
   `account_change_refuse`: the same leader refuses it, with a reason; nothing changes.

Every request is an `AccountChange` row with the old and new values, encrypted; rows are never
changed (except to record their decision, once) nor deleted. The household page, the household
service (`household_save`, through `household_bank_guard`) and the admin never change these
fields themselves.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from cases import idnumber
from cases import permissions as perms
from cases.errors import CaseActionError
from cases.models import PAYEE_FIELDS, AccountChange, Case, Household
from cases.trail import append_event
from cases.workflow import ENTITLEMENT_KINDS, CaseStatus

FIELD_LABELS = {"bank_name": "开户银行", "bank_account": "银行账号", "bank_payee": "账户户名"}
EMPTY = "（未填写）"
# Cases whose trail records a change of the account they are paid into.
PAID_STATUSES = (CaseStatus.APPROVED, CaseStatus.SUSPENDED)
NOT_ALLOWED = "只有该家庭所在镇街的窗口受理员或分管领导可以申请变更收款账户。"
LOCKED_HERE = ("开户银行、银行账号和账户户名不能在此修改：请由镇街窗口受理员或分管领导在家庭页面"
               "“变更收款账户”中申请，经分管领导确认后生效。")


def _clean(value) -> str:
    return "" if value is None else str(value).strip()


def _account(value) -> str:
    return "".join(_clean(value).split())


def current_values(household: Household) -> dict[str, str]:
    return {name: _clean(getattr(household, name)) for name in PAYEE_FIELDS}


def shown(name: str, value) -> str:
    """A value as the pages show it: the account number masked."""
    value = _clean(value)
    if not value:
        return "户主本人" if name == "bank_payee" else EMPTY
    return idnumber.mask_account(value) if name == "bank_account" else value


def describe(change: AccountChange) -> list[str]:
    """"项目：原值 → 新值" for each changed field, the account numbers masked."""
    return [f"{FIELD_LABELS[name]}：{shown(name, change.old.get(name))} → "
            f"{shown(name, change.new.get(name))}"
            for name in PAYEE_FIELDS if name in change.fields.split(",")]


def household_bank_guard(household: Household, by) -> None:
    """Refuse a household save that would set or change its payee account outside this module.

    An existing household's bank name, account and payee are changed only through
    `account_change_request` / `account_change_confirm`. A new household may be registered with
    them only by a clerk or leader of its township (or by the system: `by` None).

    Raises:
        CaseActionError: code "payee_account".
    """
    if household.pk is None:
        if by is None or not any(_clean(getattr(household, n)) for n in PAYEE_FIELDS):
            return
        probe = Household(village_id=household.village_id)
        probe.township_id = household.village.township_id
        if not perms.can_request_account_change(probe, by):
            raise CaseActionError("payee_account", NOT_ALLOWED)
        return
    stored = Household.objects.filter(pk=household.pk).first()
    if stored is not None and current_values(stored) != current_values(household):
        raise CaseActionError("payee_account", LOCKED_HERE)


@transaction.atomic
def account_change_request(*, household: Household, bank_name: str, bank_account: str,
                           bank_payee: str = "", reason: str, scan, by) -> AccountChange:
    """Ask for a change of the household's payee account; it waits for a leader's confirmation.

    Args:
        bank_name, bank_account, bank_payee: the new values (payee blank: the head).
        reason: why the account changes (required).
        scan: the bank card's or passbook's scan (PDF, JPEG or PNG), required.
        by: a clerk or leader of the household's township.

    Returns:
        The pending `AccountChange`. The household itself is not changed.

    Raises:
        CaseActionError: not allowed, bad input, nothing changed, a change already pending.
    """
    from cases.verification.files import read_scan

    household = Household.objects.select_for_update().get(pk=household.pk)
    if not perms.can_request_account_change(household, by):
        raise CaseActionError("forbidden", NOT_ALLOWED)
    new = {"bank_name": _clean(bank_name), "bank_account": _account(bank_account),
           "bank_payee": _clean(bank_payee)}
    if not new["bank_name"]:
        raise CaseActionError("bank_name", "请填写开户银行。")
    if not new["bank_account"]:
        raise CaseActionError("bank_account", "请填写银行账号。")
    if not new["bank_account"].isdigit() or len(new["bank_account"]) > 40:
        raise CaseActionError("bank_account", "银行账号只能由数字组成（不超过40位）。")
    if len(new["bank_name"]) > 60 or len(new["bank_payee"]) > 40:
        raise CaseActionError("too_long", "开户银行不超过60个字，账户户名不超过40个字。")
    if not _clean(reason):
        raise CaseActionError("reason", "请填写变更原因。")
    if not scan:
        raise CaseActionError("scan", "请上传银行卡或存折的扫描件。")
    old = current_values(household)
    changed = [name for name in PAYEE_FIELDS if old[name] != new[name]]
    if not changed:
        raise CaseActionError("unchanged", "填写的收款账户与现有账户相同，无需变更。")
    if household.account_changes.filter(status=AccountChange.Status.PENDING).exists():
        raise CaseActionError("pending", "该家庭已有一项待确认的收款账户变更，"
                                         "请先由分管领导确认或退回。")
    content, sha = read_scan(scan, "银行卡或存折扫描件")
    change = AccountChange(household=household, fields=",".join(changed),
                           values={"old": old, "new": new}, reason=_clean(reason),
                           scan_sha256=sha, requested_by=by)
    change.scan.save(content.name, content, save=False)
    change.save(force_insert=True)
    return change


def _lock_pending(change: AccountChange | int) -> AccountChange:
    pk = change.pk if isinstance(change, AccountChange) else change
    change = AccountChange.objects.select_for_update(of=("self",)).select_related(
        "household").get(pk=pk)
    if change.status != AccountChange.Status.PENDING:
        raise CaseActionError("decided", "该收款账户变更已处理。")
    return change


def _require_decider(change: AccountChange, by) -> None:
    if by is not None and change.requested_by_id == by.pk:
        raise CaseActionError("same_person", "收款账户变更须由申请人以外的分管领导确认。")
    if not perms.can_decide_account_change(change, by):
        raise CaseActionError("forbidden",
                              "只有该家庭所在镇街的分管领导可以确认或退回收款账户变更。")


@transaction.atomic
def account_change_confirm(*, change: AccountChange | int, by) -> AccountChange:
    """Confirm a pending change: the household's account becomes the new one, now.

    Raises:
        CaseActionError: not a leader of the township, the requester, already decided, or the
            household's account changed since the request.
    """
    change = _lock_pending(change)
    _require_decider(change, by)
    household = Household.objects.select_for_update().get(pk=change.household_id)
    if current_values(household) != {n: _clean(change.old.get(n)) for n in PAYEE_FIELDS}:
        raise CaseActionError("stale", "该家庭的收款账户在申请后已有变化，请退回后重新申请。")
    for name in PAYEE_FIELDS:
        setattr(household, name, change.new.get(name, ""))
    household.save(update_fields=[*PAYEE_FIELDS, "updated_at"])
    change.status, change.decided_by, change.decided_at = (
        AccountChange.Status.CONFIRMED, by, timezone.now())
    change.save(update_fields=["status", "decided_by", "decided_at"])
    cases = (Case.objects.select_for_update().filter(
        household=household, kind__in=list(ENTITLEMENT_KINDS), status__in=PAID_STATUSES)
        .order_by("pk"))
    for case in cases:
        append_event(case, "payee_account_changed", actor=by, note="；".join(describe(change)),
                     payload={"account_change": change.pk, "fields": change.fields})
    return change


@transaction.atomic
def account_change_refuse(*, change: AccountChange | int, by, reason: str) -> AccountChange:
    """Refuse a pending change with a reason; the household's account stays as it is."""
    change = _lock_pending(change)
    _require_decider(change, by)
    if not _clean(reason):
        raise CaseActionError("reason", "请填写退回理由。")
    change.status, change.decided_by, change.decided_at = (
        AccountChange.Status.REFUSED, by, timezone.now())
    change.refusal_reason = _clean(reason)
    change.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason"])
    return change


def pending_in(townships) -> QuerySet[AccountChange]:
    """Pending changes of the households of these townships (ids), oldest first."""
    return (AccountChange.objects
            .filter(status=AccountChange.Status.PENDING, household__township_id__in=townships)
            .order_by("requested_at", "id"))


def pending_for(user) -> QuerySet[AccountChange]:
    """Pending changes of the households of the user's townships, with what the leader's list
    shows (leaders)."""
    from cases import scoping

    return pending_in(sorted(scoping.township_ids(user))).select_related(
        "household__head", "household__village", "requested_by")
