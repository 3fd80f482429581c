"""The rules of the 2019 Lanshan document in words, for what users read.

Clause ids (S1–S22, docs/clauses.md) are for code, tests and docs; a page, notice or reminder
names the rule in words instead ("依据规定，审批公示7天").
"""

from __future__ import annotations

CLAUSE_WORDS: dict[str, str] = {
    "S1": "审批权限下放至镇街",
    "S2": "先签核对授权书后受理（核对前置）",
    "S3": "受理并出具受理通知书",
    "S4": "受理后20个工作日内完成核对、入户调查并提出审核意见",
    "S5": "对核对结果有异议的，10个工作日内复查",
    "S6": "审批公示7天",
    "S7": "公示期满无异议的，由分管领导审批",
    "S8": "不符合条件的，书面告知理由",
    "S9": "取消审核阶段公示和常规民主评议",
    "S10": "公示有异议的，组织民主评议",
    "S11": "急难型临时救助24小时内先行救助，5个工作日内补齐手续",
    "S12": "20个工作日内作出审批决定",
    "S13": "使用规范文书",
    "S14": "尽量减少申请材料",
    "S15": "一次告知、一次填写，最多跑一次",
    "S16": "告知书及时送达",
    "S17": "环环有痕迹、步步能倒查",
    "S18": "一户一档",
    "S19": "核对专人办理、严格保密",
    "S20": "线上办理、线上核对",
    "S21": "一门受理、协同办理",
    "S22": "公示栏和政策明白纸",
}


def clause_words(clause: str) -> str:
    """The rule of `clause` in words; "" for an unknown or empty id (never the id itself)."""
    return CLAUSE_WORDS.get((clause or "").strip(), "")
