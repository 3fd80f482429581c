"""Admin for the district bureau and system administrators (Chinese labels from the models).

Cases are never edited here: every field of a case is read-only for everyone, superusers
included; moves and corrections go through the services, which write the trail. A household's
payee account is read-only too (it changes only through `cases.payee`).
"""

from django.contrib import admin

from cases import (  # noqa: F401  (their registrations)
    admin_calendar,
    admin_users,
    admin_verification,
)
from cases.admin_base import AccessLoggedAdmin, LoggedReadOnlyAdmin, ReadOnlyAdmin
from cases.models import (
    AccessLog,
    AccountChange,
    Appraisal,
    Case,
    CaseAgent,
    CaseEvent,
    Deadline,
    DeclaredIncome,
    HomeVisit,
    Household,
    Membership,
    Notification,
    NotificationDelivery,
    NotificationProfile,
    Objection,
    OrgChange,
    Person,
    PersonChange,
    Township,
    VerificationAuthorization,
    VerificationReport,
    Village,
)


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "hotline", "office_hours", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "township", "is_active"]
    list_filter = ["township", "kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["township"]

    def save_model(self, request, obj, form, change):
        """Reassignments and renames go through the services so history is kept."""
        from cases.org import unit_rename, village_reassign

        if change:
            old = Village.objects.get(pk=obj.pk)
            if old.township_id != obj.township_id:
                new_township = obj.township
                obj.township = old.township
                village_reassign(village=obj, township=new_township, by=request.user,
                                 note="管理后台调整")
            if old.name != obj.name:
                new_name = obj.name
                obj.name = old.name
                unit_rename(unit=obj, name=new_name, by=request.user, note="管理后台更名")
        super().save_model(request, obj, form, change)


@admin.register(OrgChange)
class OrgChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "unit_code", "action", "old_value", "new_value", "by"]
    list_filter = ["action"]


class MembershipInline(admin.TabularInline):
    """Shown, not edited: a member joins or leaves a household only through the household
    page (`cases.households.household_save`), which checks that the person is in no other
    household and that no household ends up covered by both 低保 and 特困."""

    model = Membership
    extra = 0
    fields = readonly_fields = ["person", "relationship", "started_on", "ended_on"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(AccessLoggedAdmin):
    """The payee account is read-only here: it changes only through `cases.payee` (asked for by
    a clerk or leader of the township, confirmed by another leader, kept on record)."""

    list_display = ["id", "head", "village", "hukou_type", "updated_at"]
    readonly_fields = ["bank_name", "masked_account", "bank_payee"]
    exclude = ["bank_account"]
    list_filter = ["village__township", "hukou_type"]
    search_fields = ["head__name", "address"]
    raw_id_fields = ["head", "village"]
    inlines = [MembershipInline]
    list_select_related = ["head", "village"]

    @admin.display(description="银行账号")
    def masked_account(self, obj):
        from cases.idnumber import mask_account

        return mask_account(obj.bank_account)


@admin.register(AccountChange)
class AccountChangeAdmin(LoggedReadOnlyAdmin):
    """Payee-account changes (append-only); account numbers shown masked."""

    list_display = ["requested_at", "household", "status", "fields", "requested_by",
                    "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["household__head", "household__village", "requested_by",
                           "decided_by"]
    exclude = ["values"]
    readonly_fields = ["change_lines"]

    @admin.display(description="变更内容")
    def change_lines(self, obj):
        from cases.payee import describe

        return "；".join(describe(obj))


@admin.register(Person)
class PersonAdmin(AccessLoggedAdmin):
    list_display = ["name", "masked_id", "gender", "birth_date", "hukou_type", "health"]
    # Health is encrypted at rest, so it cannot be a database filter; the ID number is
    # searched exactly, through its keyed hash (cases/crypto.py).
    list_filter = ["gender", "hukou_type", "labour_capacity"]
    search_fields = ["name", "=id_number"]

    @admin.display(description="身份证号码")
    def masked_id(self, obj):
        return obj.masked_id

    def save_model(self, request, obj, form, change):
        """A change of a registered person's details is recorded (PersonChange)."""
        from cases.households import person_change_record

        if change and form.changed_data:
            old = Person.objects.get(pk=obj.pk)
            names = [n for n in form.changed_data if n in {f.name for f in Person._meta.fields}]
            super().save_model(request, obj, form, change)
            person_change_record(person=obj, old={n: getattr(old, n) for n in names},
                                 new={n: getattr(obj, n) for n in names}, by=request.user,
                                 source=PersonChange.Source.ADMIN)
            return
        super().save_model(request, obj, form, change)


@admin.register(PersonChange)
class PersonChangeAdmin(LoggedReadOnlyAdmin):
    """Changes of people's details; phone and ID numbers shown masked."""

    list_display = ["at", "person", "fields", "source", "confirmed", "by"]
    list_filter = ["source", "confirmed"]
    list_select_related = ["person", "by"]
    exclude = ["changes"]
    readonly_fields = ["change_table"]

    @admin.display(description="变更内容")
    def change_table(self, obj):
        from cases.households import describe_change

        return "；".join(describe_change(obj))


class DeadlineInline(admin.TabularInline):
    model = Deadline
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in Deadline._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(AccessLoggedAdmin):
    list_display = ["number", "kind", "status", "township", "village", "applied_at"]
    list_filter = ["kind", "status", "township"]
    search_fields = ["number", "applicant__name"]
    inlines = [DeadlineInline]
    list_select_related = ["township", "village"]

    def get_readonly_fields(self, request, obj=None):
        """Every field, for everyone (superusers too): the procedure's fields
        (`WORKFLOW_OWNED_FIELDS`) change only through the services, which write the trail; the
        others say who and where. A field added to `Case` later is read-only here too."""
        return [f.name for f in Case._meta.concrete_fields if f.editable or f.name == "status"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseAgent)
class CaseAgentAdmin(LoggedReadOnlyAdmin):
    """Delegates named at acceptance (read-only: recorded by `cases.agents`); ID number and
    phone shown masked."""

    list_display = ["case", "name", "relation", "masked_id", "recorded_at"]
    list_select_related = ["case"]
    fields = readonly_fields = ["case", "name", "masked_id", "relation", "masked_phone",
                                "recorded_by", "recorded_at"]

    @admin.display(description="受托人公民身份号码")
    def masked_id(self, obj):
        return obj.masked_id

    @admin.display(description="受托人联系电话")
    def masked_phone(self, obj):
        return obj.masked_phone


@admin.register(CaseEvent)
class CaseEventAdmin(LoggedReadOnlyAdmin):
    list_display = ["case", "seq", "at", "action", "from_status", "to_status", "actor"]
    list_filter = ["action"]
    search_fields = ["case__number"]


@admin.register(Deadline)
class DeadlineAdmin(LoggedReadOnlyAdmin):
    list_display = ["case", "kind", "status", "due_at", "calendar_confirmed"]
    list_filter = ["kind", "status", "calendar_confirmed"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["user__username"]


for model in (DeclaredIncome, VerificationAuthorization, VerificationReport, HomeVisit, Objection,
              Appraisal):
    admin.site.register(model, LoggedReadOnlyAdmin)


for model in (Notification, NotificationDelivery):
    admin.site.register(model, LoggedReadOnlyAdmin)


@admin.register(NotificationProfile)
class NotificationProfileAdmin(AccessLoggedAdmin):
    list_display = ["user"]
    raw_id_fields = ["user"]
