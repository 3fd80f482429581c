"""急难型临时救助 (S11) as the staff see it: the next step of an emergency case and who takes
it, and the emergency clocks of the work lists (the clerk's 待我处理, the leader's queue).

A report is aided within 24 hours (by the window clerk or the leader); after the aid the
registration is completed within 5 working days: the clerk completes the signatures and the
经办意见, the leader registers it with the 审批意见 (`register_emergency`, a leader's move).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import DeadlineKind
from cases.workflow import CaseStatus


@dataclass(frozen=True)
class NextStep:
    what: str
    who: str
    clock: str  # DeadlineKind of the clock the step runs against

    @property
    def text(self) -> str:
        return f"下一步：{self.what} — {self.who}"


NEXT_STEPS = {
    CaseStatus.EMERGENCY_REPORTED: NextStep(
        "24小时内先行救助（填写金额、事由类别、救助方式和经办意见）", "窗口经办人或分管领导",
        DeadlineKind.EMERGENCY_AID),
    CaseStatus.AID_GIVEN: NextStep(
        "5个工作日内补齐登记（补齐签字、盖章，签署审批意见后出具临时救助登记审批表）",
        "窗口经办人补齐手续，分管领导登记审批", DeadlineKind.EMERGENCY_REGISTRATION),
}

# The two emergency lists of the work pages: (code, title, status, clock kind).
EMERGENCY_GROUPS = (
    ("emergency-aid", "急难求助、待先行救助（24小时）", CaseStatus.EMERGENCY_REPORTED,
     DeadlineKind.EMERGENCY_AID),
    ("emergency-registration", "已先行救助、待补齐登记（5个工作日）", CaseStatus.AID_GIVEN,
     DeadlineKind.EMERGENCY_REGISTRATION),
)


def next_step(case, clocks: list | None = None) -> dict | None:
    """The next step of an emergency case, who takes it and the time left on its clock.
    `clocks`: the case's `clock_rows`, when the page has read them already."""
    step = NEXT_STEPS.get(case.status)
    if step is None:
        return None
    if clocks is None:
        from cases.deadline_state import clock_rows

        clocks = clock_rows(case)
    row = next((r for r in reversed(clocks) if r.deadline.kind == step.clock), None)
    return {"text": step.text, "what": step.what, "who": step.who,
            "due_at": row.deadline.due_at if row else None, "left": row.left_label if row else "",
            "state": row.state if row else ""}
