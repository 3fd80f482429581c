"""Scans and photos kept in a household's file (S18): ID documents, certificates, photos.

An attachment is stored once and never edited or deleted through the app; images are
re-encoded on upload so that no embedded metadata (EXIF, GPS, ICC) is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AttachmentKind(models.TextChoices):
    SIGNED_APPLICATION = "signed_application", "签字申请书扫描件"
    SIGNED_DECLARATION = "signed_declaration", "签字诚信声明扫描件"
    HUKOU_BOOK = "hukou_book", "户口簿"
    ID_CARD = "id_card", "身份证"
    DISABILITY_CERTIFICATE = "disability_certificate", "残疾证"
    MEDICAL_RECORD = "medical_record", "病历/诊断证明"
    INCOME_PROOF = "income_proof", "收入证明"
    HOUSING_PROOF = "housing_proof", "房产/租赁证明"
    HOME_VISIT_PHOTO = "home_visit_photo", "入户照片"
    OTHER = "other", "其他"


class Attachment(models.Model):
    """One uploaded scan or photo, with who uploaded it and the SHA-256 of the stored bytes."""

    household = models.ForeignKey("cases.Household", verbose_name="家庭",
                                  on_delete=models.PROTECT, related_name="attachments")
    case = models.ForeignKey("cases.Case", verbose_name="案件", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField("材料类型", max_length=32, choices=AttachmentKind.choices)
    file = models.FileField("文件", upload_to="attachments/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=255, blank=True)
    content_type = models.CharField("文件类型", max_length=64)
    size = models.PositiveIntegerField("大小(字节)")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人",
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "附件材料"
        verbose_name_plural = "附件材料"
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"
