"""The admin speaks Chinese: every app and model heading on its index page, third-party apps
(the sign-in lockout, the second factor) included."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
CAPTION = re.compile(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]*)</a>')
MODEL_ROW = re.compile(r'<th scope="row" id="[^"]*">\s*(?:<a [^>]*>)?([^<]+)')


def test_every_heading_of_the_admin_index_is_chinese(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    headings = [app["name"] for app in response.context["app_list"]]
    headings += [model["name"] for app in response.context["app_list"]
                 for model in app["models"]]
    assert len(headings) > 40
    assert [h for h in headings if not CJK.search(str(h))] == []
    # And as written on the page (the captions and the rows of the model tables).
    body = response.content.decode()
    shown = [h.strip() for h in CAPTION.findall(body) + MODEL_ROW.findall(body)]
    assert len(shown) == len(headings)
    assert [h for h in shown if not CJK.search(h)] == []
    assert {"登录锁定", "双因素认证", "登录失败与锁定记录", "动态口令验证器"} <= set(shown)


def test_the_renamed_apps_keep_their_labels_and_pages(client, superuser):
    client.force_login(superuser)
    for name in ("admin:axes_accessattempt_changelist", "admin:otp_totp_totpdevice_changelist",
                 "admin:app_list"):
        kwargs = {"app_label": "axes"} if name == "admin:app_list" else {}
        page = client.get(reverse(name, kwargs=kwargs))
        assert page.status_code == 200, name
    assert "登录锁定" in client.get(reverse("admin:app_list",
                                          kwargs={"app_label": "axes"})).content.decode()


def test_the_second_factor_list_has_chinese_columns(client, superuser, leader_a):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=leader_a, name="验证器", confirmed=True)
    client.force_login(superuser)
    page = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    body = page.content.decode()
    for label in ("账户", "名称", "已启用", "添加时间", "最近使用"):
        assert f">{label}<" in body, label
    assert "leader_a" in body and "Last used" not in body
