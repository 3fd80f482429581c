"""Admin for the district bureau's calendar: single-day corrections and whole-year notices.

A `CalendarYear` is never added on its own (that would declare a year known with only the
Monday–Friday rule): its "add" button leads to the import page, which takes the year's
official notice and creates the year and its days together. Years are not deleted here;
corrections go through a re-import or the single-day overrides.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from cases.calendar import WEEKDAY_NAMES, missing_calendar_message, missing_calendar_years
from cases.calendar_services import (
    FORMAT_HELP,
    MAX_YEAR,
    MIN_YEAR,
    calendar_year_import,
    parse_holiday_lines,
)
from cases.deadlines import recompute_unconfirmed_deadlines
from cases.models import CalendarYear, HolidayOverride

EXAMPLE = """2027-01-01 休 元旦
2027-02-06..2027-02-12 休 春节
2027-02-14 班 春节调休"""


class YearListFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = sorted({d.year for d in HolidayOverride.objects.dates("date", "year")},
                       reverse=True)
        return [(str(y), f"{y}年") for y in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "day_kind", "note", "created_by", "created_at"]
    list_filter = [YearListFilter, "is_workday"]
    search_fields = ["note"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "note", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    list_select_related = ["created_by"]

    @admin.display(description="星期", ordering="date")
    def weekday(self, obj):
        return WEEKDAY_NAMES[obj.date.weekday()]

    @admin.display(description="类别", ordering="is_workday")
    def day_kind(self, obj):
        return "调休上班" if obj.is_workday else "放假"

    def save_model(self, request, obj, form, change):
        """Save and bring provisional deadlines up to date (the admin wraps this in a
        transaction)."""
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        self._recompute(request)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._recompute(request)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            self._recompute(request)

    def _recompute(self, request):
        count = recompute_unconfirmed_deadlines(by=request.user)
        if count:
            messages.info(request, f"已重新计算{count}个暂定的办理时限。")


class CalendarImportForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=MIN_YEAR, max_value=MAX_YEAR)
    source = forms.CharField(label="依据（通知文号或标题）", max_length=120,
                             help_text="例如：国办发明电〔2026〕X号")
    days = forms.CharField(
        label="放假和调休上班日期", widget=forms.Textarea(attrs={"rows": 16, "cols": 60}),
        help_text=FORMAT_HELP,
    )

    def clean_days(self):
        try:
            return parse_holiday_lines(self.cleaned_data["days"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "source", "days_off", "makeup_days", "entered_by", "entered_at"]
    list_filter = ["entered_at"]
    search_fields = ["source"]
    fields = ["year", "source", "entered_by", "entered_at"]
    readonly_fields = ["year", "entered_by", "entered_at"]
    list_select_related = ["entered_by"]

    @admin.display(description="放假天数")
    def days_off(self, obj):
        return HolidayOverride.objects.filter(date__year=obj.year, is_workday=False).count()

    @admin.display(description="调休上班天数")
    def makeup_days(self, obj):
        return HolidayOverride.objects.filter(date__year=obj.year, is_workday=True).count()

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view),
                 name=f"{self.opts.app_label}_{self.opts.model_name}_import"),
        ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            warning = missing_calendar_message(timezone.localdate())
            if warning:
                messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    def _may_import(self, request) -> bool:
        user = request.user
        return (self.has_add_permission(request)
                and user.has_perm("cases.add_holidayoverride")
                and user.has_perm("cases.change_holidayoverride"))

    def import_view(self, request):
        """Enter a whole year's official notice (textarea + year + source)."""
        if not self._may_import(request):
            raise PermissionDenied
        today = timezone.localdate()
        if request.method == "POST":
            form = CalendarImportForm(request.POST)
            if form.is_valid():
                try:
                    result = calendar_year_import(
                        year=form.cleaned_data["year"], days=form.cleaned_data["days"],
                        source=form.cleaned_data["source"], by=request.user,
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, result.message)
                    return redirect(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        else:
            missing = missing_calendar_years(today)
            form = CalendarImportForm(initial={"year": missing[0] if missing
                                               else today.year + 1})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "录入全年放假安排",
            "form": form,
            "example": EXAMPLE,
            "missing_years": missing_calendar_years(today),
        }
        return TemplateResponse(request, "admin/cases/calendar_import.html", context)
