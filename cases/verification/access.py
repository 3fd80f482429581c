"""Who may request or see verification data, and the access log (S19, S2).

One rule, used by every service, page, print and export: a user of the verification-officer
role, with a confidentiality agreement valid today, for a case of their township that is open,
whose adult members have all signed the verification authorization, and that is not the case
of a relative they declared. Every look-up — allowed or refused — is one `VerificationAccess`
row with the user, time, case, purpose, source and IP address.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from cases import rules, scoping
from cases.errors import CaseActionError
from cases.models import Case, ConfidentialityAgreement, VerificationAccess
from cases.permissions import Role
from cases.workflow import AUTHORIZATION_KINDS, OPEN_STATUSES, CaseStatus

A = VerificationAccess.Action

# Queries, imports and reports are made while the case is being verified; the data can be
# looked at while the case is still open (until the decision).
QUERY_STATUSES = frozenset({CaseStatus.INVESTIGATING, CaseStatus.RECHECK})
VIEW_STATUSES = OPEN_STATUSES
WRITE_ACTIONS = frozenset({A.QUERY, A.IMPORT, A.COMPILE})


def valid_agreements(user, on: dt.date | None = None):
    """The user's confidentiality agreements valid on `on` (today): signed copy on file, in
    their period, not revoked."""
    on = on or timezone.localdate()
    return (ConfidentialityAgreement.objects
            .filter(user=user, revoked_at__isnull=True, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
            .exclude(scan=""))


def current_agreement(user, on: dt.date | None = None) -> ConfidentialityAgreement | None:
    """The user's confidentiality agreement valid on `on` (today), if any."""
    if user is None or not getattr(user, "pk", None):
        return None
    return valid_agreements(user, on).order_by("-valid_from").first()


def holds_agreement(user) -> bool:
    """Whether the user holds an agreement valid today; asked once per request (a case page
    asks it for each verification move and link), or answered by the page with its other
    questions (`note_agreement`)."""
    if user is None or not getattr(user, "pk", None):
        return False
    return scoping.memo("holds_agreement", (user.pk, timezone.localdate()),
                        lambda: valid_agreements(user).exists())


def note_agreement(user, held: bool) -> None:
    """Record for this request that the user holds an agreement valid today (or not), as a
    page read it (`valid_agreements(user)` among its `cases.answers` questions)."""
    scoping.memo("holds_agreement", (user.pk, timezone.localdate()), lambda: held)


def is_designated_officer(user) -> bool:
    """A verification officer with a current agreement: may see the verification pages."""
    return scoping.has_role(user, Role.VERIFIER) and holds_agreement(user)


def refusal(case: Case, user, action: str) -> str:
    """Why `user` may not perform `action` on `case`'s verification data ('' if they may)."""
    from cases.verification.relatives import conflict_message

    if user is None or not getattr(user, "is_active", False):
        return "请先登录。"
    if not scoping.has_role(user, Role.VERIFIER):
        return "只有镇街指定的核对专员才能查询或查看家庭经济状况核对数据。"
    if not holds_agreement(user):
        return ("您没有在有效期内的核对保密协议，不能查询或查看核对数据。"
                "请先签订保密协议并由区民政局录入备案。")
    if not scoping.works_in_township(user, case.township_id):
        return "该案件不属于您所在的镇街，不能查询或查看其核对数据。"
    if action in WRITE_ACTIONS and case.status not in QUERY_STATUSES:
        return (f"案件当前状态为“{CaseStatus(case.status).label}”，"
                "只有在核对与入户调查、核对结果复查阶段才能查询核对数据。")
    if case.status not in VIEW_STATUSES:
        return (f"案件当前状态为“{CaseStatus(case.status).label}”，"
                "只能查看在办案件的核对数据。")
    if case.kind not in AUTHORIZATION_KINDS or not rules.authorizations_complete(case):
        return ("该案件尚未取得全部成年家庭成员签署的核对授权书，"
                "不能查询或查看核对数据（核对前置）。")
    return conflict_message(case, user)


def log(user, action: str, *, case: Case | None = None, person=None, purpose: str = "",
        source: str = "", detail: str = "", ip: str | None = None,
        allowed: bool = True) -> VerificationAccess:
    """Append one row to the verification access log."""
    return VerificationAccess.objects.create(
        user=user, action=action, allowed=allowed, case=case, person=person,
        purpose=purpose[:100], source=source[:200], detail=detail[:200], ip=ip or None,
    )


def check(case: Case, user, action: str, *, purpose: str, source: str = "",
          ip: str | None = None, person=None) -> None:
    """Refuse (and log the refusal) unless `user` may perform `action` on `case`.

    Call it outside the service's transaction, so the refusal row is kept when the
    refusal is raised.

    Raises:
        CaseActionError: code ``confidential`` with the reason in Chinese.
    """
    reason = refusal(case, user, action)
    if reason:
        if user is not None and getattr(user, "pk", None):
            log(user, action, case=case, person=person, purpose=purpose, source=source,
                detail=f"拒绝：{reason}", ip=ip, allowed=False)
        raise CaseActionError("confidential", reason)


def guard(case: Case, user, action: str, *, purpose: str, source: str = "",
          ip: str | None = None, person=None, detail: str = "") -> VerificationAccess:
    """`check`, then log the allowed look-up once; for views, prints and exports."""
    check(case, user, action, purpose=purpose, source=source, ip=ip, person=person)
    return log(user, action, case=case, person=person, purpose=purpose, source=source,
               detail=detail, ip=ip)
