"""The monthly bank roster (低保、特困人员救助供养金发放花名册) of one township, as Excel.

Decision: the bank pays from this list, so it carries the household head's **full** ID number
and the household's bank and account number — it is an export of sensitive data. Only the
township's leader in charge and its window clerks (for their own townships) and the district
bureau (any township) may make it; each export and each download of a prepared file is written
to the look-up log (`AccessLog`, action 导出). Every other list in the system masks ID numbers.

Who is on the roster of a month: 低保 and 特困 cases of the township whose entitlement was in
force at some time in that month — approved (signed off) before the month ended, and either in
force when the month began or approved / resumed during it. The status at the month's start and
end is read from the case trail (sign-off, suspension, resumption, termination events), so a
past month's roster is the same whenever it is made; the amount is the one in force at the end
of the month (the last sign-off or adjustment). Households whose payment starts, is suspended
or ends during the month are marked in the remark column: the township decides a part month.

The workbook is written with openpyxl's write-only mode from a database iterator, so memory
stays bounded whatever the township's size; large rosters are made by a Celery task
(`cases.export_tasks`) with a progress bar.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db.models import Exists, JSONField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from cases import scoping
from cases.models import Case, CaseEvent, Township
from cases.permissions import Role
from cases.workflow import ENTITLEMENT_KINDS, CaseKind, CaseStatus

S = CaseStatus
# Roles that may export a township's bank roster (with the full ID and account numbers).
TOWNSHIP_EXPORT_ROLES = frozenset({Role.CLERK, Role.LEADER})
DISTRICT_EXPORT_ROLES = frozenset({Role.BUREAU})
# Events that change whether a household is paid, and events that set the amount.
PAYMENT_STATUS_ACTIONS = ("sign_off", "suspend", "resume", "terminate")
AMOUNT_ACTIONS = ("sign_off", "adjust")
CHUNK = 1000

COLUMNS = [
    ("序号", 6), ("村(社区)", 22), ("案件编号", 26), ("救助类别", 16), ("户主姓名", 10),
    ("户主公民身份号码", 21), ("开户银行", 18), ("银行账号", 24), ("保障人数", 9),
    ("月保障金额(元)", 14), ("备注", 30),
]


def can_export_roster(user, township: Township) -> bool:
    """The township's leader and clerks, and the district bureau (see the module docstring)."""
    if not getattr(user, "is_active", False):
        return False
    roles = scoping.roles_of(user)
    if roles & DISTRICT_EXPORT_ROLES:
        return True
    if not roles & TOWNSHIP_EXPORT_ROLES:
        return False
    return scoping.townships_for(user).filter(pk=township.pk).exists()


def exportable_townships(user) -> QuerySet[Township]:
    if not getattr(user, "is_active", False):
        return Township.objects.none()
    roles = scoping.roles_of(user)
    if roles & DISTRICT_EXPORT_ROLES:
        return Township.objects.filter(is_active=True).order_by("code")
    if not roles & TOWNSHIP_EXPORT_ROLES:
        return Township.objects.none()
    return scoping.townships_for(user).order_by("code")


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month as [start, end) in local time (Asia/Shanghai)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    last = calendar.monthrange(year, month)[1]
    end = dt.datetime.combine(dt.date(year, month, last) + dt.timedelta(days=1), dt.time.min,
                              tzinfo=tz)
    return start, end


