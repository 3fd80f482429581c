"""Load the demo: roles, the README's users, 42 households and cases in every state.

The demo accounts are created with the published password (`DEMO_PASSWORD`). With DEBUG off
(any deployment reachable by others) that is refused: `--force` also needs `--password`, which
replaces the published password on every account that still has it — `admin` included — and
obliges each such account to change it at its first sign-in (`accounts.services`).
"""

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.services import require_password_change
from cases.demo import DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "载入演示数据（仅用于演示环境；重复运行不会重复创建）。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="在 DEBUG 关闭的环境中仍然载入（须同时用 --password 设置密码；"
                                 "请勿用于生产）。")
        parser.add_argument("--password", default="",
                            help="演示账户（含 admin）的初始密码，代替公开的演示密码；"
                                 "各账户首次登录时须修改。DEBUG 关闭时必须提供。")

    def handle(self, *args, **options):
        password = options["password"]
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG 已关闭：为防止误入生产环境，演示数据未载入。确需载入请加 --force，"
                "并用 --password 设置不公开的初始密码。")
        if not settings.DEBUG and not password:
            raise CommandError(
                "DEBUG 已关闭：演示账户（含 admin）不能使用公开的演示密码，演示数据未载入。"
                "请用 --password 设置不公开的初始密码（各账户首次登录时须修改）。")
        if password:
            if password == DEMO_PASSWORD:
                raise CommandError("--password 不能是公开的演示密码。")
            try:
                password_validation.validate_password(password)
            except ValidationError as exc:
                raise CommandError("--password 不符合密码规则：" + "；".join(exc.messages)) from exc
        with transaction.atomic():
            result = seed_all()
            replaced = replace_published_password(password) if password else 0
        # The bureau's dashboard reads precomputed monthly figures: compute them now, so the
        # demo does not open on all-zero figures until someone presses 立即更新统计.
        from oversight.aggregates import refresh_dashboard

        stats = refresh_dashboard()
        self.stdout.write(f"全区总览统计已更新：{stats.months}个月，共{stats.rows}行。")
        shown = (f"{replaced} 个仍使用公开演示密码的账户已改用 --password 所给密码，"
                 f"首次登录须修改。" if password else f"演示密码：{DEMO_PASSWORD}")
        self.stdout.write(self.style.SUCCESS(
            f"演示数据已就绪：{len(result['users'])} 个用户，{len(result['households'])} 户家庭，"
            f"新建 {len(result['cases'])} 件案件。{shown}"))


def replace_published_password(password: str) -> int:
    """Give every account still on `DEMO_PASSWORD` the password `password` and oblige it to be
    changed at the next sign-in. Returns how many accounts were changed."""
    changed = 0
    for user in get_user_model().objects.order_by("pk"):
        if user.has_usable_password() and user.check_password(DEMO_PASSWORD):
            user.set_password(password)
            user.save(update_fields=["password"])
            require_password_change(user)
            changed += 1
    return changed
