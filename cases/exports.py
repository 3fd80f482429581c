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
The account printed is the household's confirmed payee account when the roster is made (a
change waiting for a leader's confirmation is not used, `cases.payee`); a row whose account was
changed (confirmed) since the month began is marked "本月收款账户已变更".

The workbook is written with openpyxl's write-only mode from a database cursor, so memory
stays bounded whatever the township's size (the cursor is read in one thread while the rows
are decrypted and written in another: `write_workbook`); large rosters are made by a Celery
task (`cases.export_tasks`) with a progress bar.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from accounts.names import person_name
from cases import crypto, scoping
from cases.models import AccountChange, Case, CaseEvent, Township
from cases.permissions import Role
from cases.workflow import ENTITLEMENT_KINDS, CaseKind, CaseStatus
from cases.xlsx import text_row

S = CaseStatus
# Roles that may export a township's bank roster (with the full ID and account numbers).
TOWNSHIP_EXPORT_ROLES = frozenset({Role.CLERK, Role.LEADER})
DISTRICT_EXPORT_ROLES = frozenset({Role.BUREAU})
# Events that change whether a household is paid, and events that set the amount.
PAYMENT_STATUS_ACTIONS = ("sign_off", "suspend", "resume", "terminate")
AMOUNT_ACTIONS = ("sign_off", "adjust")
TRAIL_ACTIONS = tuple(dict.fromkeys(PAYMENT_STATUS_ACTIONS + AMOUNT_ACTIONS))
CHUNK = 1000  # rows between progress reports
FETCH = 2000  # rows fetched from the database at a time
MONEY_FORMAT = "#,##0.00"

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


def _candidates(township: Township, end: dt.datetime) -> QuerySet[Case]:
    """The township's entitlements decided before `end` that may have been in force: the
    cases a roster of the month ending at `end` is chosen from."""
    return Case.objects.filter(township=township, kind__in=list(ENTITLEMENT_KINDS),
                               status__in=[S.APPROVED, S.SUSPENDED, S.TERMINATED],
                               decided_at__lt=end)


def roster_size(township: Township, year: int, month: int, *, at_most: int) -> int | None:
    """The number of rows of the month's roster when it is at most `at_most`, else None.

    Counting a large roster exactly costs about as much as reading it (18 s for a township of
    215,000 cases), so the cases it is chosen from are counted first, up to `at_most` + 1, on
    the township's index, and only a roster that small is counted exactly."""
    _, end = month_bounds(year, month)
    if _candidates(township, end).order_by()[:at_most + 1].count() > at_most:
        return None
    return roster_queryset(township, year, month).count()


