"""Issued documents (S13, S17): numbered, stored as issued, never changed.

A correction is a new document that supersedes the old one; both stay. The number counter is a
row per township, year and kind, locked while a number is taken, so numbers are gap-free.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cases.crypto import EncryptedJSONField
from documents.kinds import DocumentKind


class ImmutableDocumentError(Exception):
    """An issued document (or its delivery record) may not be changed or deleted."""


class DocumentCounter(models.Model):
    """The last number issued for one township, year and kind."""

    township = models.ForeignKey("cases.Township", verbose_name="镇街", on_delete=models.PROTECT,
                                 related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("文书类别", max_length=32, choices=DocumentKind.choices)
    last_number = models.PositiveIntegerField("已用至", default=0)

    class Meta:
        verbose_name = "文书编号计数器"
        verbose_name_plural = "文书编号计数器"
        constraints = [
            models.UniqueConstraint(fields=["township", "year", "kind"],
                                    name="documentcounter_township_year_kind_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.township_id} {self.year} {self.kind} {self.last_number}"


def _pdf_path(instance: IssuedDocument, filename: str) -> str:
    return (f"documents/{instance.township.code}/{instance.year}/"
            f"{instance.kind}-{instance.seq:04d}-{instance.code}.pdf")


class IssuedDocument(models.Model):
    """One issued document: its number, the stored PDF, its hash and the data it was built from.
    """

    kind = models.CharField("文书类别", max_length=32, choices=DocumentKind.choices)
    title = models.CharField("标题", max_length=60)
    case = models.ForeignKey("cases.Case", verbose_name="案件", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="documents")
    household = models.ForeignKey("cases.Household", verbose_name="家庭",
                                  on_delete=models.PROTECT, related_name="documents")
    person = models.ForeignKey("cases.Person", verbose_name="所涉成员", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="documents",
                               help_text="按成员出具的文书（如核对授权书）。")
    township = models.ForeignKey("cases.Township", verbose_name="制发单位",
                                 on_delete=models.PROTECT, related_name="documents")
    year = models.PositiveSmallIntegerField("年度")
    seq = models.PositiveIntegerField("顺序号")
    number = models.CharField("文书编号", max_length=60, unique=True)
    code = models.CharField("查验码", max_length=12, unique=True)
    pdf = models.FileField("PDF文件", upload_to=_pdf_path, max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("文件大小(字节)")
    pages = models.PositiveSmallIntegerField("页数")
    # The data as printed (ID numbers, phones, bank accounts): encrypted at rest.
    context = EncryptedJSONField("出具时数据", default=dict)
    extra = EncryptedJSONField("出具参数", default=dict, blank=True)
    template_version = models.CharField("模板版本", max_length=20)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="出具人",
                                  on_delete=models.PROTECT, related_name="issued_documents")
    issued_at = models.DateTimeField("出具时间", db_index=True)
    supersedes = models.OneToOneField(
        "self", verbose_name="更正的原文书", null=True, blank=True, on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    correction_reason = models.TextField("更正理由", blank=True)
    # The delivery clock (S16) of a notice that must reach the applicant; set at issuance.
    delivery_deadline = models.OneToOneField(
        "cases.Deadline", verbose_name="送达时限", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="notice",
    )
    # A 送达回证: the notice it is the receipt for.
    serves = models.ForeignKey(
        "self", verbose_name="送达的文书", null=True, blank=True, on_delete=models.PROTECT,
        related_name="receipts",
    )

    class Meta:
        verbose_name = "已出具文书"
        verbose_name_plural = "已出具文书"
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["township", "year", "kind", "seq"],
                                    name="issueddocument_number_uniq"),
        ]
        indexes = [
            models.Index(fields=["household", "issued_at"], name="issueddoc_household_idx"),
            models.Index(fields=["kind", "township", "issued_at"], name="issueddoc_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    @property
    def document_kind(self) -> DocumentKind:
        return DocumentKind(self.kind)

    @property
    def is_superseded(self) -> bool:
        try:
            return self.superseded_by is not None
        except IssuedDocument.superseded_by.RelatedObjectDoesNotExist:
            return False

    @property
    def code_display(self) -> str:
        return f"{self.code[:5]}-{self.code[5:]}"

    @property
    def filename(self) -> str:
        return f"{self.title}_{self.number}.pdf"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableDocumentError("已出具的文书不能修改；如有错误，请出具更正文书。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocumentError("已出具的文书不能删除。")
