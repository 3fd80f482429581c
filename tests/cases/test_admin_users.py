"""The district assigns staff to townships and assistants to villages in the admin (S21)."""

import pytest
from django.urls import reverse

from cases import scoping
from cases.permissions import Role
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S21")]


def test_admin_assigns_townships_and_villages(client, superuser, township_a, township_b,
                                              village_a):
    user = make_user("new_clerk", Role.CLERK)
    assert not scoping.townships_for(user).exists()
    client.force_login(superuser)
    url = reverse("admin:auth_user_change", args=[user.pk])
    page = client.get(url)
    assert "工作镇街" in page.content.decode()
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in (
        "groups", "user_permissions", "townships", "villages", "password")}
    data.update({"username": "new_clerk", "groups": [g.pk for g in user.groups.all()],
                 "townships": [township_a.pk, township_b.pk], "villages": [village_a.pk],
                 "date_joined_0": "2026-11-01", "date_joined_1": "08:00:00", "is_active": "on"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = type(user).objects.get(pk=user.pk)
    assert set(scoping.townships_for(user)) == {township_a, township_b}
    data["townships"] = [township_b.pk]
    client.post(url, data)
    user = type(user).objects.get(pk=user.pk)
    assert set(scoping.townships_for(user)) == {township_b}


def test_the_user_list_shows_names_in_chinese_order(client, superuser):
    make_user("clerk_zhang_lx", None, last_name="张", first_name="立新")
    client.force_login(superuser)
    html = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "张立新" in html and "立新 张" not in html
