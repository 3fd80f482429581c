from django.contrib import admin

from cases.admin_base import LoggedReadOnlyAdmin, ReadOnlyAdmin
from oversight.models import (
    DashboardRefresh,
    SpotCheck,
    SpotCheckEvent,
    SpotCheckItem,
    TownshipMonthStat,
)


@admin.register(TownshipMonthStat)
class TownshipMonthStatAdmin(ReadOnlyAdmin):
    list_display = ["month", "township", "applications", "approvals", "rejections",
                    "median_workdays", "over_limit", "reports_received", "refreshed_at"]
    list_filter = ["township"]
    date_hierarchy = "month"


@admin.register(DashboardRefresh)
class DashboardRefreshAdmin(ReadOnlyAdmin):
    list_display = ["finished_at", "months", "rows", "duration_ms"]


class SpotCheckItemInline(admin.TabularInline):
    model = SpotCheckItem
    fields = ["position", "case", "finding", "finding_text", "answer", "answered_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SpotCheck)
class SpotCheckAdmin(LoggedReadOnlyAdmin):
    """Spot checks are drawn and worked on the site (services write their events)."""

    list_display = ["township", "decided_from", "decided_to", "population_size", "seed",
                    "status", "created_by", "created_at"]
    list_filter = ["status", "township"]
    inlines = [SpotCheckItemInline]


@admin.register(SpotCheckEvent)
class SpotCheckEventAdmin(LoggedReadOnlyAdmin):
    list_display = ["spot_check", "action", "actor", "at"]
    list_filter = ["action"]
