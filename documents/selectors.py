"""Read-only queries on documents: what still needs delivering, a household's file, a case's
documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cases.models import Household
from documents.kinds import DELIVERY_REQUIRED_KINDS
from documents.models import Delivery, DeliveryOutcome, IssuedDocument, PhoneNotification


def notices_undelivered(township_ids: Iterable[int], older_than_days: int = 0,
                        *, include_phoned: bool = False) -> QuerySet[IssuedDocument]:
    """Notices that must be delivered (S16) and are not, issued more than N days ago.

    A notice counts as handled once it was delivered, or — after a failed delivery — the
    person was told by phone (the SEED's fallback). `include_phoned=True` also lists those
    told only by phone. A superseded notice is not listed: its correction is what to deliver.
    """
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    delivered = Delivery.objects.filter(document=OuterRef("pk"),
                                        outcome=DeliveryOutcome.DELIVERED)
    phoned = PhoneNotification.objects.filter(document=OuterRef("pk"))
    queryset = (
        IssuedDocument.objects
        .filter(kind__in=[k.value for k in DELIVERY_REQUIRED_KINDS],
                township_id__in=list(township_ids), issued_at__lte=cutoff,
                superseded_by__isnull=True)
        .annotate(delivered=Exists(delivered), phoned=Exists(phoned))
        .filter(delivered=False)
        .select_related("case", "township", "household")
        .order_by("issued_at", "id")
    )
    if not include_phoned:
        queryset = queryset.filter(phoned=False)
    return queryset


def case_documents(case) -> QuerySet[IssuedDocument]:
    return (IssuedDocument.objects.filter(case=case).select_related("issued_by", "person")
            .order_by("issued_at", "id"))


@dataclass(frozen=True)
class ArchiveEntry:
    """One line of the household file's index (卷内目录).

    What it prints: an issued document (`document`, not a scan), a stored scan or photo
    (`file`, or the receipt scan of `delivery`, or `attachment`), the village board sheet
    (`board`, rendered from the publicity batch) or a case's trail (`trail_case`).
    `sha256` is the hash registered when the file was stored ("" for what is rendered here).
    """

    position: int
    title: str
    number: str
    date: dt.date
    pages: int
    case_number: str
    note: str
    document: IssuedDocument | None = None
    delivery: Delivery | None = None
    attachment: object | None = None  # documents.Attachment
    file: object | None = None  # a stored scan or photo (FieldFile)
    sha256: str = ""
    board: object | None = None  # publicity.PublicityBatch
    trail_case: object | None = None  # cases.Case
    unreadable: bool = False  # set when the household file could not read the stored file

    @property
    def is_scan(self) -> bool:
        return (self.delivery is not None or self.attachment is not None
                or self.file is not None)

    @property
    def scan_file(self):
        """The stored scan or photo of a scan entry."""
        if self.file is not None:
            return self.file
        if self.attachment is not None:
            return self.attachment.file
        return self.delivery.receipt_scan

    @property
    def registered_sha256(self) -> str:
        if self.document is not None and not self.is_scan:
            return self.document.sha256
        if self.attachment is not None:
            return self.attachment.sha256
        return self.sha256


def _by_case(rows, key=lambda row: row.case_id) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def _evidence(case_ids: list[int]) -> dict[str, dict[int, list]]:
    """The cases' scans and photos, one query per kind whatever the number of cases."""
    from cases.models import Appraisal, HomeVisitPhoto, VerificationAuthorization

    return {
        "auths": _by_case(VerificationAuthorization.objects.filter(case_id__in=case_ids)
                          .exclude(scan="").select_related("person")
                          .order_by("signed_on", "id")),
        "photos": _by_case(HomeVisitPhoto.objects.filter(visit__case_id__in=case_ids)
                           .select_related("visit")
                           .order_by("visit__visited_on", "visit_id", "id"),
                           lambda photo: photo.visit.case_id),
        "appraisals": _by_case(Appraisal.objects.filter(case_id__in=case_ids)
                               .select_related("publicity_record")
                               .order_by("held_on", "id")),
    }


def _case_evidence(case, evidence: dict[str, dict[int, list]], add) -> None:
    """A case's signed scans, photos, board sheet and trail, in the order of the procedure."""
    number = case.number
    for auth in evidence["auths"].get(case.pk, []):
        add(title=f"核对授权书(签字扫描件)：{auth.person.name}", number="", date=auth.signed_on,
            case_number=number, note="签字授权书", file=auth.scan, sha256=auth.scan_sha256)
    for photo in evidence["photos"].get(case.pk, []):
        add(title=f"入户调查照片：{photo.caption or photo.visit.visited_on}", number="",
            date=photo.visit.visited_on, case_number=number, note="入户调查", file=photo.image,
            sha256=photo.sha256)
    entry = getattr(case, "publicity_entry", None)
    batch = entry.batch if entry is not None else None
    if batch is not None:
        add(title=f"审批公示单：{batch.village.name}", number="", date=batch.posted_on,
            case_number=number, note=f"第{entry.seq}号", board=batch)
        if batch.board_photo:
            add(title="公示栏张贴照片", number="",
                date=timezone.localdate(batch.posted_at or batch.confirmed_at or
                                        timezone.now()),
                case_number=number, note=batch.posted_place, file=batch.board_photo,
                sha256=batch.board_photo_sha256)
    for appraisal in evidence["appraisals"].get(case.pk, []):
        if appraisal.scan:
            add(title="民主评议记录(签字扫描件)", number="", date=appraisal.held_on,
                case_number=number, note=appraisal.recorder, file=appraisal.scan,
                sha256=appraisal.scan_sha256)
        record = getattr(appraisal, "publicity_record", None)
        if record is not None and record.scan:
            add(title="民主评议记录(签字扫描件)", number="", date=appraisal.held_on,
                case_number=number, note=record.recorder, file=record.scan,
                sha256=record.scan_sha256)


def household_archive(household: Household) -> list[ArchiveEntry]:
    """The household's file (一户一档, S18), in order: every issued document, superseded ones
    included and marked, each followed by the scans of its signed delivery receipts; then per
    case the signed authorization scans, home-visit photos, the board sheet and its posting
    photo, the scans of the signed appraisal record and the case's trail (办理过程记录); then
    the scans and photos attached to the household."""
    from cases.models import Case

    entries: list[ArchiveEntry] = []

    def add(**fields) -> None:
        fields.setdefault("pages", 0)
        entries.append(ArchiveEntry(position=len(entries) + 1, **fields))

    documents = list(
        IssuedDocument.objects.filter(household=household)
        .select_related("case", "supersedes").prefetch_related("deliveries")
        .order_by("issued_at", "id")
    )
    superseded = {d.supersedes_id for d in documents if d.supersedes_id}
    for document in documents:
        notes = []
        if document.pk in superseded:
            notes.append("已被更正")
        if document.supersedes_id:
            notes.append(f"更正{document.supersedes.number}")
        add(title=document.title, number=document.number,
            date=timezone.localdate(document.issued_at), pages=document.pages,
            case_number=document.case.number if document.case else "",
            note="；".join(notes), document=document)
        for delivery in document.deliveries.all():
            if not delivery.receipt_scan:
                continue
            add(title=f"送达回证(签收扫描件)：{document.title}", number=document.number,
                date=timezone.localdate(delivery.attempted_at),
                case_number=document.case.number if document.case else "",
                note=delivery.get_method_display(), delivery=delivery)
    cases = list(Case.objects.filter(household=household)
                 .select_related("publicity_entry__batch__village").order_by("applied_at", "id"))
    from django.db.models import Max

    from cases.models import CaseEvent

    ids = [c.pk for c in cases]
    evidence = _evidence(ids)
    last_events = dict(CaseEvent.objects.filter(case_id__in=ids).order_by().values("case_id")
                       .annotate(last=Max("at")).values_list("case_id", "last"))
    for case in cases:
        _case_evidence(case, evidence, add)
        last = last_events.get(case.pk)
        if last is not None:
            add(title="办理过程记录", number="", date=timezone.localdate(last),
                case_number=case.number, note="案件轨迹", trail_case=case)
    from documents.models import Attachment

    for attachment in (Attachment.objects.filter(household=household).select_related("case")
                       .order_by("uploaded_at", "id")):
        add(title=f"附件：{attachment.get_kind_display()}",
            number="", date=timezone.localdate(attachment.uploaded_at),
            case_number=attachment.case.number if attachment.case else "",
            note=attachment.note or attachment.original_name, attachment=attachment)
    return entries
