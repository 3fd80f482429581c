"""Enter a whole year's official holiday notice from a text file (or stdin).

    python manage.py import_holidays 2027 --source "国办发明电〔2026〕X号" --file days.txt
    python manage.py import_holidays 2027 --source "..." --file - < days.txt

One line per day or range: ``2027-01-01 休 元旦``, ``2027-02-06..2027-02-12 休 春节``,
``2027-02-14 班 春节调休`` (see `cases.calendar_services`). Provisional deadlines are
recomputed in the same transaction; bad input writes nothing.
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases.calendar_services import calendar_year_import, parse_holiday_lines


class Command(BaseCommand):
    help = "录入某年国务院办公厅放假安排通知（节假日与调休上班日），并重新计算暂定的办理时限。"
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="年份，例如2027")
        parser.add_argument("--source", required=True, help="依据：通知文号或标题")
        parser.add_argument("--file", required=True,
                            help="每行“日期 休/班 说明”的文本文件（UTF-8）；“-”表示从标准输入读取")
        parser.add_argument("--by", default="", help="录入人用户名（可选）")

    def handle(self, *args, **options):
        if options["file"] == "-":
            text = (options.get("stdin") or sys.stdin).read()
        else:
            path = Path(options["file"])
            try:
                text = path.read_text(encoding="utf-8-sig")
            except FileNotFoundError as exc:
                raise CommandError(f"找不到文件“{path}”。") from exc
            except UnicodeDecodeError as exc:
                raise CommandError(f"文件“{path}”不是UTF-8编码，请另存为UTF-8后重试。") from exc
        by = None
        if options["by"]:
            by = get_user_model().objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(f"用户“{options['by']}”不存在。")
        try:
            days = parse_holiday_lines(text)
            result = calendar_year_import(year=options["year"], days=days,
                                          source=options["source"], by=by)
        except ValidationError as exc:
            raise CommandError("录入失败，未写入任何数据：\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(result.message))
