"""三员分立: system, security and audit administrators are distinct and bounded."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.models import SecurityEvent
from accounts.roles import ADMIN_TRIAD
from accounts.services import record_event
from cases import scoping
from cases.models import AccessLog
from cases.permissions import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def perms_of(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")}


def change_form_data(client, user) -> dict:
    page = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled or name == "password":
            continue
        value = form.initial.get(name)
        if value is None:
            continue
        if name in ("groups", "townships", "villages"):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif name == "date_joined":
            data["date_joined_0"], data["date_joined_1"] = "2026-11-01", "08:00:00"
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    return data


# --- One person, one of the three roles ------------------------------------------------------


@pytest.mark.parametrize("first,second", [(Role.SYSADMIN, Role.SECADMIN),
                                          (Role.SECADMIN, Role.AUDITOR),
                                          (Role.AUDITOR, Role.SYSADMIN)])
def test_no_account_holds_two_of_the_three_administrator_roles(roles_synced, first, second):
    user = make_user("someone", first)
    with pytest.raises(ValidationError, match="三员分立"), transaction.atomic():
        user.groups.add(Group.objects.get(name=second.value))
    with pytest.raises(ValidationError, match="三员分立"), transaction.atomic():
        Group.objects.get(name=second.value).user_set.add(user)
    assert set(scoping.roles_of(type(user).objects.get(pk=user.pk))) == {first}


def test_an_administrator_may_also_hold_a_business_role(roles_synced):
    user = make_user("bureau_admin", [Role.BUREAU, Role.SYSADMIN])
    assert set(scoping.roles_of(user)) == {Role.BUREAU, Role.SYSADMIN}


def test_the_admin_form_refuses_a_second_administrator_role(client, admin_sec, roles_synced):
    target = make_user("target", Role.SYSADMIN, is_staff=True)
    client.force_login(admin_sec)
    data = change_form_data(client, target)
    data["groups"] = [Group.objects.get(name=Role.SYSADMIN.value).pk,
                      Group.objects.get(name=Role.AUDITOR.value).pk]
    response = client.post(reverse("admin:auth_user_change", args=[target.pk]), data)
    assert response.status_code == 200 and "三员分立" in response.content.decode()


# --- What each role may do -------------------------------------------------------------------


def test_the_synced_roles_divide_the_administration(roles_synced):
    sysadmin, secadmin, auditor = (perms_of(r) for r in
                                   (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR))
    # System administrator: accounts and configuration, no roles, no audit logs.
    assert {"auth.add_user", "auth.change_user", "cases.change_township"} <= sysadmin
    assert not {"auth.change_group", "auth.add_group", "auth.change_permission",
                "auth.delete_user", "cases.view_accesslog"} & sysadmin
    assert not any(p.startswith("accounts.") or p.startswith("admin.") for p in sysadmin)
    # Security administrator: grants and unlocks, creates no accounts.
    assert {"auth.change_user", "axes.delete_accessattempt",
            "otp_totp.delete_totpdevice"} <= secadmin
    assert "auth.add_user" not in secadmin and "auth.change_group" not in secadmin
    # Audit administrator: reads every log, changes nothing.
    assert {"accounts.view_securityevent", "admin.view_logentry", "cases.view_accesslog",
            "cases.view_caseevent"} <= auditor
    assert all(p.split(".", 1)[1].startswith("view_") for p in auditor)


def test_the_new_administrators_see_no_household(admin_sec, admin_audit, household_a):
    for user in (admin_sec, admin_audit):
        assert not scoping.sees_whole_district(user)
        assert not scoping.households_visible_to(user).exists()
        assert not scoping.cases_visible_to(user).exists()


def test_the_system_administrator_cannot_grant_roles_or_places(client, admin_sys, clerk_a,
                                                                township_b):
    client.force_login(admin_sys)
    data = change_form_data(client, clerk_a)
    assert "groups" not in data and "townships" not in data
    data.update(first_name="晓燕", groups=[Group.objects.get(name=Role.BUREAU.value).pk],
                townships=[township_b.pk], is_superuser="on")
    response = client.post(reverse("admin:auth_user_change", args=[clerk_a.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk_a.refresh_from_db()
    assert clerk_a.first_name == "晓燕"
    assert set(clerk_a.groups.values_list("name", flat=True)) == {Role.CLERK.value}
    assert not clerk_a.is_superuser
    assert not scoping.townships_for(clerk_a).filter(pk=township_b.pk).exists()
    assert scoping.townships_for(clerk_a).exists(), "places were kept"


def test_the_security_administrator_grants_roles_but_creates_no_accounts(client, admin_sec,
                                                                         clerk_a):
    client.force_login(admin_sec)
    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    data = change_form_data(client, clerk_a)
    data["groups"] = [Group.objects.get(name=Role.VERIFIER.value).pk]
    data["first_name"] = "改名"
    response = client.post(reverse("admin:auth_user_change", args=[clerk_a.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk_a.refresh_from_db()
    assert set(clerk_a.groups.values_list("name", flat=True)) == {Role.VERIFIER.value}
    assert clerk_a.first_name != "改名", "names are the system administrator's"
    password = reverse("admin:auth_user_password_change", args=[clerk_a.pk])
    assert client.get(password).status_code == 403


def test_nobody_changes_their_own_account_in_the_admin(client, admin_sys, admin_sec):
    for admin_user in (admin_sys, admin_sec):
        client.force_login(admin_user)
        url = reverse("admin:auth_user_change", args=[admin_user.pk])
        page = client.get(url)
        assert page.status_code == 200 and not page.context["has_change_permission"]
        assert client.post(url, {"username": admin_user.username}).status_code == 403


def test_administrators_cannot_touch_a_superuser(client, admin_sys, superuser):
    client.force_login(admin_sys)
    url = reverse("admin:auth_user_change", args=[superuser.pk])
    assert not client.get(url).context["has_change_permission"]
    assert client.get(reverse("admin:auth_user_password_change",
                              args=[superuser.pk])).status_code == 403


# --- The system administrator does not touch the administrators' accounts --------------------


@pytest.fixture
def other_admins(admin_sec, admin_audit, roles_synced):
    """The security and audit administrators and a second system administrator."""
    return [admin_sec, admin_audit, make_user("admin_sys2", Role.SYSADMIN, is_staff=True)]


def test_the_system_administrator_cannot_change_an_administrator(client, admin_sys,
                                                                  other_admins):
    for target in other_admins:
        client.force_login(admin_sec_or(target, other_admins[0]))
        data = change_form_data(client, target)  # as one who may, to get a complete form
        client.force_login(admin_sys)
        url = reverse("admin:auth_user_change", args=[target.pk])
        page = client.get(url)
        assert page.status_code == 200 and not page.context["has_change_permission"]
        before = type(target).objects.get(pk=target.pk)
        data.update(first_name="冒名", email="x@example.invalid", is_active="", is_staff="")
        data.pop("is_active", None)
        assert client.post(url, data).status_code == 403, target.username
        after = type(target).objects.get(pk=target.pk)
        assert (after.first_name, after.email, after.is_active, after.is_staff) == (
            before.first_name, before.email, before.is_active, before.is_staff)
        assert set(after.groups.all()) == set(before.groups.all())


def admin_sec_or(target, admin_sec):
    """Someone allowed to open `target`'s change form: not the target themselves."""
    from django.contrib.auth import get_user_model

    if target.pk != admin_sec.pk:
        return admin_sec
    return get_user_model().objects.create_superuser("break_glass", "", "lanshan-test-2024")


