"""Admin: seal and signature images are managed here; issued documents and deliveries are
read-only (they change only through the services)."""

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile

from cases.admin_base import AccessLoggedAdmin
from documents.models import (
    Delivery,
    IssuedDocument,
    PhoneNotification,
    SignatureImage,
    TownshipSeal,
)
from lanshan_aid import uploads


class StampImageForm(forms.ModelForm):
    """A seal or signature image: checked and re-encoded as PNG (transparency kept) by
    `lanshan_aid.uploads`, so only clean pixels ever reach an issued document."""

    MAX_BYTES = 2 * uploads.MB

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if isinstance(image, UploadedFile):  # a new upload, not the file on record
            try:
                clean = uploads.clean_upload(image, what="图片", allowed={uploads.PNG,
                                                                         uploads.JPEG},
                                             max_bytes=self.MAX_BYTES, image_format="PNG",
                                             max_edge=1200)
            except uploads.UploadRefused as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
            return clean.as_file()
        return image


@admin.register(TownshipSeal)
class TownshipSealAdmin(admin.ModelAdmin):
    form = StampImageForm
    list_display = ["township", "is_active", "uploaded_by", "uploaded_at"]
    list_filter = ["is_active"]
    readonly_fields = ["uploaded_by", "uploaded_at"]

    def save_model(self, request, obj, form, change):
        obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SignatureImage)
class SignatureImageAdmin(admin.ModelAdmin):
    form = StampImageForm
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
