"""Sign-in security: lockout, password rules, initial passwords, idle timeout, audit log."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile, SecurityEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Xin-Mima-2026!"


def login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def kinds(user=None, username=None):
    qs = SecurityEvent.objects.order_by("at", "pk")
    if user is not None:
        qs = qs.filter(user=user)
    if username is not None:
        qs = qs.filter(username=username)
    return list(qs.values_list("kind", flat=True))


# --- Lockout (django-axes) ------------------------------------------------------------------


def test_five_failed_logins_lock_the_username_at_that_address_for_15_minutes(client, clerk_a):
    for _ in range(5):
        response = login(client, "clerk_a", "wrong-password-1")
    assert response.status_code == 429
    assert "已暂时锁定" in response.content.decode()

    locked = login(client, "clerk_a", PASSWORD)
    assert locked.status_code == 429, "the right password does not open a locked login"
    assert "_auth_user_id" not in client.session

    elsewhere = login(client, "clerk_a", PASSWORD, REMOTE_ADDR="10.20.30.40")
    assert elsewhere.status_code == 302, "the lock is on the username at this address only"

    later = timezone.now() + dt.timedelta(minutes=16)
    with time_machine.travel(later, tick=False):
        client.logout()
        assert login(client, "clerk_a", PASSWORD).status_code == 302

    history = kinds(username="clerk_a")
    assert history.count(SecurityEvent.Kind.LOGIN_FAILED) >= 5
    assert SecurityEvent.Kind.LOCKED_OUT in history


def test_four_failures_do_not_lock_and_a_success_resets_the_count(client, clerk_a):
    for _ in range(4):
        assert login(client, "clerk_a", "wrong-password-1").status_code == 200
    assert login(client, "clerk_a", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "clerk_a", "wrong-password-1").status_code == 200
    assert login(client, "clerk_a", PASSWORD).status_code == 302


def test_a_failed_login_shows_one_message_for_unknown_user_and_wrong_password(client, clerk_a):
    unknown = login(client, "nobody_here", "whatever-123").content.decode()
    wrong = login(client, "clerk_a", "whatever-123").content.decode()
    assert "用户名或密码不正确" in unknown and "用户名或密码不正确" in wrong


# --- The sign-in audit log ------------------------------------------------------------------


def test_login_logout_and_failures_are_in_the_audit_log_with_address(client, clerk_a):
    login(client, "clerk_a", "wrong-password-1", REMOTE_ADDR="10.1.2.3",
          HTTP_USER_AGENT="TestBrowser/1.0")
    login(client, "ghost", "wrong-password-1", REMOTE_ADDR="10.1.2.3")
    login(client, "clerk_a", PASSWORD, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")

    assert kinds(user=clerk_a) == ["login_failed", "login", "logout"]
    failed = SecurityEvent.objects.get(user=clerk_a, kind="login_failed")
    assert failed.ip == "10.1.2.3" and failed.user_agent == "TestBrowser/1.0"
    ghost = SecurityEvent.objects.get(username="ghost")
    assert ghost.user is None and ghost.kind == "login_failed"


def test_the_proxy_address_is_believed_only_when_configured(client, clerk_a, settings):
    login(client, "clerk_a", "bad-password-1", HTTP_X_FORWARDED_FOR="1.1.1.1, 172.16.0.9")
    assert SecurityEvent.objects.latest("pk").ip == "127.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = True
    login(client, "clerk_a", "bad-password-1", HTTP_X_FORWARDED_FOR="1.1.1.1, 172.16.0.9")
    assert SecurityEvent.objects.latest("pk").ip == "172.16.0.9"


# --- Password rules -------------------------------------------------------------------------


@pytest.mark.parametrize("password", [
    "Ab1!xyz",  # shorter than 10
    "abcdefghijk",  # one class only
    "lanshanmima2026",  # two classes
    "Clerk_A-2026xx",  # contains the username
    "A_krelc!2026x",  # the username backwards
    "1234567890",  # numeric
])
def test_weak_passwords_are_refused(clerk_a, password):
    with pytest.raises(ValidationError):
        validate_password(password, clerk_a)


@pytest.mark.parametrize("password", [NEW_PASSWORD, "Lanshan@2026", "lanshan-test-pass-2024"])
def test_passwords_of_three_classes_and_ten_characters_pass(clerk_a, password):
    validate_password(password, clerk_a)


# --- Initial passwords must be changed -------------------------------------------------------


def _create_in_admin(client, admin_user, username="new_staff"):
    client.force_login(admin_user)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": username, "usable_password": "true",
        "password1": "Chushi-Mima-2026", "password2": "Chushi-Mima-2026"})
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()
    return get_user_model().objects.get(username=username)


def test_a_user_created_by_an_administrator_must_change_the_initial_password(client,
                                                                             admin_sys):
    user = _create_in_admin(client, admin_sys)
    assert Profile.objects.get(user=user).must_change_password
    created = SecurityEvent.objects.get(kind="account_created")
    assert created.user == user and created.actor == admin_sys

    assert login(client, "new_staff", "Chushi-Mima-2026").status_code == 302
    for url in (reverse("home"), reverse("case_list"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "修改密码" in page.content.decode()

    same = client.post(reverse("password_change"), {
        "old_password": "Chushi-Mima-2026", "new_password1": "Chushi-Mima-2026",
        "new_password2": "Chushi-Mima-2026"})
    assert "不能与当前密码相同" in same.content.decode()
    done = client.post(reverse("password_change"), {
        "old_password": "Chushi-Mima-2026", "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    profile = Profile.objects.get(user=user)
    assert not profile.must_change_password and profile.password_changed_at is not None
    assert "password_changed" in kinds(user=user)


def test_a_password_set_by_the_system_administrator_must_be_changed(client, admin_sys,
                                                                    clerk_a):
    client.force_login(admin_sys)
    url = reverse("admin:auth_user_password_change", args=[clerk_a.pk])
    response = client.post(url, {"set_usable_password": "true", "password1": "Reset-Mima-2026",
                                 "password2": "Reset-Mima-2026"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Profile.objects.get(user=clerk_a).must_change_password
    event = SecurityEvent.objects.get(kind="password_set")
    assert event.user == clerk_a and event.actor == admin_sys
    client.logout()
    login(client, "clerk_a", "Reset-Mima-2026")
    assert client.get(reverse("home"))["Location"] == reverse("password_change")


def test_demo_users_are_not_forced_to_change_the_published_password(client, db):
    from cases.demo import DEMO_PASSWORD, seed_users
    from cases.management.commands.sync_roles import sync_roles

    sync_roles()
    seed_users()
    assert not Profile.objects.filter(must_change_password=True).exists()
    assert login(client, "clerk_a", DEMO_PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_password_change_page_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Idle timeout ----------------------------------------------------------------------------


def _signed_in(client) -> bool:
    response = client.get(reverse("home"))
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
        return False
    assert response.status_code == 200
    return True


def test_a_session_ends_after_30_idle_minutes_and_activity_keeps_it(client, clerk_a, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and not settings.SESSION_SAVE_EVERY_REQUEST
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login(client, "clerk_a", PASSWORD).status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=25), tick=False):
        assert _signed_in(client)  # activity moves the expiry on
    with time_machine.travel(start + dt.timedelta(minutes=50), tick=False):
        assert _signed_in(client)  # 25 idle minutes
    with time_machine.travel(start + dt.timedelta(minutes=81), tick=False):
        assert not _signed_in(client)  # 31 idle minutes


def test_31_idle_minutes_after_requests_within_the_minute_sign_out(client, clerk_a):
    """Requests that did not move the expiry on (within the minute) count as activity no
    later than the last refresh: idle for 31 minutes after them is signed out."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login(client, "clerk_a", PASSWORD).status_code == 302
    with time_machine.travel(start + dt.timedelta(seconds=50), tick=False):
        assert _signed_in(client)  # within the minute: no write
    with time_machine.travel(start + dt.timedelta(seconds=50, minutes=31), tick=False):
        assert not _signed_in(client)


