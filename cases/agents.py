"""The applicant's delegate (委托代理人): recorded with the case, once, with a trail event.

Screen 2 of the acceptance flow collects the delegate into the session draft; `_accept`
records it here in the acceptance's transaction, so the case knows whether its bundle carries a
委托授权书 (`documents.bundle.bundle_parts`) and fills that form from the stored row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from cases import idnumber, permissions
from cases.errors import CaseActionError
from cases.models import Case, CaseAgent
from cases.trail import append_event
from cases.workflow import CaseStatus

FIELDS = ("name", "id_number", "relation", "phone")


def case_agent(case: Case) -> CaseAgent | None:
    """The case's delegate, read from the database (never a stale cached relation)."""
    return CaseAgent.objects.filter(case_id=case.pk).first()


@transaction.atomic
def case_agent_record(*, case: Case, by, name: str, id_number: str, relation: str,
                      phone: str = "") -> CaseAgent:
    """Record who the applicant delegates to act for them (S15: the 委托授权书's 受托人).

    Args:
        case: a case not yet accepted (状态 已接收申请).
        by: a window clerk of the case's township.
        name, id_number, relation, phone: the delegate, as the 委托授权书 prints them.

    Returns:
        The stored delegate.

    Raises:
        CaseActionError: no right, the case is past acceptance, or a delegate is on file.
        ValidationError: a field is missing or invalid (Chinese messages).
    """
    case = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    if not permissions.can_accept(case, by):
        raise CaseActionError("forbidden", "您不是该镇街的窗口受理人员，不能登记委托代理人。")
    if case.status != CaseStatus.RECEIVED:
        raise CaseActionError("not_allowed", "委托代理人只能在受理时登记。")
    if CaseAgent.objects.filter(case=case).exists():
        raise CaseActionError("agent_on_file", "该案件已登记委托代理人，不能更改。")
    agent = CaseAgent(case=case, name=(name or "").strip(),
                      id_number=idnumber.normalize(id_number or ""),
                      relation=(relation or "").strip(), phone=(phone or "").strip(),
                      recorded_by=by)
    try:
        agent.full_clean(exclude=["id_number_hash"])
    except ValidationError as exc:
        labels = {f: CaseAgent._meta.get_field(f).verbose_name for f in FIELDS}
        raise ValidationError([f"委托代理人{labels.get(field, '')}：{m}"
                               for field, messages in exc.message_dict.items()
                               for m in messages]) from None
    agent.save()
    append_event(case, "agent_recorded", actor=by, payload={
        "name": agent.name, "id_number": agent.masked_id, "relation": agent.relation,
    })
    return agent
