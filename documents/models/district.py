"""The 审核审批表 reported to the district bureau after each approval (S18)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DistrictReport(models.Model):
    """One approval table in the district bureau's inbox, and its acknowledgement."""

    document = models.OneToOneField("documents.IssuedDocument", verbose_name="审核审批表",
                                    on_delete=models.PROTECT, related_name="district_report")
    case = models.ForeignKey("cases.Case", verbose_name="案件", on_delete=models.PROTECT,
                             related_name="district_reports")
    township = models.ForeignKey("cases.Township", verbose_name="报送镇街",
                                 on_delete=models.PROTECT, related_name="district_reports")
    reported_at = models.DateTimeField("报送时间", auto_now_add=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="签收人",
                                        null=True, blank=True, on_delete=models.PROTECT)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)

    class Meta:
        verbose_name = "审核审批表报送"
        verbose_name_plural = "审核审批表报送"
        ordering = ["-reported_at", "-pk"]
        indexes = [models.Index(fields=["acknowledged_at", "-reported_at"],
                                name="districtreport_ack_idx")]

    def __str__(self) -> str:
        return f"{self.township} {self.document_id}"
