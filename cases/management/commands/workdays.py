"""Working-day arithmetic on the official calendar, for staff and scripts.

    python manage.py workdays add 2026-09-28 20        -> 2026-10-30
    python manage.py workdays count 2026-09-28 2026-10-30  -> 20

The start day is not counted (see `cases.calendar`). A date in a year whose holiday schedule
is unknown is an error (exit status 1), never a guess.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from cases.calendar import CalendarUnknownYear, add_workdays, count_workdays


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"无法识别日期“{text}”，日期应写成YYYY-MM-DD，例如2026-09-28。") from exc


class Command(BaseCommand):
    help = "按法定工作日（含节假日和调休）计算：add 起算日 工作日数；count 起算日 截止日。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True,
                                    parser_class=type(parser))
        add = sub.add_parser("add", help="起算日（不计入）后第N个工作日的日期。")
        add.add_argument("start", help="起算日期，YYYY-MM-DD")
        add.add_argument("n", type=int, help="工作日数")
        count = sub.add_parser("count", help="起算日（不计入）至截止日（计入）之间的工作日数。")
        count.add_argument("start", help="起算日期，YYYY-MM-DD")
        count.add_argument("end", help="截止日期，YYYY-MM-DD")

    def handle(self, *args, **options):
        start = _date(options["start"])
        try:
            if options["action"] == "add":
                if options["n"] < 0:
                    raise CommandError("工作日数不能为负数。")
                self.stdout.write(add_workdays(start, options["n"]).isoformat())
            else:
                end = _date(options["end"])
                if end < start:
                    raise CommandError("截止日期不能早于起算日期。")
                self.stdout.write(str(count_workdays(start, end)))
        except CalendarUnknownYear as exc:
            raise CommandError(str(exc)) from exc
