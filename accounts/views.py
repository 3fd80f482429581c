"""Login, password change and the second-factor (TOTP) page."""

from __future__ import annotations

import base64

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles, services
from accounts.forms import OTPLoginForm, OwnPasswordChangeForm, TokenForm
from accounts.models import SecurityEvent


class LoginView(auth_views.LoginView):
    """The one login form (the admin's login page uses the same second factor)."""

    authentication_form = OTPLoginForm
    template_name = "registration/login.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password; clears the "change the initial password" flag."""

    form_class = OwnPasswordChangeForm
    success_url = reverse_lazy("password_change_done")
    template_name = "registration/password_change_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed_by_owner(self.request.user)
        self.request.session[services.MUST_CHANGE_PASSWORD_KEY] = False
        services.record_event(SecurityEvent.Kind.PASSWORD_CHANGED, request=self.request,
                              user=self.request.user)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


def _qr_svg(text: str) -> str:
    """The QR code as an inline SVG data URI (no script, no outside request)."""
    svg = segno.make(text, error="m").svg_inline(scale=4, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enable, or switch off, the TOTP second factor of one's own account.

    Offered to township leaders, the district bureau and the three administrators. Switching it
    off needs a current code, so a stolen session alone cannot remove it.
    """
    user = request.user
    if not roles.may_use_otp(user):
        raise PermissionDenied("双因素认证面向镇街分管领导、区民政局及系统、安全、审计管理员。")
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = TokenForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            if confirmed.verify_token(form.cleaned_data["token"]):
                confirmed.delete()
                services.record_event(SecurityEvent.Kind.OTP_REMOVED, request=request,
                                      user=user, detail="本人停用")
                messages.success(request, "已停用双因素认证。")
                return redirect("otp_setup")
            form.add_error("token", "动态口令不正确或已过期。")
        return render(request, "accounts/otp_setup.html", {"enabled": True, "form": form})

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="验证器", confirmed=False)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            django_otp.login(request, device)
            request.session[services.OTP_ENROLMENT_REQUIRED_KEY] = False
            request.session[services.OTP_UNVERIFIED_KEY] = False
            services.record_event(SecurityEvent.Kind.OTP_ENROLLED, request=request, user=user)
            messages.success(request, "已启用双因素认证，今后登录须输入验证器中的动态口令。")
            return redirect("otp_setup")
        form.add_error("token", "动态口令不正确，请核对手机时间后重试。")
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/otp_setup.html", {
        "enabled": False, "form": form,
        "qr": _qr_svg(device.config_url),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": request.session.get(services.OTP_ENROLMENT_REQUIRED_KEY, False),
    })