def roster_queryset(township: Township, year: int, month: int) -> QuerySet[Case]:
    """The roster's cases, by village and number, with their status and amount in the month."""
    start, end = month_bounds(year, month)
    status_events = CaseEvent.objects.filter(case=OuterRef("pk"),
                                             action__in=PAYMENT_STATUS_ACTIONS)
    amount_events = CaseEvent.objects.filter(case=OuterRef("pk"), action__in=AMOUNT_ACTIONS,
                                             at__lt=end).order_by("-seq")
    return (
        Case.objects.filter(township=township, kind__in=list(ENTITLEMENT_KINDS),
                            status__in=[S.APPROVED, S.SUSPENDED, S.TERMINATED],
                            decided_at__lt=end)
        .annotate(
            status_at_start=Subquery(status_events.filter(at__lt=start).order_by("-seq")
                                     .values("to_status")[:1]),
            status_at_end=Subquery(status_events.filter(at__lt=end).order_by("-seq")
                                   .values("to_status")[:1]),
            started_in_month=Exists(status_events.filter(at__gte=start, at__lt=end,
                                                         to_status=S.APPROVED)),
            amount_payload=Subquery(amount_events.values("payload")[:1],
                                    output_field=JSONField()),
        )
        # A case with no payment event at all (data carried over from before this system) is
        # taken at its current status, in force since its decision.
        .filter(Q(status_at_start=S.APPROVED) | Q(started_in_month=True)
                | Q(status_at_end__isnull=True, status=S.APPROVED))
        .select_related("household__head", "household__village", "applicant")
        # Only the columns the roster prints: narrower rows to sort, and of the encrypted
        # personal fields only the ID numbers and the bank account are decrypted.
        .only("number", "kind", "status", "covered_persons", "approved_amount",
              "household__bank_name", "household__bank_account", "household__village__name",
              "household__village__code", "household__head__name",
              "household__head__id_number", "applicant__name", "applicant__id_number")
        .order_by("household__village__code", "number", "pk")
    )


def _amount(case: Case) -> Decimal | None:
    payload = case.amount_payload or {}
    if isinstance(payload, dict):
        value = payload.get("new_amount", payload.get("amount"))
        try:
            return Decimal(str(value)) if value is not None else case.approved_amount
        except InvalidOperation:
            pass
    return case.approved_amount


def _remark(case: Case) -> str:
    notes = []
    if case.started_in_month and case.status_at_start != S.APPROVED:
        notes.append("本月恢复发放" if case.status_at_start == S.SUSPENDED else "本月起发放")
    if case.status_at_end == S.SUSPENDED:
        notes.append("本月暂停发放")
    elif case.status_at_end == S.TERMINATED:
        notes.append("本月终止保障")
    if case.status_at_end is None:
        notes.append("无审批轨迹，按当前状态列入")
    if case.household.head_id is None:
        notes.append("未登记户主，所列为申请人")
    return "；".join(notes)


@dataclass
class RosterResult:
    rows: int
    persons: int
    total: Decimal
    filename: str


def roster_filename(township: Township, year: int, month: int) -> str:
    return f"发放花名册_{township.name}_{year}年{month:02d}月.xlsx"


