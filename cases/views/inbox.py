"""The in-app inbox: the user's reminders, marking them read, and how else to be reminded."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases.models import DeliveryChannel, Notification, NotificationProfile
from cases.notifications import mark_read

MOBILE = re.compile(r"1[3-9]\d{9}")


class NotificationProfileForm(forms.ModelForm):
    mobile = forms.CharField(label="手机号码", max_length=20, required=False,
                             help_text="用于接收超期和急难救助等紧急提醒短信。")

    class Meta:
        model = NotificationProfile
        fields = ["mobile", "sms_enabled", "email_enabled"]

    def clean_mobile(self) -> str:
        mobile = (self.cleaned_data.get("mobile") or "").strip().replace(" ", "")
        if mobile and not MOBILE.fullmatch(mobile):
            raise forms.ValidationError("请填写11位手机号码。")
        return mobile


def _profile(user) -> NotificationProfile:
    return NotificationProfile.objects.filter(user=user).first() or NotificationProfile(
        user=user)


def _render(request: HttpRequest, form: NotificationProfileForm, status: int = 200):
    unread_only = request.GET.get("unread") == "1"
    items = Notification.objects.filter(recipient=request.user).select_related("case")
    if unread_only:
        items = items.filter(read_at__isnull=True)
    page = Paginator(items.prefetch_related("deliveries"), settings.LIST_PAGE_SIZE).get_page(
        request.GET.get("page"))
    response = render(request, "cases/inbox.html", {
        "page": page, "unread_only": unread_only, "form": form,
        "email": request.user.email, "channels": dict(DeliveryChannel.choices),
    })
    response.status_code = status
    return response


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return _render(request, NotificationProfileForm(instance=_profile(request.user)))


@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one reminder read; with ``open`` set, go on to its case."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    mark_read(user=request.user, pk=notification.pk)
    if request.POST.get("open") and notification.case_id:
        return redirect("case_detail", pk=notification.case_id)
    return redirect("inbox")


@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    count = mark_read(user=request.user)
    messages.success(request, f"已将{count}条提醒标为已读。" if count else "没有未读提醒。")
    return redirect("inbox")


@require_POST
def inbox_settings(request: HttpRequest) -> HttpResponse:
    form = NotificationProfileForm(request.POST, instance=_profile(request.user))
    if form.is_valid():
        form.save()
        messages.success(request, "提醒设置已保存。")
        return redirect("inbox")
    messages.error(request, "请检查填写的内容。")
    return _render(request, form, status=400)
