"""Publicity services: the only way publicity records change.

Each runs in one transaction and writes the case trail (`cases.trail.append_event`) for what
it does to a case. Moves of the case itself stay with `cases.services`: a publicity objection
is `objection_record`, an appraisal is `case_record_appraisal`; the services here call them
and add what the publicity work keeps (who objected, the receipt, the handling, the scan).
Refusals are `CaseActionError(code, Chinese message)`, as in `cases.services`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cases import services as case_services
from cases.deadlines import compute_due
from cases.errors import CaseActionError
from cases.models import Appraisal, Case, DeadlineUnit, Objection
from cases.permissions import can_review
from cases.trail import append_event
from cases.workflow import CaseStatus
from publicity import access, uploads
from publicity.disclosure import Medium, is_listed
from publicity.models import AppraisalRecord, BatchEntry, ObjectionDetail, PublicityBatch

FORBIDDEN = "您没有在该村(社区)办理此项公示业务的权限。"
MAX_OBJECTION_CHARS = 500
MAX_HANDLING_CHARS = 2000
MIN_APPRAISAL_PARTICIPANTS = 3
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
STAFF_CHANNELS = (Objection.Channel.IN_PERSON, Objection.Channel.PHONE,
                  Objection.Channel.LETTER)


def _require(allowed: bool, message: str = FORBIDDEN) -> None:
    if not allowed:
        raise CaseActionError("forbidden", message)


def _lock_case(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return Case.objects.select_for_update().select_related("village", "township").get(pk=pk)


def clean_text(value: str) -> str:
    """Text from a form as it is stored: NFC, no control characters but line breaks and tabs,
    trimmed. It is shown escaped wherever it appears."""
    value = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in value
                   if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return kept.strip()


def _receipt() -> str:
    while True:
        code = "YY" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
        if not ObjectionDetail.objects.filter(receipt=code).exists():
            return code


def client_digest(address: str | None) -> str:
    """A keyed hash of a client address: enough to see repeat senders, useless to anyone
    without the server's key."""
    if not address:
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"publicity-client:{address}".encode(), hashlib.sha256).hexdigest()[:32]


# --- Batches -----------------------------------------------------------------------------------

@transaction.atomic
def enlist(case: Case, *, by) -> BatchEntry:
    """Put a case that has just entered publicity on its village's board sheet (S6, S9).

    The sheet is the batch of the case's township and village made that day and not yet
    confirmed posted; the first case creates it. The period starts only when the sheet is
    confirmed posted (`batch_confirm_posting`). Call it inside the proposal's transaction
    (`cases.services.case_propose_approval`). Calling it again for the same case returns the
    entry it already has: a case is publicized once (S9).

    Args:
        case: a case in 审批公示中.
        by: the user who proposed the approval; recorded as the sheet's publisher when the
            case opens a new sheet.

    Returns:
        The case's `BatchEntry`.
    """
    case = _lock_case(case)
    _require(can_review(case, by), "只有本镇街的窗口受理员或分管领导可以发布公示。")
    existing = BatchEntry.objects.filter(case=case).select_related("batch").first()
    if existing is not None:
        return existing
    if case.status != CaseStatus.IN_PUBLICITY:
        raise CaseActionError("not_in_publicity", "只有处于“审批公示中”的案件才能列入公示。")
    made_on = timezone.localdate()
    while True:
        # The village's sheet of the day that is not yet on the board; a sheet already
        # confirmed posted takes no more cases (they were not on it when it went up).
        batch, _ = PublicityBatch.objects.get_or_create(
            township=case.township, village=case.village, posted_on=made_on,
            confirmed_at__isnull=True, defaults={"published_by": by},
        )
        # Lock the sheet: concurrent proposals in one village take numbers one after another.
        batch = PublicityBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.confirmed_at is None:
            break
    seq = (batch.entries.aggregate(n=Max("seq"))["n"] or 0) + 1
    entry = BatchEntry.objects.create(batch=batch, case=case, seq=seq, enlisted_by=by,
                                      enlisted_at=timezone.now())
    append_event(case, "publicity_enlisted", actor=by, payload={
        "batch": batch.pk, "village": case.village.code, "made_on": made_on, "seq": seq,
    })
    return entry


