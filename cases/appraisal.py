"""The democratic appraisal's rule (民主评议, S10): who may take part, and when it passes.

Pure checks, no database: `cases.services.case_record_appraisal` — the one appraisal service
every path calls (case page, API, the publicity appraisal page, the admin, the demo) — runs
them. The pass share, the fewest participants and the roles come from the settings
(`APPRAISAL_PASS_SHARE`, `APPRAISAL_MIN_PARTICIPANTS`, `APPRAISAL_ROLES`); Lanshan has set
none of them, so the defaults are the project's (more than half of the participants in
favour; 3 people; the usual village roles).
"""

from __future__ import annotations

from fractions import Fraction

from django.conf import settings

from cases.errors import CaseActionError

SUPPORTED = "supported"
NOT_SUPPORTED = "not_supported"


def pass_share() -> Fraction:
    """The share of participants whose votes for an appraisal must exceed."""
    return Fraction(str(settings.APPRAISAL_PASS_SHARE))


def outcome_of(votes_for: int, participants: int) -> str:
    """The outcome the votes give: passed when votes for exceed the pass share of all
    participants (abstentions and absent votes count as not in favour)."""
    return SUPPORTED if votes_for > pass_share() * participants else NOT_SUPPORTED


def roles() -> list[str]:
    return list(settings.APPRAISAL_ROLES)


def check_participants(participants: list[dict]) -> list[dict]:
    """Named participants, each with a role from `APPRAISAL_ROLES`; at least the minimum."""
    fewest = settings.APPRAISAL_MIN_PARTICIPANTS
    if any(not str(p.get("name", "")).strip() for p in participants):
        raise CaseActionError("participants", "每位参加人员都须写明姓名。")
    if len(participants) < fewest:
        raise CaseActionError("participants", f"民主评议参加人员不少于{fewest}人。")
    allowed = roles()
    wrong = [p for p in participants if str(p.get("capacity", "")).strip() not in allowed]
    if wrong:
        names = "、".join(str(p.get("name", "")).strip() for p in wrong[:5])
        raise CaseActionError(
            "participants",
            f"请写明每位参加人员的身份（{'、'.join(allowed)}之一）：{names}的身份未填写或不在其中。")
    return participants


def check_votes(*, votes_for: int, votes_against: int, votes_abstain: int, outcome: str,
                participants: int) -> None:
    """Votes that add up, and an outcome that follows from them by the pass rule."""
    votes = (votes_for, votes_against, votes_abstain)
    if any(v is None or v < 0 for v in votes):
        raise CaseActionError("votes", "票数不能为负数。")
    if sum(votes) == 0:
        raise CaseActionError("votes", "请填写表决票数。")
    if sum(votes) > participants:
        raise CaseActionError("votes",
                              f"表决票数之和（{sum(votes)}）超过参加人数（{participants}）。")
    if outcome not in (SUPPORTED, NOT_SUPPORTED):
        raise CaseActionError("outcome", "请选择评议结果。")
    expected = outcome_of(votes_for, participants)
    if outcome != expected:
        share = pass_share()
        rule = "过半数" if share == Fraction(1, 2) else f"超过{share.numerator}/{share.denominator}"
        verdict = "评议通过" if expected == SUPPORTED else "评议未通过"
        raise CaseActionError(
            "outcome",
            f"评议结果须与表决一致：参加{participants}人、同意{votes_for}票，"
            f"按同意票须{rule}参加人数的规则，结果应为“{verdict}”。")
