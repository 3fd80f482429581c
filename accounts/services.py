"""Writing the sign-in audit log and the account security state."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Profile, SecurityEvent
from lanshan_aid.client_address import client_ip

# Session keys set at login and read by `accounts.middleware.AccountSecurityMiddleware`, so
# that the checks cost no query per request.
MUST_CHANGE_PASSWORD_KEY = "_lanshan_must_change_password"  # noqa: S105 - a session key
OTP_UNVERIFIED_KEY = "_lanshan_otp_unverified"
OTP_ENROLMENT_REQUIRED_KEY = "_lanshan_otp_enrolment_required"


def record_event(kind: str, *, request: HttpRequest | None = None, user=None,
                 username: str = "", actor=None, detail: str = "") -> SecurityEvent:
    """Append one row to the sign-in audit log.

    Args:
        kind: a `SecurityEvent.Kind` value.
        request: the request it happened in (address and browser are taken from it).
        user: the account concerned, when known.
        username: what was typed (kept for failures against unknown names).
        actor: who did it when it was not the account holder (an administrator).
        detail: a short note.

    Returns:
        The new event.
    """
    if user is not None and not getattr(user, "pk", None):
        user = None
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return SecurityEvent.objects.create(
        kind=kind, user=user, actor=actor,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        ip=client_ip(request), user_agent=agent[:200], detail=detail[:200],
    )


def must_change_password(user) -> bool:
    return Profile.objects.filter(user=user, must_change_password=True).exists()


def require_password_change(user) -> None:
    """The next login of `user` must start by changing the password (set by an administrator)."""
    Profile.objects.update_or_create(user=user, defaults={"must_change_password": True})


def password_changed_by_owner(user) -> None:
    Profile.objects.update_or_create(
        user=user, defaults={"must_change_password": False,
                             "password_changed_at": timezone.now()})
