"""The optional TOTP second factor (django-otp) for leaders, the bureau and administrators."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import ADMIN_INVALID_LOGIN, INVALID_LOGIN
from accounts.models import SecurityEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def token_for(device: TOTPDevice, at: float | None = None) -> str:
    device.refresh_from_db()
    now = int(at if at is not None else time.time())
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                     drift=device.drift)
    generator.time = now
    return f"{generator.token():0{device.digits}d}"


def login(client, username, password=PASSWORD, token=None, url=None):
    data = {"username": username, "password": password}
    if token is not None:
        data["otp_token"] = token
    return client.post(url or reverse("login"), data)


def enrol(client, user) -> TOTPDevice:
    client.force_login(user)
    page = client.get(reverse("otp_setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "data:image/svg+xml;base64," in body and "密钥" in body
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("otp_setup"), {"token": token_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.logout()
    return device


def test_a_leader_enrols_and_then_needs_the_code_to_log_in(client, leader_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(leader_a)
        client.get(reverse("otp_setup"))
        wrong = client.post(reverse("otp_setup"), {"token": "000000"})
        assert wrong.status_code == 200 and "动态口令不正确" in wrong.content.decode()
        client.logout()
    start += dt.timedelta(seconds=5)
    with time_machine.travel(start, tick=False):
        device = enrol(client, leader_a)
    assert SecurityEvent.objects.filter(user=leader_a, kind="otp_enrolled").exists()

    later = start + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        missing = login(client, "leader_a")
        assert missing.status_code == 200 and INVALID_LOGIN in missing.content.decode()
        wrong = login(client, "leader_a", token="123456")
        assert wrong.status_code == 200 and INVALID_LOGIN in wrong.content.decode()
        assert "_auth_user_id" not in client.session
    later += dt.timedelta(seconds=5)  # a wrong code throttles the device for a moment
    with time_machine.travel(later, tick=False):
        ok = login(client, "leader_a", token=token_for(device, later.timestamp()))
        assert ok.status_code == 302
        assert client.get(reverse("home")).status_code == 200
        assert client.session.get("otp_device_id") == device.persistent_id

    assert SecurityEvent.objects.filter(user=leader_a, kind="otp_failed").count() == 2


def test_wrong_codes_count_towards_the_lockout(client, leader_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        enrol(client, leader_a)
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        for _ in range(5):
            response = login(client, "leader_a", token="000000")
        assert response.status_code == 429


def test_the_admin_login_form_asks_for_the_same_code(client, leader_a):
    leader_a.is_staff = True
    leader_a.save()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        enrol(client, leader_a)
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        page = client.get(reverse("admin:login"))
        assert "动态口令" in page.content.decode()
        response = login(client, "leader_a", url=reverse("admin:login"))
        assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_session_opened_without_the_code_is_refused(client, leader_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        enrol(client, leader_a)
    client.force_login(leader_a)  # any login path that skipped the form
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(user=leader_a, kind="session_rejected").exists()


def test_switching_it_off_needs_a_current_code(client, leader_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        device = enrol(client, leader_a)
    later = start + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        login(client, "leader_a", token=token_for(device, later.timestamp()))
    with time_machine.travel(later + dt.timedelta(minutes=1), tick=False):
        assert client.post(reverse("otp_setup"), {"token": "000000"}).status_code == 200
        assert TOTPDevice.objects.filter(user=leader_a, confirmed=True).exists()
    with time_machine.travel(later + dt.timedelta(minutes=2), tick=False):
        code = token_for(device, (later + dt.timedelta(minutes=2)).timestamp())
        assert client.post(reverse("otp_setup"), {"token": code}).status_code == 302
    assert not TOTPDevice.objects.filter(user=leader_a).exists()
    assert SecurityEvent.objects.filter(user=leader_a, kind="otp_removed").exists()


def test_window_clerks_are_not_offered_the_second_factor(client, clerk_a, leader_a):
    client.force_login(clerk_a)
    assert client.get(reverse("otp_setup")).status_code == 403
    assert "双因素认证" not in client.get(reverse("home")).content.decode()
    client.force_login(leader_a)
    assert "双因素认证" in client.get(reverse("home")).content.decode()


def test_with_otp_required_a_bureau_user_must_enrol_first(client, bureau, clerk_a, settings):
    settings.OTP_REQUIRED = True
    login(client, "bureau")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("otp_setup")
    assert client.get(reverse("otp_setup")).status_code == 200
    client.logout()
    login(client, "clerk_a")  # not one of the roles
    assert client.get(reverse("home")).status_code == 200


def test_the_security_administrator_resets_a_device_without_seeing_its_key(client, leader_a,
                                                                          admin_sec):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        device = enrol(client, leader_a)
    client.force_login(admin_sec)
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert change.status_code == 200 and device.key not in change.content.decode()
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = SecurityEvent.objects.get(kind="otp_removed")
    assert event.user == leader_a and event.actor == admin_sec


# --- One answer for every failed sign-in ------------------------------------------------------
# A password is never confirmed by the answer: a wrong password, the right one without the code
# and the right one with a wrong code all give the same message on the same page.

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|"X-CSRFToken": "[^"]*"')
WRONG_PASSWORD = "not-the-password-2024"


def page_text(response) -> str:
    return CSRF.sub("", response.content.decode())


def failed_sign_in(client, device, password, code, url=None):
    """One attempt at a moment the device accepts a code; `code` is "none", "wrong" or
    "right"."""
    at = timezone.now() + dt.timedelta(minutes=2)
    with time_machine.travel(at, tick=False):
        token = {"none": None, "wrong": "000000",
                 "right": token_for(device, at.timestamp()) if device else "000000"}[code]
        return login(client, "leader_a", password=password, token=token, url=url)


COMBINATIONS = [(WRONG_PASSWORD, "none"), (WRONG_PASSWORD, "wrong"), (WRONG_PASSWORD, "right"),
                (PASSWORD, "none"), (PASSWORD, "wrong")]


@pytest.mark.parametrize("url_name,message", [("login", INVALID_LOGIN),
                                              ("admin:login", ADMIN_INVALID_LOGIN)])
def test_every_failed_sign_in_of_a_totp_account_gets_the_same_answer(client, leader_a,
                                                                    url_name, message):
    leader_a.is_staff = True
    leader_a.save()
    with time_machine.travel(timezone.now(), tick=False):
        device = enrol(client, leader_a)
    pages = {}
    for password, code in COMBINATIONS:
        AccessAttempt.objects.all().delete()  # the lockout has its own test below
        device.refresh_from_db()
        device.throttling_failure_count = 0  # each attempt as the first one
        device.save(update_fields=["throttling_failure_count"])
        response = failed_sign_in(client, device, password, code, url=reverse(url_name))
        assert response.status_code == 200, (password, code)
        assert "_auth_user_id" not in client.session
        body = response.content.decode()
        assert message in body, (password, code)
        assert "请输入动态口令" not in body and "动态口令不正确或已过期" not in body
        pages[(password, code)] = page_text(response)
    assert len(set(pages.values())) == 1, "the pages differ between failures"
    # The right password with the right code still signs in.
    AccessAttempt.objects.all().delete()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save(update_fields=["throttling_failure_count"])
    assert failed_sign_in(client, device, PASSWORD, "right",
                          url=reverse(url_name)).status_code == 302
    assert "_auth_user_id" in client.session


def test_an_account_without_a_second_factor_gets_the_same_answer(client, leader_a, clerk_a):
    for username in ("clerk_a", "nobody-of-that-name"):
        response = login(client, username, password=WRONG_PASSWORD, token="000000")
        assert response.status_code == 200 and INVALID_LOGIN in response.content.decode()
    clerk_a.is_active = False
    clerk_a.save()
    inactive = login(client, "clerk_a")
    assert inactive.status_code == 200 and INVALID_LOGIN in inactive.content.decode()
    assert "停用" not in inactive.content.decode()


def test_every_kind_of_failure_counts_towards_the_lockout(client, leader_a):
    with time_machine.travel(timezone.now(), tick=False):
        device = enrol(client, leader_a)
    attempts = [(WRONG_PASSWORD, "none"), (PASSWORD, "none"), (PASSWORD, "wrong"),
                (WRONG_PASSWORD, "right")]
    for password, code in attempts:
        assert failed_sign_in(client, device, password, code).status_code == 200
    assert failed_sign_in(client, device, PASSWORD, "none").status_code == 429
    # Locked out: even the right password and code are refused now.
    assert failed_sign_in(client, device, PASSWORD, "right").status_code == 429
    kinds = list(SecurityEvent.objects.filter(user=leader_a).values_list("kind", flat=True))
    assert kinds.count("otp_failed") == 3 and kinds.count("login_failed") >= 2
    assert "locked_out" in kinds
