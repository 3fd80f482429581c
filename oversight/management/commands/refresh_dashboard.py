"""`python manage.py refresh_dashboard [--months 12]`: recompute the dashboard's aggregates."""

from django.core.management.base import BaseCommand

from oversight.aggregates import DASHBOARD_MONTHS, refresh_dashboard


class Command(BaseCommand):
    help = "重新计算区民政局全区总览的镇街月度统计。"

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=DASHBOARD_MONTHS,
                            help="统计最近几个月（默认12）。")

    def handle(self, *args, months: int, **options):
        result = refresh_dashboard(months=months)
        self.stdout.write(f"已更新{result.months}个月的统计，共{result.rows}行，"
                          f"用时{result.duration_ms}毫秒。")
