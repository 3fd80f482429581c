"""The legal procedure as a state machine (临兰政办字〔2019〕42号, S1–S12).

Declared once, here. Transition bodies only set fields on the case; everything else —
permission, conditions, events, deadlines, documents — is done by the services in
`cases/services.py`, which are the only callers of these methods.
"""

from django.db import models


class CaseKind(models.TextChoices):
    DIBAO = "dibao", "最低生活保障"
    TEKUN = "tekun", "特困人员救助供养"
    TEMP_EMERGENCY = "temp_emergency", "临时救助(急难型)"
    TEMP_EXPENDITURE = "temp_expenditure", "临时救助(支出型)"


# Kinds that need 核对前置 (S2): a verification authorization from every adult member.
AUTHORIZATION_KINDS = frozenset({CaseKind.DIBAO, CaseKind.TEKUN})
# Kinds decided within 20 working days (S4, S12).
TWENTY_DAY_KINDS = frozenset({CaseKind.DIBAO, CaseKind.TEKUN, CaseKind.TEMP_EXPENDITURE})
# Kinds that are a standing entitlement after approval (adjust / suspend / terminate).
ENTITLEMENT_KINDS = frozenset({CaseKind.DIBAO, CaseKind.TEKUN})
# Short codes used in case numbers.
KIND_CODES = {
    CaseKind.DIBAO: "DB",
    CaseKind.TEKUN: "TK",
    CaseKind.TEMP_EMERGENCY: "JN",
    CaseKind.TEMP_EXPENDITURE: "ZC",
}


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "已接收申请"
    INVESTIGATING = "investigating", "核对与入户调查"
    RECHECK = "recheck", "核对结果复查"
    IN_PUBLICITY = "in_publicity", "审批公示中"
    AWAITING_APPRAISAL = "awaiting_appraisal", "待民主评议"
    AWAITING_SIGN_OFF = "awaiting_sign_off", "待领导审批"
    APPROVED = "approved", "已批准"
    SUSPENDED = "suspended", "暂停发放"
    TERMINATED = "terminated", "已终止"
    REJECTED = "rejected", "不予批准"
    WITHDRAWN = "withdrawn", "已撤回"
    # 急难型临时救助 (S11)
    EMERGENCY_REPORTED = "emergency_reported", "急难求助已报告"
    AID_GIVEN = "aid_given", "已先行救助"
    CLOSED = "closed", "已办结"


OPEN_STATUSES = frozenset({
    CaseStatus.RECEIVED, CaseStatus.INVESTIGATING, CaseStatus.RECHECK,
    CaseStatus.IN_PUBLICITY, CaseStatus.AWAITING_APPRAISAL, CaseStatus.AWAITING_SIGN_OFF,
    CaseStatus.EMERGENCY_REPORTED, CaseStatus.AID_GIVEN,
})
# States before a decision, from which the applicant may withdraw.
PRE_DECISION_STATUSES = [
    CaseStatus.RECEIVED, CaseStatus.INVESTIGATING, CaseStatus.RECHECK,
    CaseStatus.IN_PUBLICITY, CaseStatus.AWAITING_APPRAISAL, CaseStatus.AWAITING_SIGN_OFF,
]
# States in which a person counts as covered (or being assessed) for exclusivity rules.
LIVE_STATUSES = OPEN_STATUSES | {CaseStatus.APPROVED, CaseStatus.SUSPENDED}


# --- The state machine -------------------------------------------------------------------

from django_fsm import (  # noqa: E402
    ConcurrentTransitionMixin,
    FSMField,
    FSMModelMixin,
    transition,
)

from cases import permissions as perms  # noqa: E402
from cases import rules  # noqa: E402

S = CaseStatus


