"""Delivering notices to the applicant (S16).

SEED 三(二): rejection notices and benefit adjustment/stoppage notices are delivered in time;
if delivery fails, the person is told by phone and a record is kept. So a failed delivery (and
a delivery by phone) is accepted only together with its phone record.

"In time" is a clock: each such notice gets a `Deadline` of kind 文书送达, due at the end of the
`DELIVERY_WORKING_DAYS`-th working day after the day of issue (official calendar,
`cases.calendar`). The sweep marks it at risk and breached like every other clock and reminds
the clerk; a delivery, or the phone record after a failed one, settles it (on time when the
delivery happened by the due moment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Deadline, DeadlineKind, DeadlineStatus, DeadlineUnit
from cases.trail import append_event
from documents import remedies
from documents.kinds import ADVERSE_KINDS, APPLICANT_NOTICE_KINDS, DocumentKind
from documents.models import (
    Delivery,
    DeliveryMethod,
    DeliveryOutcome,
    IssuedDocument,
    PhoneNotification,
)
from documents.services import DocumentError
from lanshan_aid import uploads

RECEIPT_MAX_BYTES = 10 * uploads.MB
RECEIPT_KINDS = frozenset({uploads.PDF, uploads.JPEG, uploads.PNG})


@dataclass
class PhoneRecord:
    """What the phone call was: number called, when, by whom, who answered, what was said."""

    phone_number: str
    called_at: dt.datetime
    called_by: object
    spoke_with: str
    content: str


def delivery_clock_start(*, case: Case, issued_at: dt.datetime,
                         supersedes: IssuedDocument | None = None) -> Deadline:
    """Start the delivery clock of a notice being issued (inside `document_issue`'s
    transaction); the clock of the notice it corrects, if still running, is cancelled: the
    correction is what must be delivered now."""
    from cases.services import _start_clock

    if supersedes is not None and supersedes.delivery_deadline_id:
        running = Deadline.objects.filter(pk=supersedes.delivery_deadline_id,
                                          status=DeadlineStatus.OPEN)
        running.update(status=DeadlineStatus.CANCELLED, settled_at=issued_at)
    return _start_clock(case, DeadlineKind.DELIVERY, DeadlineUnit.WORKDAY,
                        settings.DELIVERY_WORKING_DAYS, "S16", issued_at)


def _settle_delivery_clock(case: Case, document: IssuedDocument, at: dt.datetime) -> None:
    """Stop the notice's delivery clock: met when `at` is by its due moment, else late."""
    from cases.services import refresh_next_due

    if not document.delivery_deadline_id:
        return
    deadline = (Deadline.objects.select_for_update()
                .filter(pk=document.delivery_deadline_id, status=DeadlineStatus.OPEN).first())
    if deadline is None:
        return
    deadline.status = DeadlineStatus.MET if at <= deadline.due_at else DeadlineStatus.MET_LATE
    deadline.settled_at = timezone.now()
    deadline.save(update_fields=["status", "settled_at"])
    append_event(case, "deadline_settled", payload={
        "kind": deadline.kind, "status": deadline.status, "due_at": deadline.due_at,
        "number": document.number,
    })
    refresh_next_due(case)


def _check_phone(phone: PhoneRecord | None, *, why: str) -> None:
    if phone is None:
        raise DocumentError("phone_record_required",
                            f"{why}，必须同时登记电话告知记录（拨打号码、通话时间、告知人、"
                            f"接听人和告知内容）。")
    missing = [label for label, value in (
        ("拨打号码", phone.phone_number), ("通话时间", phone.called_at),
        ("告知人", phone.called_by), ("接听人", phone.spoke_with), ("告知内容", phone.content),
    ) if not (value.strip() if isinstance(value, str) else value)]
    if missing:
        raise DocumentError("phone_record_incomplete",
                            f"电话告知记录不完整：请填写{'、'.join(missing)}。")
    if phone.called_at > timezone.now():
        raise DocumentError("phone_in_future", "通话时间不能晚于当前时间。")


def clean_receipt(scan: File) -> uploads.CleanFile:
    """The receipt's scan checked and cleaned by the one upload check: a PDF that pypdf can
    read, or a JPEG/PNG photo re-encoded; anything else (SVG, HTML, a damaged PDF, an image
    over the pixel cap) is refused as a `DocumentError`."""
    try:
        return uploads.clean_upload(scan, what="送达回证扫描件", allowed=RECEIPT_KINDS,
                                    max_bytes=RECEIPT_MAX_BYTES)
    except uploads.UploadRefused as exc:
        raise DocumentError(exc.code, exc.message) from None


