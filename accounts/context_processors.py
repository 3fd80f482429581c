"""Header links of the account menu."""

from accounts.roles import OTP_ROLES


def account(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from cases import scoping

    return {"may_use_otp": user.is_superuser or bool(scoping.roles_of(user) & OTP_ROLES)}
