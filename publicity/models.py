"""Publicity (审批公示, S6, S9), its objections and democratic appraisals (S10).

A case proposed for approval is publicized once, in its village (S9). The cases of one village
that enter publicity on the same day are posted together on one board sheet: a
`PublicityBatch`, with one `BatchEntry` per case. The end of each case's period is the due
moment of its publicity clock (`cases.Deadline`, kind ``publicity``), which starts when the sheet
is confirmed posted on the village board (the 7 days run from the day after), copied here then
and never recomputed.

Objections and appraisals themselves are `cases.Objection` and `cases.Appraisal`, written by
`cases.services`; this app keeps what the publicity work adds to them: who objected and how to
reach them, how the objection was handled, the receipt given to the public, and the scan of
the signed appraisal record.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from cases.deadlines import publicity_period


class PublicityBatch(models.Model):
    """One village's board sheet: the cases that entered publicity there on one day."""

    township = models.ForeignKey(
        "cases.Township", verbose_name="公示镇街", on_delete=models.PROTECT,
        related_name="publicity_batches",
    )
    village = models.ForeignKey(
        "cases.Village", verbose_name="公示村(社区)", on_delete=models.PROTECT,
        related_name="publicity_batches",
    )
    posted_on = models.DateField(
        "公示单制作日期", help_text="拟批准之日制作公示单；公示期自确认张贴之日的次日起算。")
    ends_at = models.DateTimeField(
        "公示截止时间", null=True, blank=True,
        help_text="确认张贴时由各案件公示时限写入，不再重算；尚未确认张贴的为空。",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT,
        related_name="publicity_batches_published",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # The village assistant's confirmation that the sheet is on the board.
    posted_at = models.DateTimeField("实际张贴时间", null=True, blank=True)
    posted_place = models.CharField("张贴地点", max_length=100, blank=True)
    board_photo = models.FileField("公示栏照片", upload_to="publicity/boards/%Y/%m/", blank=True)
    board_photo_sha256 = models.CharField("照片SHA-256", max_length=64, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="张贴确认人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="publicity_batches_confirmed",
    )
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = "公示批次"
        verbose_name_plural = "公示批次"
        ordering = ["-posted_on", "-id"]
        constraints = [
            # One sheet of a village per day still waiting to go up on the board; cases
            # proposed after it was confirmed posted go on a new sheet.
            models.UniqueConstraint(fields=["township", "village", "posted_on"],
                                    condition=models.Q(confirmed_at__isnull=True),
                                    name="publicity_batch_village_day_open_uniq"),
        ]
        indexes = [models.Index(fields=["village", "-ends_at"], name="publicity_batch_end_idx")]

    def __str__(self) -> str:
        return f"{self.village.short_name} {self.posted_on:%Y-%m-%d} 公示"

    def get_absolute_url(self) -> str:
        return reverse("publicity_batch_detail", args=[self.pk])

    @property
    def period(self):
        """The sheet's publicity period (`cases.deadlines.PublicityPeriod`): it runs from the
        posting confirmed on the board; None while the sheet is not confirmed posted."""
        if self.posted_at is None or self.ends_at is None:
            return None
        return publicity_period(self.posted_at, self.ends_at)

    @property
    def period_start(self) -> dt.date | None:
        """Day 1 of the period: the day after the posting (S6)."""
        period = self.period
        return period.first_day if period else None

    @property
    def period_end(self) -> dt.date | None:
        period = self.period
        return period.last_day if period else None

    @property
    def period_days(self) -> int | None:
        period = self.period
        return period.days if period else None

    def is_running(self, now: dt.datetime | None = None) -> bool:
        """Posted and not yet ended."""
        return self.ends_at is not None and (now or timezone.now()) <= self.ends_at

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class BatchEntry(models.Model):
    """One case on a board sheet. One per case: a case is publicized only once (S9)."""

    batch = models.ForeignKey(PublicityBatch, verbose_name="公示批次", on_delete=models.PROTECT,
                              related_name="entries")
    case = models.OneToOneField(
        "cases.Case", verbose_name="案件", on_delete=models.PROTECT,
        related_name="publicity_entry",
    )
    seq = models.PositiveSmallIntegerField("序号")
    deadline = models.ForeignKey(
        "cases.Deadline", verbose_name="公示时限", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # started when the sheet is confirmed posted
    ends_at = models.DateTimeField("公示截止时间", null=True, blank=True)
    enlisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="列入人", on_delete=models.PROTECT,
        related_name="+",
    )
    enlisted_at = models.DateTimeField("列入时间")

    class Meta:
        verbose_name = "公示对象"
        verbose_name_plural = "公示对象"
        ordering = ["batch", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "seq"], name="publicity_entry_seq_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} #{self.seq}"


class ObjectionDetail(models.Model):
    """What the publicity work adds to a publicity objection (`cases.Objection`, S10).

    The objector's name and contact are optional and are shown to staff only; the public gets
    the receipt number. `client_digest` is a keyed hash of the address an online objection came
    from (for abuse handling), never the address itself.
    """

    objection = models.OneToOneField(
        "cases.Objection", verbose_name="异议", on_delete=models.CASCADE,
        related_name="publicity_detail",
    )
    entry = models.ForeignKey(BatchEntry, verbose_name="公示对象", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="objection_details")
    receipt = models.CharField("受理回执号", max_length=16, unique=True)
    submitter_name = models.CharField("反映人", max_length=40, blank=True)
    submitter_contact = models.CharField("联系方式", max_length=40, blank=True)
    client_digest = models.CharField("来源摘要", max_length=64, blank=True)
    handling = models.TextField("处理情况", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "公示异议登记"
        verbose_name_plural = "公示异议登记"
        ordering = ["-objection__lodged_at"]

    def __str__(self) -> str:
        return self.receipt


class AppraisalRecord(models.Model):
    """The signed 民主评议记录 of an appraisal (S10): recorder and the scan, kept with a hash."""

    appraisal = models.OneToOneField(
        "cases.Appraisal", verbose_name="民主评议", on_delete=models.PROTECT,
        related_name="publicity_record",
    )
    recorder = models.CharField("记录人", max_length=40)
    scan = models.FileField("签字记录扫描件", upload_to="publicity/appraisals/%Y/%m/")
    scan_sha256 = models.CharField("扫描件SHA-256", max_length=64)
    scan_type = models.CharField("文件类型", max_length=40)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人",
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "民主评议记录扫描件"
        verbose_name_plural = "民主评议记录扫描件"

    def __str__(self) -> str:
        return f"民主评议记录 {self.appraisal_id}"
