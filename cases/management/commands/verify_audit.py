"""Recompute every case's event chain (and every issued document's hash).

Exit 0 when everything is intact; exit 1 naming the first broken event otherwise.
"""

import sys

from django.core.management.base import BaseCommand

from cases.trail import verify_all


class Command(BaseCommand):
    help = "校验全部案件轨迹的哈希链（及已出具文书的哈希）。完好返回0，发现篡改返回1。"

    def handle(self, *args, **options):
        broken = 0
        for found in verify_all():
            broken += 1
            self.stderr.write(
                f"案件轨迹被篡改：案件ID {found.case_id}，第{found.seq}条事件"
                f"（事件ID {found.event_id}）：{found.reason}")
        for problem in _document_problems():
            broken += 1
            self.stderr.write(problem)
        if broken:
            self.stderr.write(f"校验未通过：发现 {broken} 处问题。")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("校验通过：全部轨迹与文书完好。"))


def _document_problems() -> list[str]:
    """Issued documents whose stored PDF no longer matches its recorded SHA-256."""
    from documents.services import verify_documents

    return [str(p) for p in verify_documents()]
