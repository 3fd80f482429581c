"""The district's calendar corrections: official holidays and make-up working days (调休)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CalendarYear(models.Model):
    """A year whose official holiday schedule (国务院办公厅通知) has been entered here.

    Years that `chinesecalendar` knows need no row; a later year is known only once its row
    exists, so no deadline is ever counted on a guessed calendar.
    """

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("依据(通知文号)", max_length=120)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                   null=True, blank=True, on_delete=models.PROTECT)
    entered_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "已录入放假安排的年份"
        verbose_name_plural = "已录入放假安排的年份"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class HolidayOverride(models.Model):
    """One day whose status differs from the weekday rule or from `chinesecalendar`."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日", help_text="调休上班选“是”，法定假日选“否”。")
    note = models.CharField("说明", max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人",
                                   null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_workday else '放假'}"