@transaction.atomic
def batch_confirm_posting(*, batch: PublicityBatch, by, photo, posted_at: dt.datetime,
                          place: str = "") -> PublicityBatch:
    """The village assistant (or a clerk) confirms the sheet is on the board, with a photo of
    it; the publicity period of every case on the sheet starts (S6).

    Day 1 is the day after `posted_at` (`cases.services.case_start_publicity`). The photo is
    re-encoded without metadata (`uploads.clean_photo`). A later confirmation (a better photo)
    replaces the photo and place only: the posting time and the period stay as first
    confirmed. Every confirmation is on the trail of each case on the sheet, with the photo's
    hash.
    """
    batch = PublicityBatch.objects.select_for_update().select_related("village").get(pk=batch.pk)
    _require(access.can_confirm_posting(batch, by),
             "只有该村(社区)的协理员或本镇街工作人员可以确认张贴。")
    if photo is None:
        raise CaseActionError("photo", "请上传公示栏张贴照片。")
    now = timezone.now()
    first = batch.confirmed_at is None
    if first:
        if posted_at is None:
            raise CaseActionError("posted_at", "请填写实际张贴时间。")
        if posted_at > now:
            raise CaseActionError("posted_at", "张贴时间不能晚于现在。")
        if timezone.localdate(posted_at) < batch.posted_on:
            raise CaseActionError("posted_at", "张贴时间不能早于公示单制作日期。")
    else:
        posted_at = batch.posted_at
    try:
        clean = uploads.clean_photo(photo, what="公示栏照片")
    except ValidationError as exc:
        raise CaseActionError("photo", "；".join(exc.messages)) from exc
    stored = default_storage.save(
        f"publicity/boards/{now:%Y/%m}/{clean.name}", ContentFile(clean.content))
    try:
        batch.board_photo.name = stored
        batch.board_photo_sha256 = clean.sha256
        batch.posted_at = posted_at
        batch.posted_place = clean_text(place)[:100]
        batch.confirmed_by = by
        batch.confirmed_at = now
        entries = list(BatchEntry.objects.filter(batch=batch).select_related("case")
                       .order_by("case_id"))
        for entry in entries:
            case = entry.case
            if first:
                clock = case_services.case_start_publicity(case=case, posted_at=posted_at,
                                                           by=by)
                if clock is not None:
                    entry.deadline, entry.ends_at = clock, clock.due_at
                    entry.save(update_fields=["deadline", "ends_at"])
            append_event(case, "publicity_posted", actor=by, payload={
                "batch": batch.pk, "posted_at": posted_at, "photo_sha256": clean.sha256,
            })
        ends = [e.ends_at for e in entries if e.ends_at is not None]
        if first:
            # Every case withdrawn before the posting: the sheet's period is still the one
            # a case's publicity clock would have (`cases.services.case_start_publicity`).
            batch.ends_at = (max(ends) if ends
                             else compute_due(DeadlineUnit.DAY, settings.PUBLICITY_DAYS,
                                              posted_at).due_at)
        batch.save(update_fields=["board_photo", "board_photo_sha256", "posted_at",
                                  "posted_place", "confirmed_by", "confirmed_at", "ends_at"])
    except Exception:
        default_storage.delete(stored)
        raise
    return batch


# --- Objections (S10) --------------------------------------------------------------------------

def _check_content(content: str) -> str:
    content = clean_text(content)
    if not content:
        raise CaseActionError("content", "请填写异议内容。")
    if len(content) > MAX_OBJECTION_CHARS:
        raise CaseActionError("content",
                              f"异议内容不能超过{MAX_OBJECTION_CHARS}字，当前为{len(content)}字。")
    return content


@transaction.atomic
def objection_lodge_public(*, entry: BatchEntry, content: str, submitter_name: str = "",
                           submitter_contact: str = "", client: str | None = None
                           ) -> ObjectionDetail:
    """An objection from the public page: recorded as an online publicity objection (by
    nobody), which sends the case to democratic appraisal when publicity closes (S10).

    Returns:
        The detail, whose `receipt` the objector is given.
    """
    content = _check_content(content)
    entry = BatchEntry.objects.select_related("case", "batch").get(pk=entry.pk)
    if not is_listed(entry, Medium.WEB, timezone.now()):
        raise CaseActionError("closed", "该户的公示期已结束或已撤销，不能再在网上提出异议。")
    objection = case_services.objection_record(
        case=entry.case, content=content, by=None, channel=Objection.Channel.ONLINE)
    return ObjectionDetail.objects.create(
        objection=objection, entry=entry, receipt=_receipt(),
        submitter_name=clean_text(submitter_name)[:40],
        submitter_contact=clean_text(submitter_contact)[:40],
        client_digest=client_digest(client),
    )


