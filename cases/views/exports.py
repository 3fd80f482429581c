"""Export pages: the monthly bank roster of a township (sensitive: full ID and account numbers).

Small rosters are written at once and streamed from a temporary file; larger ones
(more than `ROSTER_EXPORT_SYNC_MAX_ROWS` rows) are made by a Celery task while the page shows
a progress bar, then downloaded from a permission-checked link. Every export and download is
written to the look-up log. Who may export: `cases.exports.can_export_roster`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from cases import exports
from cases.audit_access import log_access
from cases.models import AccessLog, Township

logger = logging.getLogger("cases.exports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A job still queued after this long: the page says the background service may be down.
STALLED_AFTER = dt.timedelta(minutes=2)


def sync_max_rows() -> int:
    return int(getattr(settings, "ROSTER_EXPORT_SYNC_MAX_ROWS", 1500))


class RosterForm(forms.Form):
    township = forms.ModelChoiceField(label="镇街", queryset=Township.objects.none(),
                                      empty_label=None)
    month = forms.CharField(label="发放月份", max_length=7,
                            widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = exports.exportable_townships(user)
        today = timezone.localdate()
        self.fields["month"].initial = f"{today:%Y-%m}"

    def clean_month(self) -> tuple[int, int]:
        value = self.cleaned_data["month"].strip()
        match = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", value)
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError("请按“年-月”填写月份，例如 2025-03。")
        year, month = int(match[1]), int(match[2])
        today = timezone.localdate()
        next_month = (today.year + today.month // 12, today.month % 12 + 1)
        if year < 2000 or (year, month) > next_month:
            raise forms.ValidationError("只能导出已过去的月份、本月或下月的花名册。")
        return year, month


def _log(request, township, year, month, detail: str) -> None:
    log_access(request, AccessLog.Action.EXPORT, "bank_roster", township.code,
               detail=f"{township.name}{year}年{month}月发放花名册：{detail}")


@require_http_methods(["GET", "POST"])
def roster_export(request: HttpRequest) -> HttpResponse:
    """Choose a township and a month; small rosters download at once, large ones are queued."""
    allowed = exports.exportable_townships(request.user).exists()
    form = RosterForm(request.POST or None, user=request.user)
    if request.method == "POST" and allowed and form.is_valid():
        township = form.cleaned_data["township"]
        year, month = form.cleaned_data["month"]
        if not exports.can_export_roster(request.user, township):  # the form's list says so
            raise Http404("未找到该镇街，或您无权导出。")
        # A large roster is not counted here (that costs seconds): the job counts as it goes.
        rows = exports.roster_size(township, year, month, at_most=sync_max_rows())
        if rows is not None:
            return _export_now(request, township, year, month)
        job = exports.create_job(township=township, year=year, month=month, by=request.user,
                                 rows=0)
        _log(request, township, year, month, f"超过{sync_max_rows()}户，后台生成")
        _enqueue(job["id"])
        return redirect("export_job", job_id=job["id"])
    return render(request, "cases/exports/roster.html", {
        "form": form, "allowed": allowed, "sync_max_rows": sync_max_rows(),
    }, status=400 if request.method == "POST" else 200)


def _export_now(request, township, year, month) -> FileResponse:
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed (and removed) with the response
    result = exports.write_roster(township, year, month, out, by=request.user)
    out.seek(0)
    _log(request, township, year, month, f"{result.rows}户")
    response = FileResponse(out, as_attachment=True, filename=result.filename,
                            content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return response


def _enqueue(job_id: str) -> None:
    from cases.export_tasks import export_roster_task

    try:
        export_roster_task.delay(job_id)
    except Exception:
        logger.exception("roster export %s could not be queued", job_id)
        exports.update_job(job_id, state=exports.JobState.FAILED,
                           message="导出任务未能排队（后台服务不可用），请稍后重试。")


def _own_job(request, job_id) -> dict:
    """The job if it is this user's and they may still export its township; 404 otherwise."""
    job = exports.read_job(str(job_id))
    if job is None or job.get("user_id") != request.user.pk:
        raise Http404("未找到该导出任务。")
    township = Township.objects.filter(pk=job["township_id"]).first()
    if township is None or not exports.can_export_roster(request.user, township):
        raise Http404("未找到该导出任务。")
    return job


def _job_context(job: dict) -> dict:
    total = job.get("total") or 0
    percent = 100 if job["state"] == exports.JobState.DONE else (
        int(job.get("done", 0) * 100 / total) if total else 0)
    waited = timezone.now() - dt.datetime.fromisoformat(job["created_at"])
    return {"job": job, "percent": percent,
            "state_label": exports.JobState.LABELS.get(job["state"], job["state"]),
            "finished": job["state"] in (exports.JobState.DONE, exports.JobState.FAILED),
            "stalled": job["state"] == exports.JobState.QUEUED and waited > STALLED_AFTER}


@require_GET
def export_job(request: HttpRequest, job_id) -> HttpResponse:
    """The page of one export job: a progress bar, then the download link."""
    job = _own_job(request, job_id)
    return render(request, "cases/exports/job.html", _job_context(job))


@require_GET
def export_job_progress(request: HttpRequest, job_id) -> HttpResponse:
    """The progress fragment the job page polls (htmx) until the job has finished."""
    job = _own_job(request, job_id)
    response = render(request, "cases/exports/_job_progress.html", _job_context(job))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def export_job_download(request: HttpRequest, job_id) -> FileResponse:
    job = _own_job(request, job_id)
    path = exports.job_file(job["id"])
    if job["state"] != exports.JobState.DONE or not path.exists():
        raise Http404("文件尚未生成或已过期，请重新导出。")
    township = Township.objects.get(pk=job["township_id"])
    _log(request, township, job["year"], job["month"], f"下载（{job.get('done', 0)}户）")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=job["filename"],
                            content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return response
