"""Admin: publicity records are read-only here; they change through the services. (The dated
assistance standards the policy leaflet shows are `cases.Standard`, edited in the cases
admin.)"""

from django.contrib import admin

from cases.admin_base import AccessLoggedAdmin
from publicity.models import (
    AppraisalRecord,
    BatchEntry,
    ObjectionDetail,
    PublicityBatch,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BatchEntryInline(ReadOnlyMixin, admin.TabularInline):
    model = BatchEntry
    fields = ["seq", "case", "ends_at", "enlisted_by", "enlisted_at"]
    readonly_fields = fields
    extra = 0


@admin.register(PublicityBatch)
class PublicityBatchAdmin(ReadOnlyMixin, AccessLoggedAdmin):
    list_display = ["posted_on", "village", "township", "ends_at", "published_by",
                    "confirmed_at"]
    list_filter = ["township"]
    search_fields = ["village__name", "village__code"]
    list_select_related = ["village", "township", "published_by"]
    date_hierarchy = "posted_on"
    inlines = [BatchEntryInline]


@admin.register(ObjectionDetail)
class ObjectionDetailAdmin(ReadOnlyMixin, AccessLoggedAdmin):
    list_display = ["receipt", "objection", "handled_at"]
    search_fields = ["receipt"]
    exclude = ["client_digest"]


@admin.register(AppraisalRecord)
class AppraisalRecordAdmin(ReadOnlyMixin, AccessLoggedAdmin):
    list_display = ["appraisal", "recorder", "uploaded_by", "uploaded_at"]
