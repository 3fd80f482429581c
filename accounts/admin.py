"""Admin under separation of duties (三员分立) and the read-only audit logs.

- System administrator: creates accounts, edits names and e-mail, (de)activates, sets an
  initial password (the user must change it at the next login) — of business accounts only.
  The administrators' accounts (system, security and audit administrator) are out of reach:
  no change, password, deletion, roles or flags on any admin path, so no administrator can
  take over another's account and act in their name.
- Security administrator: grants roles, admin access and places (townships, villages); resets
  a second factor; unlocks a locked-out login (axes "access attempts"); sets the passwords of
  the administrators' accounts (not their own).
- Audit administrator: reads every log (sign-in log, admin actions, look-up log, case trail)
  and changes nothing.
Nobody changes their own account here, and no log lists its reader's own actions. Superusers
are the installation's break-glass account and keep Django's full admin.
"""

from __future__ import annotations

from axes.models import AccessFailureLog
from axes.models import AccessLog as AxesAccessLog
from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles, services
from accounts.models import SecurityEvent
from cases.admin_users import PlacesUserAdmin, PlacesUserChangeForm

User = get_user_model()

PERSONAL = ("username", "password", "first_name", "last_name", "email")
GRANTS = ("is_active", "is_staff", "groups", "townships", "villages")
SUPERUSER_ONLY = ("is_superuser", "user_permissions")
DATES = ("last_login", "date_joined")


class SecureUserChangeForm(PlacesUserChangeForm):
    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        if groups is not None:
            conflict = roles.triad_conflict(group.name for group in groups)
            if conflict:
                raise forms.ValidationError(
                    f"三员分立：同一账户不能同时担任{'、'.join(r.value for r in conflict)}。",
                    code="separation_of_duties")
            district, approval = roles.district_approval_conflict(g.name for g in groups)
            if district:
                raise forms.ValidationError(
                    roles.district_approval_message(district, approval),
                    code="district_approval")
        return cleaned


class NoPlacesUserChangeForm(SecureUserChangeForm):
    """The system administrator's form: places are granted by the security administrator."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("townships", "villages"):
            self.fields.pop(name, None)


def is_administrator(user) -> bool:
    """An account holding one of the three administrator roles (三员), active or not: a
    deactivated administrator's account stays out of the system administrator's reach, or it
    could be reactivated with a new password."""
    return user.groups.filter(name__in=[role.value for role in roles.ADMIN_TRIAD]).exists()


def sets_password_of(actor, target) -> bool:
    """Who sets `target`'s password: a superuser; the security administrator for the
    administrators' accounts; the system administrator for every other account. Never one's
    own here (the owner uses the password-change page), never a superuser's."""
    if actor.is_superuser:
        return True
    if target.pk == actor.pk or target.is_superuser:
        return False
    if is_administrator(target):
        return roles.is_security_admin(actor)
    return roles.is_system_admin(actor)


class SecureUserAdmin(PlacesUserAdmin):
    form = SecureUserChangeForm

    def get_form(self, request, obj=None, **kwargs):
        if (obj is not None and not request.user.is_superuser
                and roles.is_system_admin(request.user)):
            kwargs["form"] = NoPlacesUserChangeForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        hidden = set(SUPERUSER_ONLY)
        if roles.is_system_admin(request.user):
            hidden |= {"townships", "villages"}
        elif roles.is_security_admin(request.user) and not is_administrator(obj):
            hidden |= {"password"}
        shaped = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f not in hidden]
            if fields:
                shaped.append((name, {**options, "fields": fields}))
        return shaped

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or request.user.is_superuser:
            return readonly
        readonly += [*SUPERUSER_ONLY, *DATES]
        if roles.is_system_admin(request.user):
            readonly += ["is_staff", "groups"]
        elif roles.is_security_admin(request.user):
            readonly += [f for f in PERSONAL if f != "password"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        # Nobody grants themselves anything, and the break-glass account is out of reach.
        if obj.pk == request.user.pk or obj.is_superuser:
            return False
        # The system administrator does not touch the administrators' accounts (三员分立).
        return not (roles.is_system_admin(request.user) and is_administrator(obj))

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: their audit records refer to them.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        """Set a password (`sets_password_of`); the user must change it at the next login."""
        target = self.get_object(request, unquote(id))
        if target is not None and not sets_password_of(request.user, target):
            raise PermissionDenied(
                "管理员账户的密码由安全管理员设置，其他账户的密码由系统管理员设置。")
        before = target.password if target is not None else None
        response = super().user_change_password(request, id, form_url)
        if target is not None and request.method == "POST":
            target.refresh_from_db(fields=["password"])
            if target.password != before:
                services.require_password_change(target)
                services.record_event(SecurityEvent.Kind.PASSWORD_SET, request=request,
                                      user=target, actor=request.user)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            services.require_password_change(obj)
            services.record_event(SecurityEvent.Kind.ACCOUNT_CREATED, request=request,
                                  user=obj, actor=request.user)


admin.site.unregister(User)
admin.site.register(User, SecureUserAdmin)


class AuditLogAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included; the reader's own rows are not listed."""

    actor_field = "user"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(**{f"{self.actor_field}_id": request.user.pk})


@admin.register(SecurityEvent)
class SecurityEventAdmin(AuditLogAdmin):
    list_display = ["at", "kind", "username", "user", "actor", "ip", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        # Neither as the account nor as the administrator who acted.
        return super().get_queryset(request).exclude(actor_id=request.user.pk)


@admin.register(LogEntry)
class LogEntryAdmin(AuditLogAdmin):
    """Django's record of every change made in this admin (who, what, when)."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag",
                    "change_message"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "user__username"]
    date_hierarchy = "action_time"


class SecondFactorAdmin(admin.ModelAdmin):
    """Second-factor devices: the security administrator can see and reset, never read keys."""

    list_display = ["account", "device_name", "is_confirmed", "added_at", "last_used"]
    list_filter = ["confirmed"]
    search_fields = ["user__username"]
    fields = ["account", "device_name", "is_confirmed", "added_at", "last_used"]
    readonly_fields = fields

    # Chinese column and field labels (the package's own are English).
    @admin.display(description="账户", ordering="user__username")
    def account(self, obj):
        return obj.user

    @admin.display(description="名称")
    def device_name(self, obj):
        return obj.name

    @admin.display(description="已启用", boolean=True, ordering="confirmed")
    def is_confirmed(self, obj):
        return obj.confirmed

    @admin.display(description="添加时间", ordering="created_at")
    def added_at(self, obj):
        return obj.created_at

    @admin.display(description="最近使用", ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.record_event(SecurityEvent.Kind.OTP_REMOVED, request=request, user=obj.user,
                              actor=request.user, detail="安全管理员重置")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            self.delete_model(request, device)


for model in (TOTPDevice, AxesAccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
admin.site.register(TOTPDevice, SecondFactorAdmin)
