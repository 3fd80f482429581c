"""Write a signed checkpoint of every case trail's head to AUDIT_CHECKPOINT_DIR."""

from django.core.management.base import BaseCommand

from cases.checkpoints import checkpoint_write


class Command(BaseCommand):
    help = "把全部案件轨迹的末端写入带签名的检查点文件（AUDIT_CHECKPOINT_DIR，数据库之外）。"

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint-dir", default=None,
                            help="检查点目录（默认 AUDIT_CHECKPOINT_DIR）")

    def handle(self, *args, **options):
        record = checkpoint_write(directory=options["checkpoint_dir"])
        self.stdout.write(self.style.SUCCESS(
            f"检查点已写入：{record['taken_at']}，{record['cases']} 个案件，"
            f"{record['events']} 条事件（{record['heads_file']}）。"))