def test_the_system_administrator_cannot_set_an_administrators_password(client, admin_sys,
                                                                         other_admins):
    client.force_login(admin_sys)
    for target in other_admins:
        url = reverse("admin:auth_user_password_change", args=[target.pk])
        assert client.get(url).status_code == 403, target.username
        response = client.post(url, {"password1": "Taken-over-2026!", "usable_password": "true",
                                     "password2": "Taken-over-2026!"})
        assert response.status_code == 403
        target.refresh_from_db()
        assert not target.check_password("Taken-over-2026!")
    client.logout()
    assert not client.login(username="admin_sec", password="Taken-over-2026!")
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_SET).exists()


def test_a_deactivated_administrator_stays_out_of_the_system_administrators_reach(
        client, admin_sys, admin_sec):
    type(admin_sec).objects.filter(pk=admin_sec.pk).update(is_active=False)
    client.force_login(admin_sys)
    page = client.get(reverse("admin:auth_user_change", args=[admin_sec.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.post(reverse("admin:auth_user_change", args=[admin_sec.pk]),
                       {"username": "admin_sec", "is_active": "on"}).status_code == 403
    url = reverse("admin:auth_user_password_change", args=[admin_sec.pk])
    assert client.post(url, {"password1": "Taken-over-2026!", "usable_password": "true",
                             "password2": "Taken-over-2026!"}).status_code == 403
    admin_sec.refresh_from_db()
    assert not admin_sec.is_active and not admin_sec.check_password("Taken-over-2026!")


def test_the_security_administrator_sets_an_administrators_password(client, admin_sec,
                                                                     admin_sys, admin_audit,
                                                                     clerk_a):
    client.force_login(admin_sec)
    for target in (admin_sys, admin_audit):
        url = reverse("admin:auth_user_password_change", args=[target.pk])
        assert client.get(url).status_code == 200
        response = client.post(url, {"password1": "Initial-Pass-2026!", "usable_password": "true",
                                     "password2": "Initial-Pass-2026!"})
        assert response.status_code == 302, response.content.decode()[:2000]
        target.refresh_from_db()
        assert target.check_password("Initial-Pass-2026!")
        event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PASSWORD_SET, user=target)
        assert event.actor == admin_sec
    change = client.get(reverse("admin:auth_user_change", args=[admin_sys.pk]))
    assert "password" in change.context["adminform"].form.fields  # the link to the form
    assert 'href="../password/"' in change.content.decode()
    # Not their own here, and not a business account's (the system administrator's task).
    for target in (admin_sec, clerk_a):
        url = reverse("admin:auth_user_password_change", args=[target.pk])
        assert client.get(url).status_code == 403, target.username


def test_the_system_administrator_still_sets_a_business_accounts_password(client, admin_sys,
                                                                          clerk_a):
    client.force_login(admin_sys)
    url = reverse("admin:auth_user_password_change", args=[clerk_a.pk])
    response = client.post(url, {"password1": "Initial-Pass-2026!", "usable_password": "true",
                                 "password2": "Initial-Pass-2026!"})
    assert response.status_code == 302
    clerk_a.refresh_from_db()
    assert clerk_a.check_password("Initial-Pass-2026!")


def test_the_system_administrator_cannot_delete_an_administrator(client, admin_sys,
                                                                  other_admins):
    client.force_login(admin_sys)
    changelist = reverse("admin:auth_user_changelist")
    action_form = client.get(changelist).context["action_form"]
    assert action_form is None or "delete_selected" not in dict(
        action_form.fields["action"].choices)
    for target in other_admins:
        url = reverse("admin:auth_user_delete", args=[target.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
    response = client.post(changelist, {"action": "delete_selected", "post": "yes",
                                        "_selected_action": [t.pk for t in other_admins]})
    assert response.status_code in (200, 302)
    assert type(admin_sys).objects.filter(pk__in=[t.pk for t in other_admins]).count() == 3


def test_the_system_administrator_cannot_change_roles_or_flags_of_an_administrator(
        client, admin_sys, admin_audit, roles_synced):
    """Not through the user's form (above) nor through the groups or permissions."""
    client.force_login(admin_sys)
    group = Group.objects.get(name=Role.AUDITOR.value)
    assert client.post(reverse("admin:auth_group_change", args=[group.pk]),
                       {"name": "x", "permissions": []}).status_code == 403
    assert client.get(reverse("admin:auth_group_add")).status_code == 403
    page = client.get(reverse("admin:auth_user_change", args=[admin_audit.pk]))
    assert not page.context["has_change_permission"]
    assert client.post(reverse("admin:auth_user_change", args=[admin_audit.pk]),
                       {"username": "admin_audit", "is_superuser": "on", "is_staff": "on",
                        "groups": [Group.objects.get(name=Role.BUREAU.value).pk]}
                       ).status_code == 403
    admin_audit.refresh_from_db()
    assert not admin_audit.is_superuser
    assert set(admin_audit.groups.values_list("name", flat=True)) == {Role.AUDITOR.value}


# --- The audit administrator reads every log and changes nothing ------------------------------


LOGS = ["admin:accounts_securityevent_changelist", "admin:admin_logentry_changelist",
        "admin:cases_accesslog_changelist", "admin:cases_caseevent_changelist",
        "admin:axes_accessattempt_changelist"]


def test_the_audit_administrator_reads_every_log(client, admin_audit):
    client.force_login(admin_audit)
    for name in LOGS:
        assert client.get(reverse(name)).status_code == 200, name
    index = client.get(reverse("admin:index")).content.decode()
    assert "登录与安全日志" in index and "查询访问日志" in index


def test_the_audit_administrator_changes_nothing(client, admin_audit, clerk_a, roles_synced):
    client.force_login(admin_audit)
    record_event(SecurityEvent.Kind.LOGIN, user=clerk_a)
    event = SecurityEvent.objects.get(user=clerk_a)
    access = AccessLog.objects.create(user=clerk_a, action="view", object_type="household",
                                      object_id="1")
    for url in (reverse("admin:accounts_securityevent_delete", args=[event.pk]),
                reverse("admin:cases_accesslog_delete", args=[access.pk]),
                reverse("admin:auth_user_delete", args=[clerk_a.pk]),
                reverse("admin:auth_group_change",
                        args=[Group.objects.get(name=Role.CLERK.value).pk])):
        assert client.post(url, {"post": "yes"}).status_code == 403, url
    assert client.post(reverse("admin:auth_user_change", args=[clerk_a.pk]),
                       {"username": "x"}).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
    assert AccessLog.objects.filter(pk=access.pk).exists()


def test_no_one_reviews_their_own_actions(client, admin_audit, admin_sec, clerk_a):
    record_event(SecurityEvent.Kind.LOGIN, user=admin_audit)
    record_event(SecurityEvent.Kind.LOGIN, user=admin_sec)
    record_event(SecurityEvent.Kind.PASSWORD_SET, user=clerk_a, actor=admin_sec)
    record_event(SecurityEvent.Kind.LOGIN, user=clerk_a)
    LogEntry.objects.log_actions(admin_sec.pk, [clerk_a], CHANGE, change_message="改角色")

    client.force_login(admin_audit)
    listed = client.get(reverse("admin:accounts_securityevent_changelist"))
    rows = set(listed.context["cl"].queryset.values_list("user__username", "kind"))
    assert ("admin_audit", "login") not in rows, "the auditor's own sign-ins"
    assert ("clerk_a", "password_set") in rows and ("admin_sec", "login") in rows
    entries = client.get(reverse("admin:admin_logentry_changelist")).context["cl"].queryset
    assert entries.filter(user=admin_sec).exists()

    client.force_login(admin_sec)  # the security administrator reviews the auditor
    listed = client.get(reverse("admin:accounts_securityevent_changelist"))
    rows = set(listed.context["cl"].queryset.values_list("user__username", "kind"))
    assert ("admin_audit", "login") in rows
    assert ("clerk_a", "password_set") not in rows, "a reset the reader did"
    assert not any(user == "admin_sec" for user, _ in rows)


def test_the_triad_roles_are_distinct_groups(roles_synced):
    names = {role.value for role in ADMIN_TRIAD}
    assert names == {"系统管理员", "安全管理员", "审计管理员"}
    assert Group.objects.filter(name__in=names).count() == 3
    assert ContentType.objects.filter(app_label="accounts", model="securityevent").exists()
    assert not Permission.objects.filter(content_type__app_label="accounts",
                                         codename__in=["change_securityevent",
                                                       "delete_securityevent"]).exists()
