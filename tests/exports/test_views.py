"""The export pages: who may export, the log, the download, and the background job."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from cases import exports
from cases.models import AccessLog
from cases.workflow import CaseStatus
from tests.exports.conftest import at

pytestmark = pytest.mark.django_db
S = CaseStatus
URL = "/exports/roster/"


@pytest.fixture
def one_approved(staff, village_a, no_documents):
    from cases.demo_cases import build_case
    from tests.factories import HouseholdFactory

    household = HouseholdFactory(village=village_a, members=2)
    household.bank_account = "6200000000000000123"
    household.save(update_fields=["bank_account"])
    with at(2025, 6, 20):
        return build_case(S.APPROVED, household=household, days_ago=60, **staff)


def _xlsx(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def export(client, township, month="2025-05"):
    return client.post(URL, {"township": township.pk, "month": month})


@pytest.mark.parametrize("who", ["clerk_a", "leader_a", "bureau"])
def test_leader_clerks_and_bureau_export_with_full_numbers_and_a_log(
        request, client, who, township_a, one_approved):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = export(client, township_a)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = _xlsx(response)
    assert rows[4][5] == one_approved.household.head.id_number
    assert rows[4][7] == "6200000000000000123"
    log = AccessLog.objects.get(user=user)
    assert (log.action, log.object_type, log.object_id) == ("export", "bank_roster",
                                                           township_a.code)
    assert "2025年5月" in log.detail and "1户" in log.detail


@pytest.mark.parametrize("who", ["verifier_a", "assistant_a", "sysadmin"])
def test_other_roles_cannot_export(request, client, who, township_a, one_approved):
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = client.get(URL)
    assert page.status_code == 200
    assert "只有镇街分管领导、窗口受理员（本镇街）和区民政局可以导出" in page.content.decode()
    response = export(client, township_a)
    assert response.status_code == 400
    assert not AccessLog.objects.filter(action="export").exists()


def test_a_clerk_cannot_export_another_township(client, clerk_b, township_a, one_approved):
    client.force_login(clerk_b)
    page = client.get(URL).content.decode()
    assert township_a.name not in page
    response = export(client, township_a)
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert not AccessLog.objects.filter(action="export").exists()


def test_months_after_next_are_refused(client, clerk_a, township_a):
    with at(2025, 6, 20):
        client.force_login(clerk_a)
        response = export(client, township_a, month="2025-08")
        assert response.status_code == 400
        assert "只能导出已过去的月份、本月或下月的花名册" in response.content.decode()
        assert export(client, township_a, month="2025-7").status_code == 200
        assert export(client, township_a, month="May 2025").status_code == 400
        assert export(client, township_a, month="1999-12").status_code == 400


@pytest.fixture
def background(settings):
    settings.ROSTER_EXPORT_SYNC_MAX_ROWS = 0  # every non-empty roster goes to the worker


def test_a_large_roster_is_made_by_the_task_with_progress_and_download(
        client, clerk_a, township_a, one_approved, background):
    client.force_login(clerk_a)
    response = export(client, township_a)
    assert response.status_code == 302
    job_url = response["Location"]
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    page = client.get(job_url).content.decode()  # the eager task has already run
    assert "已完成" in page and "<progress" in page
    progress = client.get(f"{job_url}progress/").content.decode()
    assert "hx-trigger" not in progress  # finished: the page stops polling
    download = client.get(f"{job_url}download/")
    assert download.status_code == 200
    assert _xlsx(download)[4][2] == one_approved.number
    details = list(AccessLog.objects.filter(user=clerk_a, action="export")
                   .order_by("at").values_list("detail", flat=True))
    assert "后台生成" in details[0] and "下载" in details[1]
    assert exports.job_file(job_id).exists()


def test_a_running_job_page_polls_its_progress(client, clerk_a, township_a):
    job = exports.create_job(township=township_a, year=2025, month=5, by=clerk_a, rows=3000)
    exports.update_job(job["id"], state=exports.JobState.RUNNING, done=1000)
    client.force_login(clerk_a)
    fragment = client.get(f"/exports/jobs/{job['id']}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert 'value="33"' in fragment and "1000/3000" in fragment
    assert client.get(f"/exports/jobs/{job['id']}/download/").status_code == 404


def test_only_the_requester_sees_a_job(client, clerk_a, leader_a, township_a, one_approved,
                                       background):
    client.force_login(clerk_a)
    job_url = export(client, township_a)["Location"]
    other = Client()
    other.force_login(leader_a)
    for suffix in ("", "progress/", "download/"):
        assert other.get(job_url + suffix).status_code == 404


def test_a_requester_who_lost_the_township_loses_the_file(client, clerk_a, township_a,
                                                          one_approved, background):
    from cases import scoping

    client.force_login(clerk_a)
    job_url = export(client, township_a)["Location"]
    scoping.unassign_township(clerk_a, township_a)
    client.force_login(clerk_a)
    assert client.get(job_url + "download/").status_code == 404


def test_the_task_refuses_a_user_who_lost_the_right(clerk_a, township_a):
    from cases import scoping
    from cases.export_tasks import export_roster_task

    job = exports.create_job(township=township_a, year=2025, month=5, by=clerk_a, rows=1)
    scoping.unassign_township(clerk_a, township_a)
    result = export_roster_task.delay(job["id"]).get()
    assert result["state"] == "failed"
    assert not exports.job_file(job["id"]).exists()


def test_the_task_is_idempotent(clerk_a, township_a, one_approved):
    from cases.export_tasks import export_roster_task

    job = exports.create_job(township=township_a, year=2025, month=5, by=clerk_a, rows=1)
    first = export_roster_task.delay(job["id"]).get()
    stamp = exports.job_file(job["id"]).stat().st_mtime_ns
    again = export_roster_task.delay(job["id"]).get()
    assert first["state"] == again["state"] == "done"
    assert exports.job_file(job["id"]).stat().st_mtime_ns == stamp


def test_a_broker_outage_fails_the_job_with_a_message(client, clerk_a, township_a, one_approved,
                                                      background, monkeypatch):
    from cases.export_tasks import export_roster_task

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(export_roster_task, "delay", down)
    client.force_login(clerk_a)
    job_url = export(client, township_a)["Location"]
    page = client.get(job_url).content.decode()
    assert "导出任务未能排队" in page


def test_old_export_files_are_purged(clerk_a, township_a):
    import datetime as dt

    from django.utils import timezone

    job = exports.create_job(township=township_a, year=2025, month=5, by=clerk_a, rows=1)
    assert exports.purge_old_jobs() == 0
    later = timezone.now() + exports.JOB_RETENTION + dt.timedelta(minutes=1)
    assert exports.purge_old_jobs(later) >= 1
    assert exports.read_job(job["id"]) is None


def test_anonymous_users_are_sent_to_login(client, township_a):
    assert client.get(URL).status_code == 302
    assert client.get("/exports/jobs/00000000-0000-0000-0000-000000000001/").status_code == 302


def test_a_job_queued_for_minutes_says_the_worker_may_be_down(client, clerk_a, township_a):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    job = exports.create_job(township=township_a, year=2025, month=5, by=clerk_a, rows=3000)
    client.force_login(clerk_a)
    assert "后台服务可能未启动" not in client.get(f"/exports/jobs/{job['id']}/").content.decode()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3)):
        client.force_login(clerk_a)
        page = client.get(f"/exports/jobs/{job['id']}/").content.decode()
    assert "后台服务可能未启动" in page


def test_roster_size_counts_a_small_roster_and_stops_early_on_a_large_one(
        township_a, one_approved, staff, village_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.demo_cases import build_case
    from tests.factories import HouseholdFactory

    assert exports.roster_size(township_a, 2025, 5, at_most=5) == 1
    with at(2025, 6, 21):
        build_case(S.APPROVED, household=HouseholdFactory(village=village_a), days_ago=60,
                   **staff)
    assert exports.roster_size(township_a, 2025, 5, at_most=5) == 2
    with CaptureQueriesContext(connection) as captured:
        assert exports.roster_size(township_a, 2025, 5, at_most=1) is None
    # Only the capped count of the candidates ran: the roster's own query was not counted.
    assert len(captured.captured_queries) == 1
    assert "LIMIT 2" in captured.captured_queries[0]["sql"]
    assert "cases_caseevent" not in captured.captured_queries[0]["sql"]


def test_text_that_looks_like_a_formula_stays_text_in_the_roster(client, clerk_a, township_a,
                                                                 one_approved):
    """A bank name typed as `=HYPERLINK(…)` is written as text, not as a formula the bank's
    spreadsheet would evaluate."""
    household = one_approved.household
    household.bank_name = '=HYPERLINK("http://example.invalid","农商银行")'
    household.save(update_fields=["bank_name"])
    client.force_login(clerk_a)
    content = b"".join(export(client, township_a).streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    cell = sheet.cell(row=5, column=7)
    assert cell.value == household.bank_name
    assert cell.data_type == "s"
    assert sheet.cell(row=5, column=11).data_type == "n"  # amounts stay numbers


def test_text_row_keeps_numbers_and_makes_formula_text_into_text_cells():
    from openpyxl import Workbook

    from cases.xlsx import text_row

    for write_only in (False, True):
        wb = Workbook(write_only=write_only)
        ws = wb.create_sheet("s")
        row = text_row(ws, ["=1+1", "王秀英", 3, None, "a=b"])
        assert row[1:] == ["王秀英", 3, None, "a=b"]
        assert (row[0].value, row[0].data_type) == ("=1+1", "s")
        ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        read = load_workbook(io.BytesIO(out.getvalue()))["s"]
        assert [(c.value, c.data_type) for c in read[1]][:3] == [("=1+1", "s"), ("王秀英", "s"),
                                                                (3, "n")]
