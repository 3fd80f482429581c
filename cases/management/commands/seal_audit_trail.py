"""Seal the case trails written before AUDIT_HMAC_KEY: one keyed event after each.

Run once after upgrading (after `migrate`, before the service reopens); running it again
changes nothing. A chain appended to before it runs is sealed by that append.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Case, CaseEvent, CaseTrailHead
from cases.trail import SEAL_ACTION, seal_legacy_chain


class Command(BaseCommand):
    help = ("为启用密钥前写下的案件轨迹追加一条密钥封存事件（证明封存时的状态）。"
            "可重复运行；已封存的案件不变。")

    def handle(self, *args, **options):
        pending = (Case.objects.filter(events__isnull=False, trail_head__isnull=True)
                   .distinct().order_by("pk").values_list("pk", flat=True))
        sealed = broken = 0
        for case_id in list(pending):
            with transaction.atomic():
                Case.objects.select_for_update().filter(pk=case_id).first()
                if CaseTrailHead.objects.filter(case_id=case_id).exists():
                    continue
                seal_legacy_chain(case_id)
                event = CaseEvent.objects.get(case_id=case_id, action=SEAL_ACTION)
            sealed += 1
            if not event.payload["intact"]:
                broken += 1
                self.stderr.write(
                    f"案件ID {case_id}：封存前轨迹已损坏（第{event.payload['break_seq']}条："
                    f"{event.payload['break_reason']}），已封存并如实记录，"
                    "verify_audit 将继续报告。")
        self.stdout.write(self.style.SUCCESS(
            f"封存完成：{sealed} 个案件的旧式轨迹已加密封存，其中 {broken} 个封存前已损坏。"))
