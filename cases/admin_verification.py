"""Admin for standards, means-test rules, confidentiality agreements, relatives of staff, and
the read-only verification records (requests, results, imports, access log, assessments).

Standards and rules are edited here by the district bureau, each row with the date it takes
effect. Agreements are filed through `cases.verification.services.agreement_record`, so the
scan is checked and hashed. Verification records and the access log are never edited.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from cases.admin_base import AccessLoggedAdmin, LoggedReadOnlyAdmin
from cases.errors import CaseActionError
from cases.models import (
    Assessment,
    AssetRule,
    ConfidentialityAgreement,
    EmergencyAidAmount,
    ExclusionRule,
    IncomeType,
    StaffRelative,
    Standard,
    TempAssistanceRule,
    VerificationAccess,
    VerificationImport,
    VerificationRequest,
    VerificationResult,
)


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["item", "amount", "period", "effective_from", "scope", "note"]
    list_filter = ["item", "period"]
    ordering = ["item", "-effective_from"]
    date_hierarchy = "effective_from"


class EmergencyAidAmountInline(admin.TabularInline):
    model = EmergencyAidAmount
    extra = 0


@admin.register(TempAssistanceRule)
class TempAssistanceRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "effective_from", "months_default", "months_max", "per_person",
                    "cap", "note"]
    list_filter = ["kind"]
    inlines = [EmergencyAidAmountInline]


@admin.register(AssetRule)
class AssetRuleAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "financial_months", "financial_base", "max_homes",
                    "commercial_allowed", "note"]


@admin.register(ExclusionRule)
class ExclusionRuleAdmin(admin.ModelAdmin):
    """Vehicles, business registration and state-paid members: each a dated rule; where the
    Lanshan rule is not known the row says so (see the verdict's help text)."""

    list_display = ["item", "effective_from", "verdict", "source", "note"]
    list_filter = ["item", "verdict"]
    ordering = ["item", "-effective_from"]


@admin.register(IncomeType)
class IncomeTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "group", "counted", "note", "order"]
    list_filter = ["group", "counted"]
    list_editable = ["counted", "order"]


class AgreementAdminForm(forms.ModelForm):
    """Refuses in the form what `agreement_record` would refuse, so errors show on the page."""

    class Meta:
        model = ConfidentialityAgreement
        fields = ["user", "signed_on", "valid_from", "valid_to", "scan", "note",
                  "revoked_reason"]

    def clean(self):
        from cases import scoping
        from cases.permissions import Role
        from cases.verification.files import read_scan

        data = super().clean()
        if self.instance.pk is not None:
            return data
        user = data.get("user")
        if user is not None and not scoping.has_role(user, Role.VERIFIER):
            self.add_error("user", "只能为核对专员备案保密协议。")
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", "有效期截止日期不能早于起始日期。")
        scan = data.get("scan")
        if scan:
            try:
                read_scan(scan, "保密协议扫描件")
            except CaseActionError as exc:
                self.add_error("scan", exc.message)
        return data


@admin.register(ConfidentialityAgreement)
class ConfidentialityAgreementAdmin(admin.ModelAdmin):
    form = AgreementAdminForm
    list_display = ["user", "signed_on", "valid_from", "valid_to", "revoked_at", "recorded_by"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    FIELDS = ["user", "signed_on", "valid_from", "valid_to", "scan", "note"]

    def get_fields(self, request, obj=None):
        return self.FIELDS + (["revoked_at", "revoked_reason"] if obj is not None else [])

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # an agreement on file is not rewritten; it can be revoked
            return [*self.FIELDS, "revoked_at"]
        return []

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        from cases import scoping

        return scoping.sees_whole_district(request.user) and super().has_add_permission(request)

    def save_model(self, request, obj, form, change):
        from cases.verification import services

        try:
            if change:
                if obj.revoked_reason and obj.revoked_at is None:
                    services.agreement_revoke(agreement=obj, by=request.user,
                                              reason=obj.revoked_reason)
                    messages.info(request, "保密协议已撤销。")
                return
            saved = services.agreement_record(
                user=obj.user, signed_on=obj.signed_on, valid_from=obj.valid_from,
                valid_to=obj.valid_to, scan=form.cleaned_data.get("scan"), by=request.user,
                note=obj.note)
        except CaseActionError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = saved.pk
        messages.info(request, "保密协议已备案。")


@admin.register(StaffRelative)
class StaffRelativeAdmin(AccessLoggedAdmin):
    list_display = ["staff_name", "post", "township", "village", "relative_name",
                    "relationship", "declared_on", "ended_on"]
    list_filter = ["post", "township", "ended_on"]
    search_fields = ["staff_name", "relative_name", "=relative_id_number"]  # exact: by hash
    raw_id_fields = ["staff_user", "village"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def get_exclude(self, request, obj=None):
        return ["recorded_by"]


@admin.register(VerificationRequest)
class VerificationRequestAdmin(LoggedReadOnlyAdmin):
    list_display = ["number", "case", "person", "source", "status", "requested_by",
                    "requested_at"]
    list_filter = ["source", "status", "channel"]
    search_fields = ["number", "case__number"]


@admin.register(VerificationResult)
class VerificationResultAdmin(LoggedReadOnlyAdmin):
    list_display = ["request", "record_ref", "found", "category", "monthly_income",
                    "asset_kind", "asset_value", "received_at"]
    list_filter = ["found", "asset_kind"]


@admin.register(VerificationImport)
class VerificationImportAdmin(LoggedReadOnlyAdmin):
    list_display = ["file_name", "rows", "created", "skipped", "imported_by", "imported_at"]


@admin.register(VerificationAccess)
class VerificationAccessAdmin(LoggedReadOnlyAdmin):
    list_display = ["at", "user", "action", "allowed", "case", "purpose", "source", "ip"]
    list_filter = ["action", "allowed"]
    search_fields = ["user__username", "case__number"]
    date_hierarchy = "at"


@admin.register(Assessment)
class AssessmentAdmin(LoggedReadOnlyAdmin):
    list_display = ["case", "version", "eligible", "amount", "computed_by", "computed_at"]
    list_filter = ["eligible"]