class CaseWorkflow(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    """Abstract base of `Case`: the FSM field and every legal move.

    `ConcurrentTransitionMixin` makes the UPDATE conditional on the state read, so two people
    acting on one case at once can never both succeed; services also lock the row.
    """

    status = FSMField("状态", default=S.RECEIVED, choices=S.choices, protected=True,
                      db_index=True)

    class Meta:
        abstract = True

    # 低保 / 特困 / 支出型临时救助 ------------------------------------------------------------
    @transition(field=status, source=S.RECEIVED, target=S.INVESTIGATING,
                permission=perms.can_accept,
                conditions=[rules.authorizations_complete, rules.applicant_not_already_covered],
                custom={"label": "受理", "clauses": ["S2", "S3", "S4"]})
    def accept(self):
        """Accept the application: 受理通知书 and the 20-working-day clock (S3, S4)."""

    @transition(field=status, source=S.INVESTIGATING, target=S.RECHECK,
                permission=perms.can_open_recheck, conditions=[rules.has_verification_report],
                custom={"label": "受理核对结果异议", "clauses": ["S5"]})
    def open_recheck(self):
        """The applicant objects to the verification result (S5)."""

    @transition(field=status, source=S.RECHECK, target=S.INVESTIGATING,
                permission=perms.can_record_verification,
                conditions=[rules.has_recheck_report],
                custom={"label": "完成复查", "clauses": ["S5"]})
    def complete_recheck(self):
        """The recheck report is recorded; the case returns to the review."""

    @transition(field=status, source=S.INVESTIGATING, target=S.IN_PUBLICITY,
                permission=perms.can_review,
                conditions=[rules.has_verification_report, rules.has_home_visit,
                            rules.has_proposed_amount, rules.applicant_not_already_covered],
                custom={"label": "审核同意并公示", "clauses": ["S4", "S6", "S9"]})
    def propose_approval(self):
        """The township's review opinion is to approve: 7-day publicity in the village (S6)."""

    @transition(field=status, source=S.IN_PUBLICITY, target=S.AWAITING_SIGN_OFF,
                permission=perms.can_close_publicity,
                conditions=[rules.publicity_posted, rules.publicity_over,
                            rules.no_publicity_objection],
                custom={"label": "公示期满无异议", "clauses": ["S6", "S7"]})
    def end_publicity(self):
        """Publicity ended with no objection: the case waits for the leader (S7)."""

    @transition(field=status, source=S.IN_PUBLICITY, target=S.AWAITING_APPRAISAL,
                permission=perms.can_close_publicity,
                conditions=[rules.publicity_posted, rules.publicity_over,
                            rules.has_publicity_objection],
                custom={"label": "公示有异议，转民主评议", "clauses": ["S10"]})
    def end_publicity_with_objection(self):
        """Publicity ended with an objection: democratic appraisal first (S10)."""

    @transition(field=status, source=S.AWAITING_APPRAISAL, target=S.AWAITING_SIGN_OFF,
                permission=perms.can_review, conditions=[rules.has_appraisal],
                custom={"label": "录入民主评议结果", "clauses": ["S10"]})
    def record_appraisal(self):
        """The democratic appraisal is recorded; the leader decides next."""

    @transition(field=status, source=S.AWAITING_SIGN_OFF, target=S.APPROVED,
                permission=perms.can_sign_off,
                conditions=[rules.publicity_posted, rules.publicity_over,
                            rules.objections_appraised, rules.appraisal_supports,
                            rules.applicant_not_already_covered],
                custom={"label": "审批同意", "clauses": ["S7"]})
    def sign_off(self):
        """The township's leader in charge approves; the seal is applied (S7)."""

    @transition(field=status, source=[S.INVESTIGATING, S.AWAITING_SIGN_OFF], target=S.REJECTED,
                permission=perms.can_decide,
                conditions=[rules.has_verification_report, rules.has_home_visit,
                            rules.has_rejection_reason],
                custom={"label": "不予批准", "clauses": ["S4", "S8"]})
    def reject(self):
        """Not eligible: a written notice with the reasons (S8)."""

    @transition(field=status, source=PRE_DECISION_STATUSES, target=S.WITHDRAWN,
                permission=perms.can_withdraw,
                custom={"label": "申请人撤回申请", "clauses": []})
    def withdraw(self):
        """The applicant withdraws before a decision."""

    # Standing entitlement after approval (动态管理) -------------------------------------------
    @transition(field=status, source=S.APPROVED, target=S.APPROVED,
                permission=perms.can_decide, conditions=[rules.is_entitlement],
                custom={"label": "调整保障金", "clauses": ["S16"]})
    def adjust(self):
        """Change the monthly amount (低保金调整告知书)."""

    @transition(field=status, source=S.APPROVED, target=S.SUSPENDED,
                permission=perms.can_decide, conditions=[rules.is_entitlement],
                custom={"label": "暂停发放", "clauses": ["S16"]})
    def suspend(self):
        """Suspend payment (停发告知书)."""

    @transition(field=status, source=S.SUSPENDED, target=S.APPROVED,
                permission=perms.can_decide, conditions=[rules.is_entitlement],
                custom={"label": "恢复发放", "clauses": []})
    def resume(self):
        """Resume payment after a suspension."""

    @transition(field=status, source=[S.APPROVED, S.SUSPENDED], target=S.TERMINATED,
                permission=perms.can_decide, conditions=[rules.is_entitlement],
                custom={"label": "终止保障", "clauses": ["S16"]})
    def terminate(self):
        """End the entitlement (停发告知书)."""

    # 急难型临时救助 (S11) ------------------------------------------------------------------
    @transition(field=status, source=S.EMERGENCY_REPORTED, target=S.AID_GIVEN,
                permission=perms.can_give_emergency_aid, conditions=[rules.has_aid_amount],
                custom={"label": "先行救助", "clauses": ["S11"]})
    def give_aid(self):
        """Aid given (within 24 hours of the report, S11)."""

    @transition(field=status, source=S.AID_GIVEN, target=S.CLOSED,
                permission=perms.can_decide, conditions=[rules.registration_complete],
                custom={"label": "登记并补齐手续", "clauses": ["S11"]})
    def register_emergency(self):
        """Recipient, reason and amount registered; signatures and seals complete (S11)."""

    @transition(field=status, source=S.EMERGENCY_REPORTED, target=S.REJECTED,
                permission=perms.can_decide, conditions=[rules.has_rejection_reason],
                custom={"label": "不予救助", "clauses": ["S8"]})
    def reject_emergency(self):
        """An emergency report that does not qualify."""