def roster_queryset(township: Township, year: int, month: int) -> QuerySet[Case]:
    """The roster's cases, by village and number, with their status and amount in the month.

    The export page counts a roster with it; the workbook is written from `rows_from_trail`,
    which decides the same in one pass over each case's trail.
    """
    start, end = month_bounds(year, month)
    status_events = CaseEvent.objects.filter(case=OuterRef("pk"),
                                             action__in=PAYMENT_STATUS_ACTIONS)
    amount_events = CaseEvent.objects.filter(case=OuterRef("pk"), action__in=AMOUNT_ACTIONS,
                                             at__lt=end).order_by("-seq")
    return (
        _candidates(township, end)
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


def _amount(payload, approved_amount: Decimal | None) -> Decimal | None:
    """The amount of the last sign-off or adjustment (its payload), else the case's own."""
    if isinstance(payload, dict):
        value = payload.get("new_amount", payload.get("amount"))
        if value is not None:
            try:
                return Decimal(str(value))
            except InvalidOperation:
                pass
    return approved_amount


def _trail_rows(township: Township, year: int, month: int) -> QuerySet:
    """The candidate cases of the month, each joined to its payment and amount events before
    the month's end (a case without any gives one row with empty event columns), by village,
    number and event: the columns `rows_from_trail` reads, as plain tuples.

    One pass over each case's trail instead of the four correlated subqueries of
    `roster_queryset`, and no model instances. The encrypted columns come as their tokens
    (no decryption by the field): of the three, only the payee's ID number and the account
    number are decrypted, by `rows_from_trail`.
    """
    _, end = month_bounds(year, month)

    def token(path: str) -> ExpressionWrapper:
        return ExpressionWrapper(F(path), output_field=CharField())

    return (
        _candidates(township, end)
        .annotate(trail=FilteredRelation("events", condition=Q(
            events__action__in=TRAIL_ACTIONS, events__at__lt=end)))
        .order_by("household__village__code", "number", "pk", "trail__seq")
        .values_list("pk", "status", "kind", "number", "covered_persons", "approved_amount",
                     "household__village__name", "household__bank_name",
                     token("household__bank_account"), "household__head_id",
                     "household__head__name", token("household__head__id_number"),
                     "applicant__name", token("applicant__id_number"),
                     "trail__action", "trail__to_status", "trail__at", "trail__payload")
    )


@contextmanager
def _roster_read():
    """The roster's read, in a transaction, with which its PostgreSQL settings (SET LOCAL) end:
    the plan is chosen for reading every row (a cursor's plan is by default chosen for the
    first tenth of its rows: here a plan about three times slower in all), and there is no JIT
    compilation (compiling took 1.7 s of the 3.2 s the roster's query took for 15,000 rows,
    and its cost grows with the township's cases)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
                cursor.execute("SET LOCAL jit = off")
        yield


def account_changed_cases(township: Township, year: int, month: int) -> frozenset[int]:
    """The roster's cases whose household's payee account was changed (a change confirmed,
    `cases.payee`) since the month began: the account printed is not the one in force when
    the previous month ended. One statement, whatever the roster's size; a change still
    waiting for its confirmation does not count (the roster pays the confirmed account)."""
    start, end = month_bounds(year, month)
    changed = AccountChange.objects.filter(status=AccountChange.Status.CONFIRMED,
                                           decided_at__gte=start).values("household_id")
    return frozenset(_candidates(township, end).filter(household_id__in=changed)
                     .values_list("pk", flat=True))


def rows_from_trail(trail: Iterable[tuple], *, start: dt.datetime,
                    decrypt: Callable[[str], str],
                    account_changed: frozenset[int] = frozenset()) -> Iterator[tuple]:
    """The roster's rows in order, from `_trail_rows`, as printed from the second column on:
    (village, case number, kind, payee's name, payee's full ID number, bank, account number,
    persons covered, monthly amount, remark or None).

    Who is listed, and with which remark and amount, is decided from each case's events
    exactly as `roster_queryset` decides it in SQL (a test compares the two month by month):
    the status at the month's start (`start`) and end is that of the last payment event before
    each, a sign-off or resumption during the month starts payment, a case without any
    payment event is taken at its current status; the amount is that of the last sign-off or
    adjustment. Only the payee's ID number and the account number are decrypted. Cases in
    `account_changed` (`account_changed_cases`) are marked "本月收款账户已变更".
    """
    approved, suspended, terminated = S.APPROVED.value, S.SUSPENDED.value, S.TERMINATED.value
    status_actions, amount_actions = frozenset(PAYMENT_STATUS_ACTIONS), frozenset(AMOUNT_ACTIONS)
    kinds = {kind.value: kind.label for kind in CaseKind}
    for pk, group in groupby(trail, key=itemgetter(0)):
        events = list(group)
        (_, status, kind, number, persons, approved_amount, village, bank, account, head_id,
         head_name, head_id_number, applicant_name, applicant_id_number) = events[0][:14]
        at_start = at_end = payload = None
        started = False
        for event in events:
            action = event[14]
            if action in status_actions:
                at_end = event[15]
                if event[16] < start:
                    at_start = at_end
                elif at_end == approved:
                    started = True
            if action in amount_actions:
                payload = event[17]
        if not (at_start == approved or started or (at_end is None and status == approved)):
            continue
        notes = []
        if started and at_start != approved:
            notes.append("本月恢复发放" if at_start == suspended else "本月起发放")
        if at_end == suspended:
            notes.append("本月暂停发放")
        elif at_end == terminated:
            notes.append("本月终止保障")
        if at_end is None:
            notes.append("无审批轨迹，按当前状态列入")
        if pk in account_changed:
            notes.append("本月收款账户已变更")
        if head_id is None:
            notes.append("未登记户主，所列为申请人")
            payee, id_number = applicant_name, applicant_id_number
        else:
            payee, id_number = head_name, head_id_number
        yield (village, number, kinds[kind], payee,
               None if id_number is None else decrypt(id_number), bank,
               None if account is None else decrypt(account), persons,
               _amount(payload, approved_amount), "；".join(notes) or None)


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
    total)` every `CHUNK` cases read, and `progress(rows, rows)` at the end."""
    start, end = month_bounds(year, month)
    # For the progress bar only: the cases that can be on the roster, counted on the index
    # instead of running the roster's query twice; the last report gives the exact number.
    expected = _candidates(township, end).count() if progress is not None else 0
    decrypt = crypto.decrypt
    changed = account_changed_cases(township, year, month)

    def read() -> Iterator[tuple]:
        with _roster_read():
            cases, last = 0, None
            for row in _trail_rows(township, year, month).iterator(chunk_size=FETCH):
                if row[0] != last:
                    cases, last = cases + 1, row[0]
                    if progress is not None and cases % CHUNK == 0:
                        progress(cases, expected)
                yield row

    made_by = f"，导出人：{person_name(by)}" if by is not None else ""
    with closing(read()) as trail:
        count, persons, total = write_workbook(
            out, trail, rows_of=lambda rows: rows_from_trail(rows, start=start, decrypt=decrypt,
                                                 account_changed=changed),
            sheet=f"{year}年{month:02d}月",
            title=(f"兰山区{township.name}{year}年{month}月城乡最低生活保障金、"
                   "特困人员救助供养金发放花名册"),
            exported=f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}{made_by}")
    if progress is not None:
        progress(count, count)
    return RosterResult(rows=count, persons=persons, total=total,
                        filename=roster_filename(township, year, month))


def write_workbook(out: IO[bytes] | str, source: Iterable, *, sheet: str, title: str,
                   exported: str,
                   rows_of: Callable[[Iterator], Iterable[tuple]] = iter,
                   batch_size: int = CHUNK) -> tuple[int, int, Decimal]:
    """Write a roster workbook; returns (rows, persons, total amount).

    `source` is read in this thread (the database cursor), `rows_of(source's items)` gives
    the printed rows (`rows_from_trail`'s shape) and runs, with openpyxl, in a thread of its
    own (`_WorkbookWriter`): the database prepares the next rows of the cursor while the
    previous ones are decrypted and written, instead of each waiting for the other.
    Streaming: each row goes to the file as it comes (openpyxl write-only mode, strings
    inline); nothing is held but the batches in flight (`batch_size` items each, at most six).
    """
    writer = _WorkbookWriter(out, rows_of, sheet=sheet, title=title, exported=exported)
    writer.start()
    try:
        batch = []
        for item in source:
            batch.append(item)
            if len(batch) == batch_size:
                writer.put(batch)
                batch = []
        writer.put(batch)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


class _Aborted(Exception):
    pass


class _WorkbookWriter(threading.Thread):
    """The writing side of `write_workbook`. Every openpyxl object is made and used in this
    thread only, and it touches no database; batches come through a bounded queue, so memory
    stays bounded when the database is faster than the writer. An error here is raised in the
    reading thread at its next batch (the rest of the batches are taken and dropped)."""

    END, ABORT = object(), object()

    def __init__(self, out: IO[bytes] | str, rows_of: Callable[[Iterator], Iterable[tuple]], *,
                 sheet: str, title: str, exported: str):
        super().__init__(name="roster-workbook", daemon=True)
        self.out, self.rows_of = out, rows_of
        self.sheet, self.title, self.exported = sheet, title, exported
        self.batches: queue.Queue = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.result: tuple[int, int, Decimal] | None = None

    def put(self, batch: list) -> None:
        if self.error is not None:
            raise self.error
        self.batches.put(batch)

    def finish(self) -> tuple[int, int, Decimal]:
        self.batches.put(self.END)
        self.join()
        if self.error is not None:
            raise self.error
        return self.result

    def abort(self) -> None:
        if self.is_alive():
            self.batches.put(self.ABORT)
            self.join()

    def run(self) -> None:
        try:
            self.result = self._write()
        except _Aborted:
            pass
        except BaseException as exc:
            self.error = exc
            while self.batches.get() not in (self.END, self.ABORT):
                pass

    def _items(self) -> Iterator:
        while (batch := self.batches.get()) is not self.END:
            if batch is self.ABORT:
                raise _Aborted
            yield from batch

    def _write(self) -> tuple[int, int, Decimal]:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(self.sheet)
        for index, (_title, width) in enumerate(COLUMNS, start=1):
            ws.column_dimensions[chr(64 + index)].width = width
        ws.freeze_panes = "A5"
        bold = Font(bold=True)

        def styled(value, *, font=None, number_format=None) -> WriteOnlyCell:
            cell = WriteOnlyCell(ws, value=value)
            if font is not None:
                cell.font = font
            if number_format is not None:
                cell.number_format = number_format
            return cell

        ws.append([styled(self.title, font=Font(bold=True, size=14))])
        ws.append([self.exported])
        ws.append(["本表含完整公民身份号码和银行账号，仅供银行代发使用，严禁外传、复制或用于其他用途。"])
        ws.append([styled(name, font=bold) for name, _ in COLUMNS])
        # One styled cell for every row's amount: openpyxl writes a row out as it is appended,
        # so the cell is free again for the next row (no new cell and style look-up per row).
        money = styled(None, number_format=MONEY_FORMAT)
        count = persons = 0
        total = Decimal("0")
        try:
            for village, number, kind, payee, id_number, bank, account, covered, amount, \
                    remark in self.rows_of(self._items()):
                count += 1
                if covered:
                    persons += covered
                if amount is not None:
                    total += amount
                    money.value = float(amount)
                ws.append(text_row(ws, (count, village, number, kind, payee, id_number, bank,
                                        account, covered, None if amount is None else money,
                                        remark)))
        except BaseException:
            with suppress(Exception):  # end openpyxl's streams now, not when collected
                ws.close()
            # openpyxl keeps the rows written so far (full ID and account numbers) in a
            # temporary file it removes on save or at the process's exit: remove it now.
            with suppress(Exception):
                ws._writer.cleanup()
            raise
        ws.append([styled("合计", font=bold), f"{count}户", None, None, None, None, None, None,
                   persons, styled(float(total), font=bold, number_format=MONEY_FORMAT), None])
        wb.save(self.out)
        return count, persons, total


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