def write_roster(township: Township, year: int, month: int, out: IO[bytes] | str, *,
                 by=None, progress: Callable[[int, int], None] | None = None) -> RosterResult:
    """Write the roster workbook to `out` (a path or a binary file); report `progress(done,
    total)` every `CHUNK` rows."""
    cases = roster_queryset(township, year, month)
    # For the progress bar only: the cases that can be on the roster, counted on the index
    # instead of running the roster's query twice; the last report gives the exact number.
    total_rows = Case.objects.filter(
        township=township, kind__in=list(ENTITLEMENT_KINDS),
        status__in=[S.APPROVED, S.SUSPENDED, S.TERMINATED],
        decided_at__lt=month_bounds(year, month)[1]).count() if progress is not None else 0
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{year}年{month:02d}月")
    for index, (_title, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[chr(64 + index)].width = width
    ws.freeze_panes = "A5"
    bold = Font(bold=True)

    def styled(value, *, font=None, wrap=False) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        if font is not None:
            cell.font = font
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def money(value: Decimal | None, *, font=None) -> WriteOnlyCell | None:
        if value is None:
            return None
        cell = styled(float(value), font=font)
        cell.number_format = "#,##0.00"
        return cell

    title = (f"兰山区{township.name}{year}年{month}月城乡最低生活保障金、"
             "特困人员救助供养金发放花名册")
    ws.append([styled(title, font=Font(bold=True, size=14))])
    made_by = f"，导出人：{by.username}" if by is not None else ""
    ws.append([f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}{made_by}"])
    ws.append(["本表含完整公民身份号码和银行账号，仅供银行代发使用，严禁外传、复制或用于其他用途。"])
    ws.append([styled(name, font=bold) for name, _ in COLUMNS])
    rows = persons = 0
    total = Decimal("0")
    for case in cases.iterator(chunk_size=CHUNK):
        household = case.household
        payee = household.head or case.applicant
        amount = _amount(case)
        rows += 1
        persons += case.covered_persons or 0
        total += amount or 0
        ws.append([
            rows, household.village.name, case.number, CaseKind(case.kind).label, payee.name,
            payee.id_number, household.bank_name, household.bank_account,
            case.covered_persons, money(amount), _remark(case),
        ])
        if progress is not None and rows % CHUNK == 0:
            progress(rows, total_rows)
    ws.append([styled("合计", font=bold), f"{rows}户", None, None, None, None, None, None,
               persons, money(total, font=bold), None])
    wb.save(out)
    if progress is not None:
        progress(rows, rows)
    return RosterResult(rows=rows, persons=persons, total=total,
                        filename=roster_filename(township, year, month))


# --- Export jobs: large rosters made by a Celery task ------------------------------------------
# No table: a job is a small JSON file beside its workbook in MEDIA_ROOT/exports/, named by a
# random id. The web process and the worker share MEDIA_ROOT (they must, to serve the file),
# whereas the demo's cache is per process (LocMemCache), so progress lives in the file too.
# The file is only ever served by `cases.views.exports.export_job_download`, to the user who
# asked for it, while they may still export that township.

JOB_RETENTION = dt.timedelta(hours=24)


class JobState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    LABELS = {QUEUED: "排队中", RUNNING: "正在生成", DONE: "已完成", FAILED: "失败"}


def export_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _job_path(job_id: str) -> Path:
    return export_dir() / f"{uuid.UUID(str(job_id)).hex}.json"


def job_file(job_id: str) -> Path:
    return export_dir() / f"{uuid.UUID(str(job_id)).hex}.xlsx"


def read_job(job_id: str) -> dict | None:
    try:
        return json.loads(_job_path(job_id).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _write_job(job: dict) -> dict:
    path = _job_path(job["id"])
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(job, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return job


def update_job(job_id: str, **changes) -> dict | None:
    job = read_job(job_id)
    if job is None:
        return None
    job.update(changes, updated_at=timezone.now().isoformat())
    return _write_job(job)


def create_job(*, township: Township, year: int, month: int, by, rows: int) -> dict:
    """A queued roster job for `by` (the only user who may later download its file)."""
    purge_old_jobs()
    now = timezone.now().isoformat()
    return _write_job({
        "id": str(uuid.uuid4()), "kind": "roster", "township_id": township.pk,
        "township": township.name, "year": year, "month": month, "user_id": by.pk,
        "state": JobState.QUEUED, "done": 0, "total": rows, "message": "",
        "filename": roster_filename(township, year, month), "created_at": now,
        "updated_at": now,
    })


def run_roster_job(job_id: str) -> dict | None:
    """Make the workbook of a queued job (idempotent: a finished job is left as it is)."""
    from django.contrib.auth import get_user_model

    job = read_job(job_id)
    if job is None or job["state"] == JobState.DONE:
        return job
    township = Township.objects.filter(pk=job["township_id"]).first()
    user = get_user_model().objects.filter(pk=job["user_id"]).first()
    if township is None or user is None or not can_export_roster(user, township):
        return update_job(job_id, state=JobState.FAILED, message="您已无权导出该镇街的发放花名册。")
    update_job(job_id, state=JobState.RUNNING, done=0)
    final = job_file(job_id)
    partial = final.with_suffix(".part")
    try:
        with partial.open("wb") as out:
            result = write_roster(township, job["year"], job["month"], out, by=user,
                                  progress=lambda done, total: update_job(
                                      job_id, done=done, total=total))
        os.replace(partial, final)
    except Exception:
        partial.unlink(missing_ok=True)
        update_job(job_id, state=JobState.FAILED,
                   message="生成失败，请重新导出；如仍失败请联系管理员。")
        raise
    return update_job(job_id, state=JobState.DONE, done=result.rows, total=result.rows,
                      persons=result.persons, amount=str(result.total))


def purge_old_jobs(now: dt.datetime | None = None) -> int:
    """Delete job files (and workbooks) older than `JOB_RETENTION`; returns how many."""
    cutoff = (now or timezone.now()).timestamp() - JOB_RETENTION.total_seconds()
    removed = 0
    for path in export_dir().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
