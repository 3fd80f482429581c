"""Recompute every case's keyed event chain, hold it to its head and to the latest signed
checkpoint; check every approved amount and every issued document's row against the trail,
and every document's file against its row.

Exit 0 when everything is intact; exit 1 naming each problem otherwise.
"""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from cases.checkpoints import checkpoint_read
from cases.trail import verify_all


class Command(BaseCommand):
    help = ("校验全部案件轨迹的密钥哈希链、轨迹末端与最近的签名检查点，及已出具文书的哈希。"
            "完好返回0，发现问题返回1。")

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint-dir", default=None,
                            help="检查点目录（默认 AUDIT_CHECKPOINT_DIR）")
        parser.add_argument("--as-of", default=None,
                            help="只用此时刻（ISO 8601，UTC）及以前的检查点，"
                                 "如恢复备份时用备份时刻")

    def handle(self, *args, **options):
        as_of = None
        if options["as_of"]:
            try:
                as_of = dt.datetime.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(f"--as-of 不是有效的时刻：{options['as_of']}") from None
            if as_of.tzinfo is None:
                as_of = as_of.replace(tzinfo=dt.UTC)
        reading = checkpoint_read(directory=options["checkpoint_dir"], as_of=as_of)
        broken = 0
        for problem in reading.problems:
            broken += 1
            self.stderr.write(problem)
        if reading.record is None:
            self.stdout.write("注意：没有可用的签名检查点，只校验哈希链与轨迹末端。")
        else:
            self.stdout.write(f"对照检查点：{reading.record['taken_at']}"
                              f"（{reading.record['cases']} 个案件）。")
        if reading.later:
            self.stdout.write(f"注意：有 {reading.later} 个检查点晚于 {as_of.isoformat()}，"
                              "未用于比对（其后写入的事件不在本库中属正常）。")
        for found in verify_all(checkpoint=reading.heads if reading.record else None):
            broken += 1
            event = f"（事件ID {found.event_id}）" if found.event_id else ""
            self.stderr.write(f"案件轨迹被篡改：案件ID {found.case_id}，"
                              f"第{found.seq}条事件{event}：{found.reason}")
        for problem in [*_amount_problems(), *_document_problems()]:
            broken += 1
            self.stderr.write(problem)
        if broken:
            self.stderr.write(f"校验未通过：发现 {broken} 处问题。")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("校验通过：全部轨迹与文书完好。"))


def _amount_problems() -> list[str]:
    """Cases whose approved amount (what the roster pays) is not the amount the keyed trail
    last recorded for them (`sign_off`, then each `adjust`): the row changed behind the
    services' back."""
    from decimal import Decimal, InvalidOperation

    from cases.models import Case, CaseEvent

    recorded: dict[int, object] = {}
    for case_id, action, payload in CaseEvent.objects.filter(
            action__in=("sign_off", "adjust")).order_by("case_id", "seq").values_list(
            "case_id", "action", "payload").iterator():
        if isinstance(payload, dict):
            recorded[case_id] = payload.get("amount" if action == "sign_off" else "new_amount")
    problems = []
    for pk, number, amount in Case.objects.filter(approved_amount__isnull=False).order_by(
            "pk").values_list("pk", "number", "approved_amount").iterator():
        try:
            matches = pk in recorded and Decimal(str(recorded[pk])) == amount
        except (InvalidOperation, ValueError):
            matches = False
        if not matches:
            problems.append(f"案件 {number}（ID {pk}）：核定保障金额{amount}元与案件轨迹记录的"
                            f"{recorded.get(pk, '（无记录）')}不符")
    return problems


def _document_problems() -> list[str]:
    """Issued documents whose stored PDF no longer matches its recorded SHA-256, or whose
    recorded SHA-256 is not the one the (keyed) trail recorded when it was issued."""
    from cases.models import CaseEvent
    from documents.models import IssuedDocument
    from documents.services import verify_documents

    problems = [str(p) for p in verify_documents()]
    issued = {}
    for payload in CaseEvent.objects.filter(action="document_issued").values_list(
            "payload", flat=True).iterator():
        if isinstance(payload, dict) and "document_id" in payload:
            issued[payload["document_id"]] = payload.get("sha256")
    for pk, number, digest in IssuedDocument.objects.order_by("pk").values_list(
            "pk", "number", "sha256").iterator():
        if pk not in issued:
            problems.append(f"文书 {number}（ID {pk}）：案件轨迹中没有出具记录")
        elif issued[pk] != digest:
            problems.append(f"文书 {number}（ID {pk}）：登记的SHA-256与案件轨迹出具时记录的不符")
    return problems