@transaction.atomic
def objection_record_for_case(*, case: Case, by, content: str, channel: str,
                              lodged_at: dt.datetime | None = None, submitter_name: str = "",
                              submitter_contact: str = "") -> ObjectionDetail:
    """An objection made by phone, in person or by letter, recorded by the clerk or the
    village assistant (S10). It must have been made within the publicity period."""
    if channel not in STAFF_CHANNELS:
        raise CaseActionError("channel", "请选择异议的提出方式（当面、电话或信件）。")
    content = _check_content(content)
    locked = _lock_case(case)
    _require(access.can_record_objection(locked, by))
    # The period rule is `cases.services.objection_record`'s, the same for every path.
    objection = case_services.objection_record(
        case=locked, content=content, by=by, channel=channel, lodged_at=lodged_at)
    return ObjectionDetail.objects.create(
        objection=objection, entry=BatchEntry.objects.filter(case=locked).first(),
        receipt=_receipt(), submitter_name=clean_text(submitter_name)[:40],
        submitter_contact=clean_text(submitter_contact)[:40],
    )


def detail_for(objection: Objection) -> ObjectionDetail:
    """The objection's detail; one is made for an objection recorded elsewhere."""
    detail, _ = ObjectionDetail.objects.get_or_create(
        objection=objection,
        defaults={"receipt": _receipt(),
                  "entry": BatchEntry.objects.filter(case_id=objection.case_id).first()},
    )
    return detail


@transaction.atomic
def objection_handle(*, objection: Objection, by, handling: str) -> ObjectionDetail:
    """Record how a publicity objection was handled (verified, explained, appraised…)."""
    case = _lock_case(objection.case_id)
    _require(access.can_handle_objection(case, by),
             "只有本镇街的窗口受理员或分管领导可以登记处理情况。")
    if objection.kind != Objection.Kind.PUBLICITY:
        raise CaseActionError("kind", "这不是公示期异议。")
    handling = clean_text(handling)
    if not handling:
        raise CaseActionError("handling", "请填写处理情况。")
    if len(handling) > MAX_HANDLING_CHARS:
        raise CaseActionError("handling", f"处理情况不能超过{MAX_HANDLING_CHARS}字。")
    detail = detail_for(objection)
    detail.handling = handling
    detail.handled_by = by
    detail.handled_at = timezone.now()
    detail.save(update_fields=["handling", "handled_by", "handled_at"])
    append_event(case, "objection_handled", actor=by, note=handling,
                 payload={"objection": objection.pk, "receipt": detail.receipt})
    return detail


# --- Democratic appraisal (S10) ----------------------------------------------------------------

@transaction.atomic
def appraisal_record(*, case: Case, by, held_on: dt.date, place: str, chair: str,
                     recorder: str, participants: list[dict], votes_for: int,
                     votes_against: int, votes_abstain: int, outcome: str, minutes: str,
                     scan) -> AppraisalRecord:
    """Record the democratic appraisal from the publicity appraisal page (S10).

    Every rule is `cases.services.case_record_appraisal`'s (the one appraisal service); this
    page adds only that the scan is first cleaned of metadata (`uploads.clean_scan`), and
    keeps an `AppraisalRecord` pointing at the stored scan for the publicity pages.

    Returns:
        The `AppraisalRecord`; its `appraisal` is the `cases.Appraisal`.
    """
    locked = _lock_case(case)
    _require(access.can_record_appraisal(locked, by),
             "只有本镇街的窗口受理员或分管领导可以录入民主评议。")
    participants = [{"name": clean_text(str(p.get("name", "")))[:40],
                     "capacity": clean_text(str(p.get("capacity", "")))[:40]}
                    for p in participants]
    cleaned = None
    if scan is not None:
        try:
            clean = uploads.clean_scan(scan)
        except ValidationError as exc:
            raise CaseActionError("scan", "；".join(exc.messages)) from exc
        cleaned = ContentFile(clean.content, name=clean.name)
    case_services.case_record_appraisal(
        case=locked, by=by, held_on=held_on, place=clean_text(place), chair=clean_text(chair),
        participants=participants, votes_for=votes_for, votes_against=votes_against,
        votes_abstain=votes_abstain, outcome=outcome, notes=clean_text(minutes),
        recorder=clean_text(recorder), scan=cleaned)
    appraisal = Appraisal.objects.filter(case=locked).order_by("-recorded_at", "-pk").first()
    return AppraisalRecord.objects.create(
        appraisal=appraisal, recorder=appraisal.recorder, scan=appraisal.scan.name,
        scan_sha256=appraisal.scan_sha256, scan_type=clean.content_type, uploaded_by=by)
