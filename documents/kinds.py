"""The standard document set (S13): one entry per kind, one template per kind.

Each kind carries what the renderer and the issuing service need: its template, its Chinese
title, the short prefix used in its number (兰山街道〔2026〕受字第0001号), whether it is a notice
addressed to the applicant, whether the law requires a delivery record for it (S16), whether it
is issued once per adult member, and whether it carries the township's seal and the leader's
signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class KindSpec:
    template: str
    title: str
    prefix: str
    to_applicant: bool = False
    needs_delivery: bool = False
    per_member: bool = False
    sealed: bool = False
    leader_signs: bool = False  # the leader in charge signs (their signature image is used)
    signature_block: bool = False  # base_notice prints the 经办人/分管领导 lines
    prints_hotline: bool = False  # its template prints the township's hotline (咨询电话)
    clauses: tuple[str, ...] = ()


class DocumentKind(models.TextChoices):
    """Values are what the case services pass (`cases.services._issue`); labels are Chinese."""

    APPLICATION = "application", "社会救助申请书"
    AUTHORIZATION = "authorization", "家庭经济状况核对授权书"
    DECLARATION = "declaration", "诚信声明及承诺书"
    PROXY = "proxy", "委托授权书"
    ONE_TIME_NOTICE = "one_time_notice", "一次性告知书"
    ACCEPTANCE = "acceptance_notice", "受理通知书"
    HOME_VISIT = "home_visit", "入户调查表"
    VERIFICATION_REPORT = "verification_report", "家庭经济状况核对报告"
    RECHECK_REPORT = "recheck_report", "家庭经济状况复核报告"
    APPROVAL_FORM = "approval_table", "审核审批表"
    APPROVAL_NOTICE = "approval_notice", "批准通知书"
    REJECTION = "rejection_notice", "不予批准告知书"
    ADJUSTMENT = "adjustment_notice", "低保金调整(停发)告知书"
    TEMP_REGISTRATION = "temporary_assistance_form", "临时救助登记审批表"
    APPRAISAL_RECORD = "appraisal_record", "民主评议记录"
    DELIVERY_RECEIPT = "delivery_receipt", "送达回证"

    @property
    def spec(self) -> KindSpec:
        return SPECS[self]

    @property
    def template(self) -> str:
        return SPECS[self].template

    @property
    def title(self) -> str:
        return SPECS[self].title

    @property
    def prefix(self) -> str:
        return SPECS[self].prefix

    @property
    def needs_delivery(self) -> bool:
        return SPECS[self].needs_delivery


K = DocumentKind
_T = "documents/kinds/"

SPECS: dict[DocumentKind, KindSpec] = {
    K.APPLICATION: KindSpec(_T + "application.html", "社会救助申请书", "申",
                            clauses=("S15",)),
    K.AUTHORIZATION: KindSpec(_T + "authorization.html", "家庭经济状况核对授权书", "授",
                              per_member=True, clauses=("S2", "S15")),
    K.DECLARATION: KindSpec(_T + "declaration.html", "诚信声明及承诺书", "诚",
                            clauses=("S15",)),
    K.PROXY: KindSpec(_T + "proxy.html", "委托授权书", "委", clauses=("S15",)),
    K.ONE_TIME_NOTICE: KindSpec(_T + "one_time_notice.html", "社会救助申请一次性告知书", "告",
                                to_applicant=True, sealed=True, prints_hotline=True,
                                clauses=("S14", "S15")),
    K.ACCEPTANCE: KindSpec(_T + "acceptance.html", "社会救助申请受理通知书", "受",
                           to_applicant=True, sealed=True, prints_hotline=True, clauses=("S3",)),
    K.HOME_VISIT: KindSpec(_T + "home_visit.html", "入户调查登记表", "查", clauses=("S4",)),
    K.VERIFICATION_REPORT: KindSpec(_T + "verification_report.html", "家庭经济状况核对报告",
                                    "核", clauses=("S4",)),
    K.RECHECK_REPORT: KindSpec(_T + "recheck_report.html", "家庭经济状况复核报告", "复核",
                               sealed=True, leader_signs=True, signature_block=True,
                               clauses=("S5",)),
    K.APPROVAL_FORM: KindSpec(_T + "approval_form.html", "社会救助审核审批表", "审批",
                              sealed=True, leader_signs=True, clauses=("S7", "S18")),
    K.APPROVAL_NOTICE: KindSpec(_T + "approval_notice.html", "社会救助批准通知书", "批",
                                to_applicant=True, sealed=True, leader_signs=True,
                                signature_block=True, prints_hotline=True, clauses=("S7",)),
    K.REJECTION: KindSpec(_T + "rejection.html", "不予批准告知书", "不批",
                          to_applicant=True, needs_delivery=True, sealed=True,
                          leader_signs=True, signature_block=True, prints_hotline=True,
                          clauses=("S8", "S16")),
    K.ADJUSTMENT: KindSpec(_T + "adjustment.html", "低保金调整(停发)告知书", "调",
                           to_applicant=True, needs_delivery=True, sealed=True,
                           leader_signs=True, signature_block=True, prints_hotline=True,
                           clauses=("S16",)),
    K.TEMP_REGISTRATION: KindSpec(_T + "temp_registration.html", "临时救助登记审批表", "临",
                                  sealed=True, leader_signs=True, clauses=("S11",)),
    K.APPRAISAL_RECORD: KindSpec(_T + "appraisal_record.html", "民主评议记录", "评",
                                 clauses=("S10",)),
    K.DELIVERY_RECEIPT: KindSpec(_T + "delivery_receipt.html", "送达回证", "送",
                                 sealed=True, clauses=("S16",)),
}

# The signature bundle of one acceptance visit (S15), in printing order.
BUNDLE_KINDS: tuple[DocumentKind, ...] = (
    K.APPLICATION, K.AUTHORIZATION, K.DECLARATION, K.PROXY, K.ONE_TIME_NOTICE,
)
# Adverse decisions: the notice states the applicant's remedies (documents/remedies.py).
ADVERSE_KINDS = frozenset({K.REJECTION, K.ADJUSTMENT})
# Kinds addressed to the applicant (a delivery may be recorded for any of them).
APPLICANT_NOTICE_KINDS = frozenset(k for k, s in SPECS.items() if s.to_applicant)
# Kinds whose delivery must be on record, with a phone record when delivery fails (S16).
DELIVERY_REQUIRED_KINDS = frozenset(k for k, s in SPECS.items() if s.needs_delivery)

# Kinds that print the township's hotline: never issued while the township has none.
HOTLINE_KINDS = frozenset(k for k, s in SPECS.items() if s.prints_hotline)

assert set(SPECS) == set(DocumentKind), "every document kind needs a spec"  # noqa: S101
