"""Read-only queries of the publicity work: what is on display, what just ended, the
standards in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone

from cases.models import Village
from cases.workflow import CaseStatus
from publicity.disclosure import ENTRY_RELATED, Medium, PublicBatch, disclose_batch, is_listed
from publicity.models import BatchEntry, PublicityBatch

# How long an ended sheet is still mentioned (as a count only) on the village page.
ENDED_SHOWN_DAYS = 30


def village_by_code(code: str) -> Village | None:
    return Village.objects.select_related("township").filter(code=code, is_active=True).first()


def _entries() -> Prefetch:
    """A village's sheets are read with their entries in one more statement, however many
    sheets are on display (a village may have several: one per posting)."""
    return Prefetch("entries", to_attr="listed_entries", queryset=BatchEntry.objects
                    .select_related(*ENTRY_RELATED).order_by("seq"))


def notices_on_display(village: Village, *, now: dt.datetime | None = None
                       ) -> list[PublicBatch]:
    """The village's sheets whose period is running, as the public page shows them."""
    now = now or timezone.now()
    batches = PublicityBatch.objects.filter(village=village, ends_at__gte=now).select_related(
        "village", "township").prefetch_related(_entries()).order_by("posted_on", "pk")
    shown = [disclose_batch(b, Medium.WEB, now=now) for b in batches]
    return [b for b in shown if b.rows]


def notices_ended(village: Village, *, now: dt.datetime | None = None,
                  days: int = ENDED_SHOWN_DAYS) -> list[PublicBatch]:
    """The village's sheets that ended in the last `days` days: only their counts remain."""
    now = now or timezone.now()
    batches = PublicityBatch.objects.filter(
        village=village, ends_at__lt=now, ends_at__gte=now - dt.timedelta(days=days),
    ).select_related("village", "township").prefetch_related(_entries()).order_by(
        "-posted_on", "-pk")
    shown = [disclose_batch(b, Medium.WEB, now=now) for b in batches]
    return [b for b in shown if b.count]


def objectable_entries(village: Village, *, now: dt.datetime | None = None
                       ) -> list[BatchEntry]:
    """Entries the public may object to now: listed on the village page."""
    now = now or timezone.now()
    entries = BatchEntry.objects.filter(
        batch__village=village, ends_at__gte=now, case__status=CaseStatus.IN_PUBLICITY,
    ).select_related("batch", "case__applicant", "case__village", "case__household").order_by(
        "batch__posted_on", "batch_id", "seq")
    return [e for e in entries if is_listed(e, Medium.WEB, now)]


@dataclass(frozen=True)
class StandardInForce:
    item: str
    label: str
    amount: object
    unit: str
    effective_from: dt.date
    scope: str


def standards_in_force(on: dt.date | None = None) -> list[StandardInForce]:
    """Per item, the latest standard already in effect on `on` (today by default), from the
    dated, admin-edited `cases.Standard` rows. Internal notes are not published."""
    from cases.models import Standard, StandardItem

    on = on or timezone.localdate()
    result = []
    for item in StandardItem:
        row = Standard.objects.filter(item=item, effective_from__lte=on).order_by(
            "-effective_from").first()
        if row is not None:
            result.append(StandardInForce(
                item=item.value, label=item.label, amount=row.amount,
                unit=row.get_period_display(), effective_from=row.effective_from,
                scope=row.scope))
    return result


def batch_objections(batch: PublicityBatch):
    """Publicity objections of the cases on a sheet, oldest first."""
    from cases.models import Objection

    return Objection.objects.filter(
        Q(case__publicity_entry__batch=batch), kind=Objection.Kind.PUBLICITY,
    ).select_related("case__applicant", "recorded_by", "publicity_detail",
                     "publicity_detail__handled_by").order_by("lodged_at", "pk")
