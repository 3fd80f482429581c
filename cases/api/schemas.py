"""What the API reads and writes: output schemas and the request bodies of the transitions.

Personal data follows the pages: ID numbers are masked, phone numbers and bank accounts are
not returned at all (the bank roster export is the one place they leave the system, logged).
Every string a client sends is checked for NUL and lone surrogates, which no database column
can store, so a malformed request is a 400, never a database error.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field, WithJsonSchema

from cases.models import (
    AidMethod,
    Appraisal,
    DeadlineKind,
    DeadlineStatus,
    DeadlineUnit,
    EmergencyCause,
    Objection,
)
from cases.workflow import CaseKind, CaseStatus


def storable(value: str) -> str:
    if "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("包含无法保存的控制字符。")
    return value


def Text(max_length: int, *, min_length: int = 0):  # noqa: N802 - a type factory
    """A storable string of at most `max_length` characters."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length),
                     AfterValidator(storable)]


LongText = Text(2000)
RequiredText = Text(2000, min_length=1)
Money = Annotated[
    Decimal, Field(gt=Decimal("0"), max_digits=10, decimal_places=2),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": 99999999.99,
                    "description": "元，最多两位小数"}),
]
CaseStatusValue = Literal[tuple(CaseStatus.values)]  # type: ignore[valid-type]
CaseKindValue = Literal[tuple(CaseKind.values)]  # type: ignore[valid-type]


# --- Errors -----------------------------------------------------------------------------------

class ErrorOut(Schema):
    """A refusal: `code` for programs, `message` (Chinese) for people."""

    code: str
    message: str
    errors: dict[str, list[str]] = Field(default_factory=dict,
                                         description="字段名 → 该字段的错误说明")


# --- Places and people ------------------------------------------------------------------------

class PlaceOut(Schema):
    id: int
    code: str
    name: str


class PersonBrief(Schema):
    id: int
    name: str
    masked_id: str = Field(description="脱敏的公民身份号码")


class MemberOut(PersonBrief):
    relationship: str
    relationship_label: str
    gender: str
    birth_date: dt.date


# --- Households -------------------------------------------------------------------------------

class HouseholdOut(Schema):
    id: int
    township: PlaceOut
    village: PlaceOut
    address: str
    hukou_type: str
    head: PersonBrief | None
    member_count: int
    updated_at: dt.datetime


class CaseBrief(Schema):
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    applied_at: dt.datetime


class HouseholdDetail(HouseholdOut):
    members: list[MemberOut]
    cases: list[CaseBrief]


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[HouseholdOut]


# --- Cases ------------------------------------------------------------------------------------

class CaseOut(CaseBrief):
    township: PlaceOut
    village: PlaceOut
    household_id: int
    applicant: PersonBrief
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    next_due_at: dt.datetime | None = Field(description="最近一个计时中时限的到期时间")


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseOut]


class ActionOut(Schema):
    name: str
    label: str
    clauses: list[str]
    blocked_by: list[str] = Field(description="尚未满足的条件（中文说明）")
    endpoint: str


class DeadlineOut(Schema):
    id: int
    case_id: int
    case_number: str
    kind: str
    kind_label: str
    clause: str
    unit: str
    unit_label: str
    amount: int
    start_at: dt.datetime
    due_at: dt.datetime
    calendar_confirmed: bool
    status: str
    status_label: str
    state: str = Field(description="ok / at_risk / breached / paused / met / met_late / "
                                   "cancelled")
    settled_at: dt.datetime | None


class DeadlinePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DeadlineOut]


class EventOut(Schema):
    seq: int
    at: dt.datetime
    action: str
    action_label: str
    actor: str
    from_status: str
    to_status: str
    note: str


class DocumentOut(Schema):
    id: int
    kind: str
    title: str
    number: str
    case_id: int | None
    household_id: int
    township: str
    issued_at: dt.datetime
    pages: int
    size: int
    sha256: str
    superseded: bool
    pdf_url: str


class DocumentPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DocumentOut]


class PublicityOut(Schema):
    posted_at: dt.datetime = Field(description="公示单张贴在村(社区)公示栏的时间")
    first_day: dt.date = Field(description="公示期第1日（张贴次日）")
    last_day: dt.date = Field(description="公示期最后一日")
    ends_at: dt.datetime = Field(description="公示期截止时刻（最后一日23:59:59，北京时间）")


class CaseDetail(CaseOut):
    publicity: PublicityOut | None = Field(
        None, description="审批公示期；公示单尚未确认张贴时为空")
    hardship: str
    proposed_amount: Decimal | None
    approved_amount: Decimal | None
    covered_persons: int | None
    review_opinion: str
    decision_reason: str
    aid_amount: Decimal | None
    assessment_id: int | None = Field(description="拟保障金额依据的保障金额计算")
    amount_overridden: bool = Field(description="金额与计算结果不一致（已写明理由）")
    override_reason: str
    actions: list[ActionOut]
    deadlines: list[DeadlineOut]
    events: list[EventOut]
    documents: list[DocumentOut]


