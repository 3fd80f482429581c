"""Every URL needs a login (LoginRequiredMiddleware); the few public pages are listed here.

The URL resolver is walked, includes and admin included, so a URL added later is checked
without anyone touching this file. Path converters and regex groups are filled with sample
values; a URL that cannot be filled fails the test and says so.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, re_path, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

# Public pages, by URL name prefix, each bound to the only place it may live.
# Keep this list small: adding to it makes a page readable by anyone on the network.
PUBLIC = {
    "login": "/login/",  # the login form itself
    "admin:login": "/admin/login/",  # the admin's login form (same accounts)
    "verify": "/verify/",  # public authenticity check of an issued document: /verify/<code>/
    "public": "/gongshi/",  # publicity pages of the villages (公示), read-only and redacted
}

SAMPLES = ["1", "sample", str(uuid.UUID(int=1)), "2024-01-01", "S1", "sample/1", "a"]


@dataclass(frozen=True)
class Url:
    path: str
    name: str | None


def is_public(url: Url) -> bool:
    if not url.name:
        return False
    local = url.name.rsplit(":", 1)[-1]
    return any(
        (url.name.startswith(prefix) or local.startswith(prefix))
        and url.path.startswith(path)
        for prefix, path in PUBLIC.items()
    )


def _sample_for(regex: str) -> str:
    candidates = list(SAMPLES)
    top = _split_top_level(regex)
    if len(top) > 1:
        candidates = top + candidates
    for candidate in candidates:
        if re.fullmatch(regex, candidate):
            return candidate
    raise LookupError(regex)


def _split_top_level(regex: str) -> list[str]:
    """`a|b|c` → ['a', 'b', 'c'] when the alternation is not inside a group."""
    parts, depth, current = [], 0, ""
    for ch in regex:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _fill_route(pattern: RoutePattern) -> str:
    route = str(pattern)

    def sample(match: re.Match) -> str:
        name = match.group("param")
        converter = pattern.converters[name]
        return converter.to_url(converter.to_python(_sample_for(converter.regex)))

    return re.sub(r"<(?:(?P<conv>[^>:]+):)?(?P<param>[^>]+)>", sample, route)


def _fill_regex(pattern: RegexPattern) -> str:
    regex = pattern._regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out, i = "", 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            depth, j = 0, i
            while True:
                if regex[j] == "(" and regex[j - 1:j] != "\\":
                    depth += 1
                elif regex[j] == ")" and regex[j - 1:j] != "\\":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            body = regex[regex.index(">", i) + 1:j]
            out += _sample_for(body)
            i = j + 1
        elif regex[i] == "\\" and i + 1 < len(regex):
            out += regex[i + 1]
            i += 2
        else:
            out += regex[i]
            i += 1
    return out


def _walk(resolver: URLResolver, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        try:
            piece = (_fill_route(pattern) if isinstance(pattern, RoutePattern)
                     else _fill_regex(pattern))
        except LookupError as exc:
            raise AssertionError(
                f"No sample value fits {exc.args[0]!r} in {prefix}{pattern}: "
                "add one to SAMPLES in tests/test_urls_protected.py") from exc
        if isinstance(entry, URLResolver):
            ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, prefix + piece, ns)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            yield Url("/" + prefix + piece, name)


def all_urls() -> list[Url]:
    return list(_walk(get_resolver()))


URLS = all_urls()


def test_the_walk_finds_the_urls_it_should():
    names = {u.name for u in URLS}
    for expected in ("login", "home", "household_detail", "household_edit", "id_check",
                     "admin:index", "admin:app_list"):
        assert expected in names
    assert len(URLS) > 50  # the admin alone has dozens


@pytest.mark.parametrize("url", URLS, ids=lambda u: f"{u.name or '(unnamed)'} {u.path}")
def test_every_sampled_url_resolves_to_itself(url):
    match = resolve(url.path)
    if url.name and match.view_name == url.name:
        return
    # Two patterns may share a sample path (e.g. `<path:object_id>/` also matches
    # `sample/1/change/`); the later one must at least resolve somewhere.
    assert match.func is not None


@pytest.mark.django_db
@pytest.mark.parametrize("url", [u for u in URLS if not is_public(u)],
                         ids=lambda u: f"{u.name or '(unnamed)'} {u.path}")
def test_anonymous_users_are_sent_to_login(client, url):
    # The admin's own views send people to the admin's login form (same accounts).
    logins = {reverse(settings.LOGIN_URL), reverse("admin:login")}
    for method in (client.get, client.post):
        response = method(url.path)
        assert response.status_code == 302, (
            f"{url.path} ({url.name}) answers {response.status_code} to an anonymous "
            f"{method.__name__.upper()}. Staff pages need a login; a page meant for the public "
            f"must be listed in PUBLIC in tests/test_urls_protected.py.")
        location = urlsplit(response["Location"])
        assert location.path in logins, f"{url.path} redirects to {response['Location']}"
        assert "next=" in location.query


@pytest.mark.django_db
def test_the_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200


def test_the_public_list_holds_only_the_known_public_areas():
    assert set(PUBLIC.values()) <= {"/login/", "/admin/login/", "/verify/", "/gongshi/"}


def test_public_urls_found_are_only_under_the_public_areas():
    for url in URLS:
        if is_public(url):
            assert url.path.startswith(tuple(PUBLIC.values())), url


# --- The check itself: a page left public is caught -----------------------------------


@login_not_required
def _left_public(request, **kwargs):
    return HttpResponse("公开")


urlpatterns = [
    path("login/", _left_public, name="login"),
    path("leak/<int:pk>/", _left_public, name="leak"),
    re_path(r"^re/(?P<slug>[a-z]+)/$", _left_public, name="re_leak"),
    path("gongshi/<slug:village>/", _left_public, name="public_board"),
    path("elsewhere/", _left_public, name="public_but_misplaced"),
]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_the_check_catches_pages_left_public(client):
    urls = list(_walk(get_resolver(__name__)))
    assert [u.path for u in urls] == ["/login/", "/leak/1/", "/re/sample/", "/gongshi/1/",
                                      "/elsewhere/"]
    caught = [u.name for u in urls
              if not is_public(u) and client.get(u.path).status_code != 302]
    assert caught == ["leak", "re_leak", "public_but_misplaced"]
