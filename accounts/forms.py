"""Login with an optional second factor, password change, second-factor enrolment."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django_otp import devices_for_user

# The one answer to every failed sign-in (wrong password, missing or wrong code, inactive).
INVALID_LOGIN = "用户名或密码不正确，或动态口令无效，请重新输入。"
ADMIN_INVALID_LOGIN = "用户名或密码不正确，或动态口令无效，或该账户无权进入管理后台。"


class OTPLoginForm(AuthenticationForm):
    """Username, password and, on the same step, the TOTP code of accounts that have one.

    Every failed sign-in gets the one answer, `invalid_login`, on the same page: a wrong
    password, the right password without a code or with a wrong one, an inactive account. The
    answer never tells which part was right, so a guessed password is not confirmed by a
    request for the code. A wrong or missing code counts as a failed login (the
    `user_login_failed` signal), so the lockout applies to it as to a wrong password; the
    security log keeps which it was. On success the device is put on the user, and django-otp
    marks the session verified when the login completes.
    """

    otp_token = forms.CharField(
        label="动态口令", required=False, max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="已启用双因素认证的账户须填写验证器中的6位数字。",
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN,
        "inactive": INVALID_LOGIN,
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        devices = list(devices_for_user(user, confirmed=True))
        if not devices:
            return cleaned
        token = (cleaned.get("otp_token") or "").strip().replace(" ", "")
        device = None
        if token:
            device = next((d for d in devices if d.verify_is_allowed()[0]
                           and d.verify_token(token)), None)
        if device is None:
            user_login_failed.send(
                sender=__name__, request=self.request,
                credentials={"username": user.get_username(), "otp_token": "********"})
            self.user_cache = None
            raise self.get_invalid_login_error()
        user.otp_device = device
        return cleaned


class AdminOTPLoginForm(OTPLoginForm, AdminAuthenticationForm):
    """The admin's login form with the same second factor (the admin has its own login URL)."""

    error_messages = {
        **OTPLoginForm.error_messages,
        "invalid_login": ADMIN_INVALID_LOGIN,
        "inactive": ADMIN_INVALID_LOGIN,
    }


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's password change, refusing to keep the same password."""

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password1")
        if password and self.user.check_password(password):
            self.add_error("new_password2", forms.ValidationError(
                "新密码不能与当前密码相同。", code="password_unchanged"))
        return cleaned


class TokenForm(forms.Form):
    token = forms.CharField(
        label="验证器显示的6位数字", max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip().replace(" ", "")
