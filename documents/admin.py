"""Admin: seal and signature images are managed here; issued documents and deliveries are
read-only (they change only through the services)."""

from django.contrib import admin

from cases.admin_base import AccessLoggedAdmin
from documents.models import (
    Delivery,
    IssuedDocument,
    PhoneNotification,
    SignatureImage,
    TownshipSeal,
)


@admin.register(TownshipSeal)
class TownshipSealAdmin(admin.ModelAdmin):
    list_display = ["township", "is_active", "uploaded_by", "uploaded_at"]
    list_filter = ["is_active"]
    readonly_fields = ["uploaded_by", "uploaded_at"]

    def save_model(self, request, obj, form, change):
        obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SignatureImage)
class SignatureImageAdmin(admin.ModelAdmin):
    list_display = ["user", "is_active", "uploaded_at"]
    list_filter = ["is_active"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    list_display = ["number", "title", "case", "township", "issued_at", "issued_by"]
    list_filter = ["kind", "township", "year"]
    search_fields = ["number", "code", "case__number"]
    date_hierarchy = "issued_at"
    exclude = ["context"]


@admin.register(Delivery)
class DeliveryAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    list_display = ["document", "method", "outcome", "attempted_at", "staff"]
    list_filter = ["method", "outcome"]


@admin.register(PhoneNotification)
class PhoneNotificationAdmin(AccessLoggedAdmin, ReadOnlyAdmin):
    list_display = ["document", "masked_phone", "called_at", "called_by", "spoke_with"]

    @admin.display(description="拨打号码")
    def masked_phone(self, obj):
        from cases.idnumber import mask_phone

        return mask_phone(obj.phone_number)