def test_a_user_active_every_10_minutes_for_2_hours_stays_signed_in(client, clerk_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login(client, "clerk_a", PASSWORD).status_code == 302
    for minutes in range(10, 121, 10):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert _signed_in(client), f"signed out after {minutes} minutes"
    with time_machine.travel(start + dt.timedelta(minutes=120 + 31), tick=False):
        assert not _signed_in(client)


def test_a_request_within_the_minute_writes_no_session_row(client, clerk_a):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login(client, "clerk_a", PASSWORD).status_code == 302
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    with (time_machine.travel(start + dt.timedelta(seconds=45), tick=False),
          CaptureQueriesContext(connection) as ctx):
        assert _signed_in(client)
    writes = [q["sql"] for q in ctx.captured_queries
              if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert writes == []
    assert Session.objects.get(session_key=key).expire_date == expiry
    with time_machine.travel(start + dt.timedelta(seconds=75), tick=False):
        assert _signed_in(client)  # past the minute: the expiry moves on
    assert Session.objects.get(session_key=key).expire_date == expiry + dt.timedelta(seconds=75)


def test_the_idle_timeout_holds_even_where_the_store_still_has_the_session(client, clerk_a):
    """A cached session (cached_db) is read without its expiry date: the time stored in the
    session ends it after 30 idle minutes whatever the store says."""
    from django.contrib.sessions.models import Session

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert login(client, "clerk_a", PASSWORD).status_code == 302
    Session.objects.update(expire_date=start + dt.timedelta(days=1))
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert _signed_in(client)
    with time_machine.travel(start + dt.timedelta(minutes=29 + 31), tick=False):
        Session.objects.update(expire_date=start + dt.timedelta(days=1))
        assert not _signed_in(client)
    assert not Session.objects.filter(expire_date__gt=start + dt.timedelta(hours=2)).exists()
