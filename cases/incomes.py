"""Each member's monthly income as declared with the application (申报月收入).

The applicant declares it at the window; the 申请书 prints it beside each member, and the
verification later checks it against the data sources. `declared_incomes_record` is the one
writer: `services.case_create` calls it in the case's own transaction (the acceptance flow and
the household page's 登记救助申请 alike), and the draft bundle calls it inside its rolled-back
transaction. `clean_amount` is the one check of a typed amount, used by the forms and the
service, so both refuse the same values with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction

from cases import permissions as perms
from cases.errors import CaseActionError
from cases.models import DECLARED_INCOME_MAX, Case, DeclaredIncome, Membership, Person
from cases.trail import append_event
from cases.workflow import CaseStatus

NOT_DECLARED = "未申报"
# A case whose incomes may still be declared: registered, not yet accepted.
DECLARING_STATUSES = (CaseStatus.RECEIVED, CaseStatus.EMERGENCY_REPORTED)


def clean_amount(value, who: str = "") -> Decimal | None:
    """A declared monthly income in yuan, or None for 未申报 (blank).

    Refuses text that is not an amount, a negative amount, more than two decimals (fen) and
    more than `DECLARED_INCOME_MAX`, each with a Chinese message naming `who` if given.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    prefix = f"{who}的" if who else ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(
            str(value).strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise CaseActionError("income", f"{prefix}月收入请填写金额数字（元），"
                                        "未申报的请留空。") from None
    if not amount.is_finite():
        raise CaseActionError("income", f"{prefix}月收入请填写金额数字（元），未申报的请留空。")
    if amount < 0:
        raise CaseActionError("income", f"{prefix}月收入不能为负数；没有收入的请填0。")
    if amount > DECLARED_INCOME_MAX:
        raise CaseActionError("income", f"{prefix}月收入超过{DECLARED_INCOME_MAX:,.0f}元，"
                                        "请核对是否多填了位数。")
    if amount != amount.quantize(Decimal("0.01")):
        raise CaseActionError("income", f"{prefix}月收入最多填写两位小数（到分）。")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def declared_incomes_record(*, case: Case, incomes: Mapping[Person, object], by
                            ) -> list[DeclaredIncome]:
    """Record what the applicant declared as each member's monthly income, once per case.

    Args:
        case: a registered case not yet accepted (its application is still being made).
        incomes: member → amount in yuan (Decimal or text); None or blank is 未申报, and a
            member left out has declared nothing either. Every person must be a current
            member of the case's household.
        by: the clerk registering the application (or the leader, for an emergency report).

    Returns:
        The rows written (none for members who declared nothing). One `incomes_declared`
        event on the trail lists every member's declaration. Any refused value refuses the
        whole declaration, and in the caller's transaction the case with it: nothing is saved.
    """
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if not perms.can_declare_incomes(case, by):
        raise CaseActionError("forbidden", "您不是该镇街的窗口受理人员，不能录入申报收入。")
    if case.status not in DECLARING_STATUSES:
        raise CaseActionError("not_allowed", "案件已受理，申报的月收入不能再更改。")
    if case.declared_incomes.exists():
        raise CaseActionError("declared", "该申请已录入申报收入，不能重复录入。")
    members = set(Membership.objects.filter(household_id=case.household_id, ended_on__isnull=True)
                  .values_list("person_id", flat=True))
    amounts: dict[Person, Decimal | None] = {}
    for person, value in incomes.items():
        if person.pk not in members:
            raise CaseActionError("member", f"{person.name}不是该家庭的在册成员，不能申报收入。")
        amounts[person] = clean_amount(value, person.name)
    rows = DeclaredIncome.objects.bulk_create([
        DeclaredIncome(case=case, person=person, monthly_amount=amount, recorded_by=by)
        for person, amount in amounts.items() if amount is not None])
    declared = [a for a in amounts.values() if a is not None]
    append_event(case, "incomes_declared", actor=by, payload={
        "incomes": [{"person": p.pk, "amount": a} for p, a in
                    sorted(amounts.items(), key=lambda item: item[0].pk)],
        "total": sum(declared, Decimal("0.00")) if declared else None,
    })
    return rows
