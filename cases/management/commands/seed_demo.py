"""Load the demo: roles, the README's users, 42 households and cases in every state."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "载入演示数据（仅用于演示环境；重复运行不会重复创建）。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="在 DEBUG 关闭的环境中仍然载入（请勿用于生产）。")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG 已关闭：为防止误入生产环境，演示数据未载入。确需载入请加 --force。")
        result = seed_all()
        # The bureau's dashboard reads precomputed monthly figures: compute them now, so the
        # demo does not open on all-zero figures until someone presses 立即更新统计.
        from oversight.aggregates import refresh_dashboard

        stats = refresh_dashboard()
        self.stdout.write(f"全区总览统计已更新：{stats.months}个月，共{stats.rows}行。")
        self.stdout.write(self.style.SUCCESS(
            f"演示数据已就绪：{len(result['users'])} 个用户，{len(result['households'])} 户家庭，"
            f"新建 {len(result['cases'])} 件案件。"
            f"演示密码：{DEMO_PASSWORD}"))
