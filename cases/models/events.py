"""The case trail (S17): append-only events, each hash-chained to the one before."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CaseEvent(models.Model):
    """One business fact about a case. Never updated or deleted (a trigger enforces it on
    PostgreSQL); `hash` = HMAC-SHA256, keyed by AUDIT_HMAC_KEY, over `prev_hash` and a
    canonical serialisation (`cases.trail`). Chains written before the key keep their plain
    SHA-256 events up to a `trail_sealed` event."""

    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT,
                             related_name="events")
    seq = models.PositiveIntegerField("序号")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True,
                              blank=True, on_delete=models.PROTECT)
    action = models.CharField("事项", max_length=40)
    from_status = models.CharField("原状态", max_length=24, blank=True)
    to_status = models.CharField("新状态", max_length=24, blank=True)
    note = models.TextField("说明", blank=True)
    payload = models.JSONField("数据", default=dict, blank=True)
    prev_hash = models.CharField("前一事件哈希", max_length=64, blank=True)
    hash = models.CharField("哈希", max_length=64)

    class Meta:
        verbose_name = "案件轨迹"
        verbose_name_plural = "案件轨迹"
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="caseevent_case_seq_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"


class CaseTrailHead(models.Model):
    """Where each case's chain ends: its last event's number and hash.

    Written by `cases.trail.append_event` in the same transaction as the event, so deleting a
    chain's last events leaves the head pointing past the end, and `verify_audit` says so. A
    trigger on PostgreSQL refuses deleting a head or moving it backwards; the signed daily
    checkpoints outside the database (`cases.checkpoints`) catch a head rewritten with the
    triggers off.
    """

    case = models.OneToOneField("cases.Case", verbose_name="案件", on_delete=models.PROTECT,
                                related_name="trail_head")
    seq = models.PositiveIntegerField("末条事件序号")
    hash = models.CharField("末条事件哈希", max_length=64)

    class Meta:
        verbose_name = "案件轨迹末端"
        verbose_name_plural = "案件轨迹末端"

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq}"


EVENT_LABELS = {
    "created": "登记申请",
    "accept": "受理",
    "incomes_declared": "录入申报月收入",
    "authorization_recorded": "录入核对授权书",
    "verification_recorded": "录入核对报告",
    "recheck_report_recorded": "录入复查报告",
    "home_visit_recorded": "录入入户调查",
    "open_recheck": "受理核对结果异议",
    "complete_recheck": "完成复查",
    "propose_approval": "审核同意并公示",
    "publicity_objection": "登记公示异议",
    "end_publicity": "公示期满无异议",
    "end_publicity_with_objection": "公示有异议，转民主评议",
    "record_appraisal": "录入民主评议",
    "sign_off": "审批同意",
    "reject": "不予批准",
    "reject_emergency": "不予救助",
    "withdraw": "撤回申请",
    "adjust": "调整保障金",
    "amount_override": "金额与计算结果不一致（已写明理由）",
    "suspend": "暂停发放",
    "resume": "恢复发放",
    "terminate": "终止保障",
    "give_aid": "先行救助",
    "register_emergency": "登记并补齐手续",
    "deadline_started": "开始计时",
    "deadline_settled": "时限办结",
    "deadline_paused": "暂停计时",
    "deadline_resumed": "恢复计时",
    "deadline_recomputed": "按新录入日历重算到期日",
    "document_issued": "出具文书",
    "periodic_review": "动态管理复核",
    "district_report_filed": "审核审批表报送区民政局",
    "district_report_acknowledged": "区民政局签收审核审批表",
    "publicity_enlisted": "列入公示批次",
    "publicity_posted": "确认公示张贴",
    "objection_handled": "登记异议处理情况",
    "appraisal_scan_filed": "上传民主评议记录扫描件",
    "payee_account_changed": "收款账户变更（经分管领导确认）",
    "trail_sealed": "轨迹加密封存（此前事件按封存时的状态认证）",
    "assessment_recorded": "计算保障金额",
    "attachment_added": "上传申请材料",
    "agent_recorded": "登记委托代理人",
    "authorization_scan_attached": "上传核对授权书扫描件",
    "delivery_receipt_attached": "上传送达回证",
    "publicity_started": "公示开始",
    "verification_requested": "发起核对查询",
    "verification_results_received": "收到核对结果",
}


def _event_label(self) -> str:
    return EVENT_LABELS.get(self.action, self.action)


def _status_label(value: str) -> str:
    from cases.workflow import CaseStatus

    return CaseStatus(value).label if value in CaseStatus.values else value


CaseEvent.action_label = property(_event_label)
CaseEvent.to_status_label = property(lambda self: _status_label(self.to_status))
