"""Receivers: every login, logout and failure goes to the audit log; role guards (三员分立,
district accounts do not approve)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django_otp import user_has_device

from accounts import roles, services
from accounts.models import SecurityEvent


@receiver(user_logged_in, dispatch_uid="accounts_login")
def _on_login(sender, request, user, **kwargs):
    services.record_event(SecurityEvent.Kind.LOGIN, request=request, user=user)
    session = getattr(request, "session", None)
    if session is None:
        return
    session[services.MUST_CHANGE_PASSWORD_KEY] = services.must_change_password(user)
    has_device = user_has_device(user)
    # A session opened without the second factor of a user who has one (any login path that
    # is not the OTP-aware form) is refused by the middleware on its next request.
    session[services.OTP_UNVERIFIED_KEY] = has_device and getattr(user, "otp_device", None) is None
    session[services.OTP_ENROLMENT_REQUIRED_KEY] = (
        settings.OTP_REQUIRED and not has_device and roles.may_use_otp(user))


@receiver(user_logged_out, dispatch_uid="accounts_logout")
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        services.record_event(SecurityEvent.Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="accounts_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    user = get_user_model().objects.filter(username=username).first() if username else None
    kind = (SecurityEvent.Kind.OTP_FAILED if "otp_token" in credentials
            else SecurityEvent.Kind.LOGIN_FAILED)
    services.record_event(kind, request=request, user=user, username=username)


@receiver(user_locked_out, dispatch_uid="accounts_locked_out")
def _on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    user = get_user_model().objects.filter(username=username).first() if username else None
    services.record_event(SecurityEvent.Kind.LOCKED_OUT, request=request, user=user,
                          username=username or "",
                          detail=f"连续{settings.AXES_FAILURE_LIMIT}次登录失败")


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="accounts_triad")
def _refuse_two_admin_roles(sender, instance, action, reverse, pk_set, **kwargs):
    """No account may hold two of the system, security and audit administrator roles, nor a
    district-wide role with a township approval role (`roles.district_approval_conflict`)."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # group.user_set.add(*users)
        added = [instance.name]
        users = get_user_model().objects.filter(pk__in=pk_set)
    else:  # user.groups.add(*groups)
        added = list(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
        users = [instance]
    for user in users:
        names = set(user.groups.values_list("name", flat=True)) | set(added)
        conflict = roles.triad_conflict(names)
        if conflict:
            raise ValidationError(
                f"三员分立：{user.get_username()} 不能同时担任"
                f"{'、'.join(role.value for role in conflict)}。",
                code="separation_of_duties")
        district, approval = roles.district_approval_conflict(names)
        if district:
            raise ValidationError(
                roles.district_approval_message(district, approval, who=user.get_username()),
                code="district_approval")
