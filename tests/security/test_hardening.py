"""Deployment hardening: check --deploy, security headers, CSP-clean templates, uploads."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import Resolver404, resolve, reverse

from tests.factories import PASSWORD

BASE = Path(settings.BASE_DIR)


def production_env(**overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "HTTPS", "HSTS", "TRUST_", "DEBUG"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "lanshan_aid.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": settings.FIELD_ENCRYPTION_KEYS[0],
        "ID_HASH_KEY": secrets.token_urlsafe(40),
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "aid.lanshan.example",
        "DOCUMENTS_PUBLIC_BASE_URL": "https://aid.lanshan.example",
        "VAR_DIR": str(Path(settings.MEDIA_ROOT).parent / "deploy-check-var"),
    })
    env.update(overrides)
    return env


def run_manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE, env=env,
                          capture_output=True, text=True, timeout=120)


# --- Production settings ----------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_https_and_the_demo_does_not():
    script = ("from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
              "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)")
    production = run_manage("shell", "-c", script, env=production_env())
    assert production.stdout.split()[-4:] == ["True", "True", "True", "True"], production.stderr
    demo = run_manage("shell", "-c", script, env=production_env(DEBUG="true"))
    assert demo.stdout.split()[-4:] == ["False", "False", "False", "False"], demo.stderr


def test_production_refuses_the_published_demo_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0 and "demo key" in result.stderr


# --- Headers -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client, clerk_a):
    client.force_login(clerk_a)
    for url in (reverse("login"), reverse("home")):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["script-src"] == "'self'", "no inline scripts, no eval"
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "http" not in csp, "nothing from other hosts"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_pages_for_a_logged_in_user_are_not_kept_in_the_browser_cache(client, clerk_a):
    client.force_login(clerk_a)
    for url in (reverse("home"), reverse("case_list")):
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000,
                   SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SESSION_COOKIE_SECURE=True,
                   CSRF_COOKIE_SECURE=True)
def test_with_https_plain_http_is_redirected_and_cookies_are_secure(client, clerk_a):
    plain = client.get(reverse("login"))
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    page = client.get(reverse("login"), secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    response = client.post(reverse("login"), {"username": "clerk_a", "password": PASSWORD},
                           secure=True)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert page.cookies[settings.CSRF_COOKIE_NAME]["secure"]


# --- CSP: no inline scripts or event handlers in any template ----------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/(?:ld\+)?json)"
                           r"[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)

# Templates owned elsewhere that still break the policy (listed in docs/security.md); the
# browser refuses what they inline. Remove a line when its template is fixed.
KNOWN_INLINE: set[str] = set()


def inline_code(text: str) -> list[str]:
    return [m.group(0) for pattern in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL)
            for m in pattern.finditer(text)]


def template_files() -> list[Path]:
    roots = [BASE / "templates", *BASE.glob("*/templates")]
    return sorted(p for root in roots if ".venv" not in root.parts and root.is_dir()
                  for p in root.rglob("*.html"))


def test_the_inline_code_finder_finds_what_it_should():
    page = ('<script>alert(1)</script><script src="/static/a.js"></script>'
            '<script type="application/json" id="d">{}</script>'
            '<button onclick="go()">x</button><a href="javascript:void(0)">y</a>'
            '<p>online=1</p><input name="onion">')
    assert inline_code(page) == ["<script>", '<button onclick=', 'href="javascript:']


def test_no_template_has_inline_scripts_or_event_handlers():
    offenders = {str(p.relative_to(BASE)) for p in template_files()
                 if inline_code(p.read_text(encoding="utf-8"))}
    new = offenders - KNOWN_INLINE
    assert not new, f"inline script or on*= handler (refused by the CSP): {sorted(new)}"


@pytest.mark.django_db
def test_rendered_pages_and_the_admin_have_no_inline_scripts(client, clerk_a, superuser):
    client.force_login(clerk_a)
    pages = [reverse("home"), reverse("case_list"), reverse("password_change")]
    for url in pages:
        assert not inline_code(client.get(url).content.decode()), url
    client.force_login(superuser)
    for url in (reverse("admin:index"), reverse("admin:auth_user_changelist"),
                reverse("admin:auth_user_change", args=[clerk_a.pk])):
        assert not inline_code(client.get(url).content.decode()), url


# --- Uploads -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_files_of_other_types_are_refused_before_any_view(client, clerk_a):
    client.force_login(clerk_a)
    for name in ("invoice.exe", "page.html", "drawing.svg", "script.js", "noextension"):
        upload = SimpleUploadedFile(name, b"MZ\x90\x00 not what it says")
        response = client.post(reverse("home"), {"file": upload})
        assert response.status_code == 415, name
        assert "不支持的文件类型" in response.content.decode()


@pytest.mark.django_db
def test_allowed_file_types_reach_the_view(client, clerk_a):
    client.force_login(clerk_a)
    upload = SimpleUploadedFile("scan.PDF", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    response = client.post(reverse("home"), {"file": upload})
    assert response.status_code not in (413, 415)


@pytest.mark.django_db
def test_a_request_body_over_the_limit_is_refused(client, clerk_a, settings):
    client.force_login(clerk_a)
    too_big = str(settings.MAX_REQUEST_BYTES + 1)
    response = client.post(reverse("home"), {"a": "b"}, CONTENT_LENGTH=too_big)
    assert response.status_code == 413 and "过大" in response.content.decode()


@pytest.mark.django_db
def test_uploaded_files_are_never_served_by_url(client, superuser, settings):
    with pytest.raises(Resolver404):
        resolve(f"{settings.MEDIA_URL}documents/371302001/2026/x.pdf")
    client.force_login(superuser)
    assert client.get(f"{settings.MEDIA_URL}documents/x.pdf").status_code == 404