@transaction.atomic
def delivery_record(*, document: IssuedDocument, method: str, attempted_at: dt.datetime,
                    by, outcome: str, recipient: str = "", recipient_relation: str = "",
                    address: str = "", failure_reason: str = "", witnesses: str = "",
                    tracking_number: str = "", received_on: dt.date | None = None,
                    receipt_scan: File | None = None, note: str = "",
                    phone: PhoneRecord | None = None) -> Delivery:
    """Record one delivery attempt of a notice, with its phone record when one is needed.

    Args:
        document: the issued notice (one addressed to the applicant).
        method: a `DeliveryMethod` value.
        attempted_at: when it was handed over, posted, left or attempted.
        by: the staff member who delivered it.
        outcome: `DeliveryOutcome.DELIVERED` or `FAILED`.
        received_on: the day the person received it (default: the day of `attempted_at` when
            delivered); the remedy periods of an adverse notice run from it.
        phone: required when the outcome is failed or the method is 电话告知.

    Returns:
        The delivery record (and its `PhoneNotification`, when given).

    Raises:
        DocumentError: with a Chinese message when a rule is not met.
    """
    kind = DocumentKind(document.kind)
    if kind not in APPLICANT_NOTICE_KINDS:
        raise DocumentError("not_a_notice", f"{document.title}不是向申请人送达的文书。")
    if method not in DeliveryMethod.values:
        raise DocumentError("method", "请选择送达方式。")
    if outcome not in DeliveryOutcome.values:
        raise DocumentError("outcome", "请选择送达结果。")
    if attempted_at > timezone.now():
        raise DocumentError("in_future", "送达时间不能晚于当前时间。")
    failed = outcome == DeliveryOutcome.FAILED
    if failed:
        if not failure_reason.strip():
            raise DocumentError("failure_reason", "未能送达的，请写明原因。")
        _check_phone(phone, why="文书未能送达的")
    if method == DeliveryMethod.PHONE:
        _check_phone(phone, why="以电话方式告知的")
    if method == DeliveryMethod.LEFT and not witnesses.strip():
        raise DocumentError("witnesses", "留置送达须写明见证人。")
    if not failed and method != DeliveryMethod.PHONE and not recipient.strip():
        raise DocumentError("recipient", "请填写签收人。")

    case = Case.objects.select_for_update().get(pk=document.case_id)
    if not failed:
        received_on = received_on or timezone.localdate(attempted_at)
    delivery = Delivery(
        document=document, method=method, attempted_at=attempted_at, staff=by,
        recipient=recipient, recipient_relation=recipient_relation, address=address,
        outcome=outcome, failure_reason=failure_reason, witnesses=witnesses,
        tracking_number=tracking_number, received_on=None if failed else received_on,
        note=note,
    )
    if not failed and kind in ADVERSE_KINDS:
        found = remedies.remedies_for(received_on)
        delivery.reconsideration_until = found.reconsideration_until
        delivery.litigation_until = found.litigation_until
    if receipt_scan is not None:
        clean = clean_receipt(receipt_scan)
        delivery.receipt_scan.save(clean.name, clean.as_file(), save=False)
    delivery.save()
    payload = {"number": document.number, "method": method, "outcome": outcome,
               "delivery_id": delivery.pk}
    if delivery.received_on:
        payload["received_on"] = delivery.received_on
    if phone is not None:
        call = PhoneNotification.objects.create(
            document=document, delivery=delivery, phone_number=phone.phone_number.strip(),
            called_at=phone.called_at, called_by=phone.called_by,
            spoke_with=phone.spoke_with.strip(), content=phone.content.strip(),
        )
        payload["phone_notification_id"] = call.pk
    if not failed:
        _settle_delivery_clock(case, document, attempted_at)
    elif phone is not None:  # the SEED's fallback: told by phone after a failed delivery
        _settle_delivery_clock(case, document, phone.called_at)
    action = "document_delivery_failed" if failed else "document_delivered"
    append_event(case, action, actor=by, note=failure_reason, payload=payload)
    return delivery


@transaction.atomic
def delivery_attach_receipt(*, delivery: Delivery, scan: File, by) -> Delivery:
    """Attach the scan of the signed receipt (送达回证) to a delivery record, once."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.receipt_scan:
        raise DocumentError("receipt_exists", "该送达记录已有送达回证扫描件，不能替换。")
    clean = clean_receipt(scan)
    case = Case.objects.select_for_update().get(pk=delivery.document.case_id)
    delivery.receipt_scan.save(clean.name, clean.as_file(), save=False)
    Delivery.objects.filter(pk=delivery.pk).update(receipt_scan=delivery.receipt_scan.name)
    append_event(case, "delivery_receipt_attached", actor=by,
                 payload={"number": delivery.document.number, "delivery_id": delivery.pk})
    return delivery
