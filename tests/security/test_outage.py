"""A lost database gives a Chinese 503 page, never a stack trace; other errors a Chinese 500."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import include, path

from lanshan_aid.middleware import is_database_outage

BASE = Path(settings.BASE_DIR)


def _database_gone(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def _bug(request):
    raise ZeroDivisionError("division by zero in a view")


urlpatterns = [
    path("test-outage/db/", _database_gone),
    path("test-outage/bug/", _bug),
    path("", include("lanshan_aid.urls")),
]
handler500 = "lanshan_aid.middleware.server_error"


@pytest.fixture
def anonymous_client():
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_database_error_in_a_view_gives_the_503_page(anonymous_client, clerk_a):
    anonymous_client.force_login(clerk_a)
    response = anonymous_client.get("/test-outage/db/")
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"]
    assert "数据库暂时无法连接" in body
    assert "Traceback" not in body and "OperationalError" not in body and "5432" not in body


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_any_other_error_gives_the_chinese_500_page(anonymous_client, clerk_a):
    anonymous_client.force_login(clerk_a)
    response = anonymous_client.get("/test-outage/bug/")
    body = response.content.decode()
    assert response.status_code == 500 and "系统暂时出现故障" in body
    assert "ZeroDivisionError" not in body and "Traceback" not in body


def test_the_error_pages_are_static_files():
    for name in ("500.html", "503.html"):
        text = (BASE / "templates" / name).read_text(encoding="utf-8")
        assert "{%" not in text and "{{" not in text, f"{name} must need no template engine"
        assert "<script" not in text


def test_the_outage_is_recognised_through_wrapping_exceptions():
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as exc:
            raise RuntimeError("while loading the session") from exc
    except RuntimeError as wrapped:
        assert is_database_outage(wrapped)
    assert not is_database_outage(ValueError("no"))


@pytest.mark.parametrize("path", ["/", "/login/"])
def test_with_the_database_unreachable_a_real_request_gets_the_503_page(path, tmp_path):
    """A separate process whose DATABASES points at nothing: sessions, login, every layer."""
    unreachable = f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}"
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(raise_request_exception=False)\n"
        "c.cookies['sessionid'] = 'abcdefghijklmnopqrstuvwxyz012345'\n"
        f"r = c.get({path!r}) if {path!r} == '/' else c.post({path!r}, "
        "{'username': 'clerk_a', 'password': 'x'})\n"
        "print(r.status_code)\n"
        "print(r.content.decode())\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lanshan_aid.settings.test",
           "DATABASE_URL": unreachable}
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE, env=env,
                            capture_output=True, text=True, timeout=120)
    lines = result.stdout.splitlines()
    assert lines and lines[0] == "503", result.stdout[-2000:] + result.stderr[-3000:]
    assert "数据库暂时无法连接" in result.stdout
    assert "Traceback" not in result.stdout
