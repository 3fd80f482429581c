"""Seal and signature images applied to issued documents (S7).

Without an image the document prints an empty block to stamp or sign by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TownshipSeal(models.Model):
    """The township's seal (公章) as an image, printed on sealed documents when active."""

    township = models.OneToOneField(
        "cases.Township", verbose_name="镇街(经开区)", on_delete=models.PROTECT,
        related_name="seal",
    )
    image = models.ImageField("印章图片", upload_to="seals/",
                              help_text="透明背景的PNG图片，印章直径约42毫米。")
    is_active = models.BooleanField("启用", default=True,
                                    help_text="停用后文书留出空白盖章位置，由人工加盖。")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now=True)

    class Meta:
        verbose_name = "镇街电子印章"
        verbose_name_plural = "镇街电子印章"

    def __str__(self) -> str:
        return f"{self.township}印章"


class SignatureImage(models.Model):
    """A leader's handwritten signature as an image, printed where the leader signs."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="用户",
                                on_delete=models.PROTECT, related_name="signature_image")
    image = models.ImageField("签名图片", upload_to="signatures/",
                              help_text="透明背景的PNG图片。")
    is_active = models.BooleanField("启用", default=True)
    uploaded_at = models.DateTimeField("上传时间", auto_now=True)

    class Meta:
        verbose_name = "领导签名图片"
        verbose_name_plural = "领导签名图片"

    def __str__(self) -> str:
        return f"{self.user}签名"