# --- Transition bodies (one per action form in cases.forms_case) ------------------------------

class NoteIn(Schema):
    note: LongText = ""


class WithdrawIn(Schema):
    note: RequiredText = Field(description="申请人撤回申请的方式和理由")


class ReasonIn(Schema):
    reason: RequiredText = Field(description="理由（将写入告知书）")


class RecheckIn(Schema):
    content: RequiredText = Field(description="申请人对核对结果的异议")
    channel: Literal[tuple(Objection.Channel.values)]  # type: ignore[valid-type]


class ObjectionIn(Schema):
    content: RequiredText = Field(description="异议内容")
    channel: Literal["in_person", "phone", "letter"] = Field(
        description="提出方式：当面、电话或信件（网上异议由公开页面提出）")
    lodged_at: dt.datetime | None = Field(
        None, description="异议提出时间，默认为现在；须在公示期内（张贴起至最后一日24时）")


class ProposeApprovalIn(Schema):
    opinion: RequiredText = Field(description="审核意见")
    amount: Money | None = Field(None,
                                 description="改定拟保障金额(元/月)；省略则按保障金额计算结果")
    covered_persons: int | None = Field(None, ge=1, le=30,
                                        description="改定保障人数；省略则按保障金额计算结果")
    override_reason: LongText = Field("", description="与计算结果不一致的理由（不一致时必填）")


class AdjustIn(Schema):
    reason: RequiredText = Field(description="调整理由")
    amount: Money | None = Field(None,
                                 description="改定调整后金额(元/月)；省略则按保障金额计算结果")
    override_reason: LongText = Field("", description="与计算结果不一致的理由（不一致时必填）")


class AmountReasonIn(Schema):
    amount: Money
    reason: RequiredText


class GiveAidIn(AmountReasonIn):
    cause: Literal[tuple(EmergencyCause.values)] = Field(  # type: ignore[valid-type]
        description="事由类别")
    method: Literal[tuple(AidMethod.values)] = Field(  # type: ignore[valid-type]
        description="救助方式：cash 发放现金、in_kind 发放实物、referral 转介服务")
    handling_opinion: RequiredText = Field(description="经办意见")


class RegisterEmergencyIn(GiveAidIn):
    leader_opinion: RequiredText = Field(description="审批意见（分管领导）")
    paperwork_complete: bool = Field(description="经办人签字、盖章手续已补齐")


def _plain_name(value: str) -> str:
    if any(ch in value for ch in ",，\r\n"):
        raise ValueError("姓名和身份中不能含逗号或换行。")
    return value


PlainName = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(storable),
                      AfterValidator(_plain_name)]


class ParticipantIn(Schema):
    name: PlainName
    capacity: Annotated[str, Field(max_length=40), AfterValidator(storable),
                        AfterValidator(_plain_name)] = ""


class AppraisalIn(Schema):
    held_on: dt.date
    place: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(storable)]
    chair: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(storable)]
    recorder: Annotated[str, Field(min_length=1, max_length=40), AfterValidator(storable)]
    participants: list[ParticipantIn] = Field(
        min_length=1, max_length=200,
        description="参加人员及身份；人数下限与可选身份见系统设置，由服务统一检查")
    votes_for: int = Field(ge=0, le=10000)
    votes_against: int = Field(ge=0, le=10000)
    votes_abstain: int = Field(ge=0, le=10000)
    outcome: Literal[tuple(Appraisal.Outcome.values)]  # type: ignore[valid-type]
    notes: LongText = ""
    scan_base64: str | None = Field(
        None, max_length=28_000_000,
        description="全体参加人员签字的民主评议记录扫描件（PDF、JPG或PNG），Base64 编码；必填")
    scan_name: Annotated[str, Field(max_length=100)] = "scan"


# Choices offered as query filters.
DeadlineKindValue = Literal[tuple(DeadlineKind.values)]  # type: ignore[valid-type]
DeadlineStatusValue = Literal[tuple(DeadlineStatus.values)]  # type: ignore[valid-type]
DeadlineUnitValue = Literal[tuple(DeadlineUnit.values)]  # type: ignore[valid-type]


# --- Evidence ---------------------------------------------------------------------------------

class HomeVisitIn(Schema):
    """A 入户调查 (S4), with the fields of the case page's form."""

    visited_on: dt.date = Field(description="调查日期：不早于案件受理日期，不晚于今天（北京时间）")
    investigators: list[PlainName] = Field(min_length=2, max_length=10,
                                           description="调查人员姓名，至少两人")
    findings: RequiredText = Field(description="调查情况")


class HomeVisitOut(Schema):
    id: int
    case_id: int
    visited_on: dt.date
    investigators: list[str]
    findings: str
