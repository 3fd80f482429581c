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
    """One line of the household file's index (卷内目录)."""

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

    @property
    def is_scan(self) -> bool:
        return self.delivery is not None or self.attachment is not None

    @property
    def scan_file(self):
        """The stored scan or photo of a scan entry (receipt scan or attachment)."""
        if self.attachment is not None:
            return self.attachment.file
        return self.delivery.receipt_scan


def household_archive(household: Household) -> list[ArchiveEntry]:
    """The household's file (一户一档, S18), in order: every issued document, superseded ones
    included and marked, each followed by the scans of its signed delivery receipts; then the
    scans and photos attached to the household."""
    documents = list(
        IssuedDocument.objects.filter(household=household)
        .select_related("case", "supersedes").prefetch_related("deliveries")
        .order_by("issued_at", "id")
    )
    superseded = {d.supersedes_id for d in documents if d.supersedes_id}
    entries: list[ArchiveEntry] = []
    for document in documents:
        notes = []
        if document.pk in superseded:
            notes.append("已被更正")
        if document.supersedes_id:
            notes.append(f"更正{document.supersedes.number}")
        entries.append(ArchiveEntry(
            position=len(entries) + 1, title=document.title, number=document.number,
            date=timezone.localdate(document.issued_at), pages=document.pages,
            case_number=document.case.number if document.case else "",
            note="；".join(notes), document=document,
        ))
        for delivery in document.deliveries.all():
            if not delivery.receipt_scan:
                continue
            entries.append(ArchiveEntry(
                position=len(entries) + 1, title=f"送达回证(签收扫描件)：{document.title}",
                number=document.number, date=timezone.localdate(delivery.attempted_at),
                pages=0, case_number=document.case.number if document.case else "",
                note=delivery.get_method_display(), delivery=delivery,
            ))
    from documents.models import Attachment

    for attachment in (Attachment.objects.filter(household=household).select_related("case")
                       .order_by("uploaded_at", "id")):
        entries.append(ArchiveEntry(
            position=len(entries) + 1, title=f"附件：{attachment.get_kind_display()}",
            number="", date=timezone.localdate(attachment.uploaded_at), pages=0,
            case_number=attachment.case.number if attachment.case else "",
            note=attachment.note or attachment.original_name, attachment=attachment,
        ))
    return entries
