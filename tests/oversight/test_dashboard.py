"""The district bureau's dashboard (全区总览): access, aggregates, live figures, query count,
SVG charts, the calendar warning and the Excel download."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cases.calendar import count_workdays
from cases.deadlines import SHANGHAI
from cases.models import CalendarYear, Township
from cases.workflow import CaseKind
from oversight.aggregates import refresh_dashboard
from oversight.dashboard import LIVE_CACHE_KEY
from oversight.models import DashboardRefresh, TownshipMonthStat

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 26)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def _stat(township, month: dt.date) -> TownshipMonthStat:
    return TownshipMonthStat.objects.get(township=township, month=month)


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.clause("S1")
def test_only_district_bureau_staff_open_the_dashboard(client, bureau, superuser, clerk_a,
                                                       leader_a, verifier_a, sysadmin):
    for user, status in ((bureau, 200), (superuser, 200), (clerk_a, 403), (leader_a, 403),
                         (verifier_a, 403), (sysadmin, 403)):
        client.force_login(user)
        assert client.get(reverse("bureau_dashboard")).status_code == status, user
        assert client.get(reverse("bureau_dashboard_excel")).status_code == status, user
        assert client.post(reverse("bureau_dashboard_refresh")).status_code in (
            (302,) if status == 200 else (403,)), user


def test_the_navigation_shows_the_dashboard_to_the_bureau_only(client, bureau, clerk_a):
    link = f'href="{reverse("bureau_dashboard")}"'
    client.force_login(bureau)
    assert link in client.get(reverse("case_list")).content.decode()
    client.force_login(clerk_a)
    assert link not in client.get(reverse("case_list")).content.decode()


# --- Aggregates -----------------------------------------------------------------------------


def test_the_refresh_counts_each_township_and_month(mark_decided, township_a, township_b,
                                                    village_b, clerk_b, leader_a):
    from cases.permissions import Role
    from tests.factories import make_user

    staff_b = (clerk_b, make_user("verifier_b", Role.VERIFIER, townships=[township_b]),
               make_user("leader_b", Role.LEADER, townships=[township_b]))
    decided = dt.date(2026, 11, 20)
    applied = [dt.date(2026, 11, 16), dt.date(2026, 11, 2), dt.date(2026, 10, 9)]
    for day, amount in zip(applied, ("500.00", "650.50", "700.00"), strict=True):
        mark_decided("approved", applied_at=at(day), decided_at=at(decided),
                     amount=Decimal(amount))
    mark_decided("rejected", applied_at=at(dt.date(2026, 10, 20)),
                 decided_at=at(dt.date(2026, 10, 30)))
    mark_decided("closed", kind=CaseKind.TEMP_EMERGENCY, applied_at=at(decided),
                 decided_at=at(decided), amount=Decimal("2000.00"))  # no 20-day limit
    mark_decided("approved", village=village_b, staff=staff_b, applied_at=at(decided),
                 decided_at=at(dt.date(2026, 11, 23)), amount=Decimal("300.00"))

    result = refresh_dashboard(today=TODAY)

    assert result.rows == Township.objects.count() * 12
    november, october = dt.date(2026, 11, 1), dt.date(2026, 10, 1)
    a_nov, a_oct = _stat(township_a, november), _stat(township_a, october)
    assert (a_nov.approvals, a_nov.rejections) == (4, 0)  # three 低保 and the emergency aid
    assert (a_oct.approvals, a_oct.rejections) == (0, 1)
    assert a_nov.approved_amount == Decimal("1850.50")  # 低保 only, not the one-off aid
    workdays = sorted(count_workdays(day, decided) for day in applied)
    assert workdays[-1] > 20 >= workdays[1]
    assert a_nov.timed_decisions == 3
    assert a_nov.median_workdays == workdays[1]
    assert a_nov.over_limit == 1
    assert a_oct.median_workdays == count_workdays(dt.date(2026, 10, 20),
                                                   dt.date(2026, 10, 30))
    # Applications by the month applied for (October: the 10-09 and 10-20 applications).
    assert a_oct.applications == 2
    assert a_nov.applications == 3
    assert _stat(township_b, november).approvals == 1
    assert _stat(township_b, november).approved_amount == Decimal("300.00")
    assert DashboardRefresh.objects.get().rows == result.rows


def test_the_refresh_replaces_its_months_and_can_run_again(mark_decided, township_a):
    mark_decided("approved", applied_at=at(dt.date(2026, 11, 10)),
                 decided_at=at(dt.date(2026, 11, 20)))
    refresh_dashboard(today=TODAY)
    refresh_dashboard(today=TODAY)
    assert TownshipMonthStat.objects.count() == Township.objects.count() * 12
    assert _stat(township_a, dt.date(2026, 11, 1)).approvals == 1
    assert DashboardRefresh.objects.count() == 2


@pytest.mark.clause("S18")
def test_approval_tables_reported_to_the_district_are_counted(decide, township_a, client,
                                                              bureau):
    """clause: S1"""
    decide("approved", days_ago=12)
    call_command("refresh_dashboard", stdout=io.StringIO())
    total = sum(TownshipMonthStat.objects.filter(township=township_a)
                .values_list("reports_received", flat=True))
    assert total == 1
    client.force_login(bureau)
    page = client.get(reverse("bureau_dashboard"))
    row = next(r for r in page.context["board"].rows if r.township == township_a)
    assert row.totals.reports_received == 1
    assert row.reports_unacknowledged == 1


def test_the_task_and_the_command_refresh(client, bureau):
    client.force_login(bureau)
    client.post(reverse("bureau_dashboard_refresh"))  # eager in tests
    out = io.StringIO()
    call_command("refresh_dashboard", "--months", "3", stdout=out)
    assert "已更新3个月的统计" in out.getvalue()
    assert DashboardRefresh.objects.count() == 2


# --- The page ---------------------------------------------------------------------------------


def _queries(client, *, cached: bool = False) -> int:
    if not cached:
        cache.delete(LIVE_CACHE_KEY)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("bureau_dashboard"))
    assert response.status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_cases_or_townships_rows(
        client, bureau, decide, mark_decided, village_a2, village_b, clerk_b, verifier_b,
        leader_b):
    decide("investigating", days_ago=3)
    refresh_dashboard()
    client.force_login(bureau)
    _queries(client)  # warm the per-process caches (calendar years, content types)
    few = _queries(client)
    decide("investigating", days_ago=40)  # a breached decision clock
    mark_decided("approved", n=3)
    mark_decided("rejected", n=2)
    mark_decided("awaiting_sign_off", n=2, village=village_b,
                 staff=(clerk_b, verifier_b, leader_b))
    mark_decided("in_publicity", n=2, village=village_a2)
    refresh_dashboard()
    many = _queries(client)
    assert many == few
    # From the cache: no open-case count, no clock count, no override count, no calendar
    # read for the cut-off.
    assert _queries(client, cached=True) == few - 4
    board = client.get(reverse("bureau_dashboard")).context["board"]
    assert board.district.open_total == 6
    assert board.district.breached >= 1
    assert board.district.totals.approvals == 3


def test_the_page_shows_figures_svg_charts_and_the_refresh_time(client, bureau, township_a,
                                                                mark_decided):
    mark_decided("approved", n=2, amount=Decimal("650.00"))
    mark_decided("investigating")
    refresh_dashboard()
    client.force_login(bureau)
    response = client.get(reverse("bureau_dashboard"))
    html = response.content.decode()
    assert html.count("<svg") == 2
    assert "全区每月申请与决定" in html and "申请至决定用时中位数" in html
    assert "时限20个工作日" in html
    assert township_a.name in html
    assert "月度统计更新于" in html
    assert "1,300.00" in html  # 新批低保月保障金, yuan
    assert reverse("verification_access_log") in html
    assert "<script" not in html.split("</head>")[1]  # charts need no script
    row = next(r for r in response.context["board"].rows if r.township == township_a)
    assert row.totals.approvals == 2 and row.open_total == 1


def test_before_the_first_refresh_the_page_says_so(client, bureau):
    client.force_login(bureau)
    assert "月度统计尚未生成" in client.get(reverse("bureau_dashboard")).content.decode()


def test_a_missing_calendar_for_next_year_is_shown_prominently(client, bureau, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 26, 9, tzinfo=SHANGHAI))
    client.force_login(bureau)
    html = client.get(reverse("bureau_dashboard")).content.decode()
    assert 'class="alert-calendar" role="alert"' in html
    assert "尚未录入2027年的法定节假日" in html
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕X号")
    html = client.get(reverse("bureau_dashboard")).content.decode()
    assert "alert-calendar" not in html


def test_the_excel_download_has_chinese_headers_and_yuan_as_numbers(client, bureau,
                                                                    township_a, mark_decided):
    mark_decided("approved", n=2, amount=Decimal("650.25"))
    refresh_dashboard()
    client.force_login(bureau)
    response = client.get(reverse("bureau_dashboard_excel"))
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["各镇街汇总", "在办与时限", "月度趋势", "说明"]
    sheet = book["各镇街汇总"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["镇街", "申请(件)", "批准(件)", "不予批准(件)"]
    amount_col = headers.index("新批低保特困月保障金合计(元)")
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == township_a.name)
    assert row[amount_col].value == pytest.approx(1300.50)
    assert isinstance(row[amount_col].value, int | float)
    assert row[amount_col].number_format == "#,##0.00"
    assert row[2].value == 2
    assert [r[0].value for r in sheet.iter_rows(min_row=2)][-1] == "全区"
    assert book["在办与时限"].cell(1, 2).value.endswith("(件)")


def test_clocks_at_risk_and_breached_agree_with_the_sweeps_rule(client, bureau, decide):
    """The dashboard counts cases by their nearest open clock (`Case.next_due_at`); on day
    clocks this is the sweep's rule (`cases.sweep.at_risk_q` / `breached_q`) per case."""
    from django.utils import timezone

    from cases.models import Deadline
    from cases.sweep import at_risk_cutoffs, at_risk_q, breached_q, running_q

    for days_ago in (40, 27, 3):
        decide("investigating", days_ago=days_ago)
    now = timezone.now()
    clocks = Deadline.objects.filter(running_q())
    breached = set(clocks.filter(breached_q(now)).values_list("case_id", flat=True))
    at_risk = set(clocks.filter(at_risk_q(at_risk_cutoffs(now)))
                  .values_list("case_id", flat=True)) - breached
    client.force_login(bureau)
    board = client.get(reverse("bureau_dashboard")).context["board"]
    assert (board.district.breached, board.district.at_risk) == (len(breached), len(at_risk))
    assert board.district.breached >= 1


def test_live_counts_are_shared_for_a_minute_and_rewarmed_by_the_task(client, bureau,
                                                                      mark_decided):
    from oversight.tasks import warm_live_counts_task

    mark_decided("investigating")
    client.force_login(bureau)
    board = client.get(reverse("bureau_dashboard")).context["board"]
    assert board.district.open_total == 1
    mark_decided("recheck", n=2)
    board = client.get(reverse("bureau_dashboard")).context["board"]
    assert board.district.open_total == 1  # the cached minute
    assert warm_live_counts_task.delay().get() == {"townships": 12, "open": 3}
    board = client.get(reverse("bureau_dashboard")).context["board"]
    assert board.district.open_total == 3
    assert board.live_at <= dt.datetime.now(tz=SHANGHAI)
