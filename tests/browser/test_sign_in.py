"""The sign-in page in Chromium for an account with a second factor, on an office PC and on a
360-px phone: a wrong password, the right password without the code and the right password
with a wrong code all give the same answer on the same page; the right pair signs in."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import INVALID_LOGIN
from tests.browser.conftest import DESK, SMALL_PHONE
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENS = [pytest.param(DESK, False, id="pc"), pytest.param(SMALL_PHONE, True, id="phone-360")]


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.parametrize("viewport,mobile", SCREENS)
def test_a_failed_sign_in_never_says_which_part_was_wrong(journey, leader_a, viewport, mobile):
    from playwright.sync_api import expect

    device = TOTPDevice.objects.create(user=leader_a, name="验证器", confirmed=True)
    page = journey.public_page(viewport=viewport, mobile=mobile)
    posted = []
    page.on("response", lambda r: posted.append(r.status) if r.request.method == "POST" else None)
    answers = []
    for step, (password, code) in enumerate([("not-the-password-2024", ""), (PASSWORD, ""),
                                             (PASSWORD, "000000")], start=1):
        page.goto(journey.url("/login/"))
        expect(page.locator("#id_otp_token")).to_be_visible()
        page.fill("#id_username", "leader_a")
        page.fill("#id_password", password)
        page.fill("#id_otp_token", code)
        page.get_by_role("button", name="登录").click()
        alert = page.get_by_role("alert")
        expect(alert).to_have_text(INVALID_LOGIN)
        expect(page.locator("h1")).to_have_text("用户登录")
        answers.append(alert.inner_text())
        journey.shot(page, f"failure-{step}")
    assert len(set(answers)) == 1

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    page.goto(journey.url("/login/"))
    page.fill("#id_username", "leader_a")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", _code(device))
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).not_to_have_text("用户登录")
    journey.shot(page, "signed-in")
    assert posted == [200, 200, 200, 302]
