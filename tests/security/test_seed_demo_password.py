"""`seed_demo` never leaves `admin` (or any demo account) on the published password where
DEBUG is off: `--force` alone is refused, and with `--password` every account still on the
published password gets the given one and must change it at its first sign-in.

Before the fix `seed_demo --force` with DEBUG off created `admin` with `DEMO_PASSWORD` and no
obligation to change it. The demo's households and cases are left out here (`seed_all` is
replaced by the real account seeding alone): the password rule concerns the accounts only.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Profile
from cases.demo import DEMO_PASSWORD, seed_users
from cases.management.commands import seed_demo

pytestmark = pytest.mark.django_db

CHOSEN = "Qiang-Mima-2026-x7"


@pytest.fixture
def accounts_only(monkeypatch, roles_synced):
    monkeypatch.setattr(seed_demo, "seed_all",
                        lambda: {"users": seed_users(), "households": [], "cases": []})


def must_change(username: str) -> bool:
    return Profile.objects.filter(user__username=username, must_change_password=True).exists()


@pytest.mark.parametrize("args", [("--force",), ()])
def test_with_debug_off_the_published_password_is_refused(settings, accounts_only, args):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--password"):
        call_command("seed_demo", *args)
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "123", "password"])
def test_a_published_or_weak_password_is_refused(settings, accounts_only, password):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", "--force", "--password", password)
    assert not get_user_model().objects.exists()


def test_with_a_password_admin_and_every_demo_account_must_change_it(settings, accounts_only,
                                                                      client):
    settings.DEBUG = False
    call_command("seed_demo", "--force", "--password", CHOSEN)
    users = get_user_model().objects.all()
    assert users.filter(username="admin").exists() and users.count() > 5
    for user in users:
        assert not user.check_password(DEMO_PASSWORD), user.username
        assert user.check_password(CHOSEN), user.username
        assert must_change(user.username), user.username
    response = client.post(reverse("login"), {"username": "clerk_a", "password": CHOSEN})
    assert response.status_code == 302
    assert client.get(reverse("home"))["Location"] == reverse("password_change")


def test_an_admin_left_on_the_published_password_by_an_earlier_run_is_replaced(
        settings, accounts_only):
    settings.DEBUG = True
    call_command("seed_demo")  # a demo machine: the published password, as documented
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(DEMO_PASSWORD) and not must_change("admin")
    settings.DEBUG = False
    call_command("seed_demo", "--force", "--password", CHOSEN)
    admin.refresh_from_db()
    assert admin.check_password(CHOSEN) and must_change("admin")


def test_an_account_whose_password_was_changed_is_left_alone(settings, accounts_only):
    settings.DEBUG = True
    call_command("seed_demo")
    clerk = get_user_model().objects.get(username="clerk_a")
    clerk.set_password("Ziji-Gai-De-2026")
    clerk.save()
    settings.DEBUG = False
    call_command("seed_demo", "--force", "--password", CHOSEN)
    clerk.refresh_from_db()
    assert clerk.check_password("Ziji-Gai-De-2026") and not must_change("clerk_a")
