"""Delete stored PDFs that no issued document refers to (left by rolled-back issues)."""

import datetime as dt

from django.core.management.base import BaseCommand

from documents.services import documents_sweep_orphans, unreferenced_files


class Command(BaseCommand):
    help = "删除未被任何已出具文书引用的PDF文件（事务回滚遗留），仅处理超过指定时长的文件。"

    def add_arguments(self, parser):
        parser.add_argument("--older-than-minutes", type=int, default=60)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, older_than_minutes: int, dry_run: bool, **options):
        if dry_run:
            for name in unreferenced_files():
                self.stdout.write(f"未引用：{name}")
            return
        removed = documents_sweep_orphans(older_than=dt.timedelta(minutes=older_than_minutes))
        for name in removed:
            self.stdout.write(f"已删除：{name}")
        self.stdout.write(self.style.SUCCESS(f"共删除{len(removed)}个未引用的文件。"))
