"""Per-request account checks: a refused session, the initial password, second-factor enrolment.

The facts are put in the session at login (`accounts.signals`), so these checks cost no query.
Pages shown to a logged-in user are marked `no-store`: on a shared office computer, the back
button after logging out must not bring a household's page back from the browser's cache.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from accounts import services
from accounts.models import SecurityEvent


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        response = self._check(request, user)
        if response is None:
            response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response

    def _check(self, request, user):
        session = request.session
        if session.get(services.OTP_UNVERIFIED_KEY):
            # Logged in by a path that skipped the second factor the account has enabled.
            services.record_event(SecurityEvent.Kind.SESSION_REJECTED, request=request,
                                  user=user, detail="未经动态口令验证的会话")
            logout(request)
            messages.error(request, "该账户已启用双因素认证，请重新登录并输入动态口令。")
            return redirect(settings.LOGIN_URL)
        path = request.path_info
        if path.startswith(settings.STATIC_URL) or path == reverse("logout"):
            return None
        if session.get(services.MUST_CHANGE_PASSWORD_KEY):
            target = reverse("password_change")
            if path != target:
                messages.info(request, "这是管理员为您设置的初始密码，请先修改密码再使用系统。")
                return redirect(target)
            return None
        if session.get(services.OTP_ENROLMENT_REQUIRED_KEY):
            allowed = {reverse("otp_setup"), reverse("password_change"),
                       reverse("password_change_done")}
            if path not in allowed:
                messages.info(request, "您的角色须启用双因素认证，请先完成设置。")
                return redirect("otp_setup")
        return None
