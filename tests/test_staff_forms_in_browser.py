"""Every staff view that accepts a POST is submitted in Chromium by some browser journey.

Django's test client sends no Origin header, a real browser does (and `Origin: null` under a
wrong referrer policy), so a form only known from client tests may still be refused in the
office. The URL resolver is walked as in tests/test_urls_protected.py; a POST-accepting staff
view must be declared by a browser test (`@submits(...)`, tests/browser/forms.py), listed as
read-only, or listed as a known gap. A new form without a browser test fails here.
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.urls import get_resolver, path, resolve
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tests.browser.forms import (
    EXCLUDED_PREFIXES,
    NOT_YET_IN_BROWSER,
    READ_ONLY,
    accepts_post,
    declared_in,
    reads_post,
)
from tests.test_urls_protected import URLS, _walk, is_public


def staff_post_views(urls) -> dict[str, object]:
    """URL name -> view of every staff (non-public) URL, outside the admin and the JSON API,
    whose view accepts a POST."""
    found = {}
    for url in urls:
        if is_public(url) or url.path.startswith(EXCLUDED_PREFIXES):
            continue
        view = resolve(url.path).func
        if accepts_post(view):
            assert url.name, f"{url.path} accepts POST but has no URL name to list it by"
            found[url.name] = view
    return found


STAFF_POST_VIEWS = staff_post_views(URLS)
DECLARED = declared_in()


def test_every_staff_form_is_submitted_by_a_browser_journey():
    forms = set(STAFF_POST_VIEWS) - set(READ_ONLY)
    missing = sorted(forms - set(DECLARED) - set(NOT_YET_IN_BROWSER))
    assert not missing, (
        f"Staff views accepting POST with no Chromium journey: {missing}. Submit each in a "
        "test under tests/browser/ marked @submits('<url name>') (tests/browser/forms.py).")


def test_the_lists_name_only_views_that_exist_and_accept_post():
    for name in set(READ_ONLY) | set(NOT_YET_IN_BROWSER) | set(DECLARED):
        assert name in STAFF_POST_VIEWS, f"{name} is listed but is no POST-accepting staff view"


def test_a_form_submitted_in_a_browser_is_not_also_listed_as_a_gap():
    assert not set(DECLARED) & set(NOT_YET_IN_BROWSER)
    assert not set(DECLARED) & set(READ_ONLY)


@pytest.mark.parametrize("name", sorted(READ_ONLY))
def test_a_view_listed_as_read_only_handles_no_post(name):
    assert not reads_post(STAFF_POST_VIEWS[name]), (
        f"{name} now handles POST data: submit it in a browser journey instead of listing it "
        "as read-only")


def test_the_journeys_declare_the_forms_of_the_procedures():
    for name in ("accept_start", "accept_case", "home_visit_new", "case_action",
                 "case_evidence", "publicity_batch_confirm", "household_create",
                 "household_edit", "verification_query"):
        assert name in DECLARED, name


# --- The check itself: a new form without a browser test is caught ---------------------------


@require_POST
def _new_post_only(request):
    return HttpResponse("")


@require_http_methods(["GET", "POST"])
def _new_form(request):
    return HttpResponse("")


def _undecorated(request):
    return HttpResponse("")


@require_GET
def _page(request):
    return HttpResponse("")


urlpatterns = [
    path("new-action/", _new_post_only, name="new_action"),
    path("new-form/", _new_form, name="new_form"),
    path("undecorated/", _undecorated, name="undecorated"),
    path("page/", _page, name="page"),
    path("gongshi/new/", _new_form, name="public_new"),
    path("admin/thing/", _new_form, name="admin_thing"),
]


def test_the_check_finds_new_forms_and_skips_pages_public_views_and_the_admin(settings):
    settings.ROOT_URLCONF = __name__
    urls = list(_walk(get_resolver(__name__)))
    found = staff_post_views(urls)
    assert sorted(found) == ["new_action", "new_form", "undecorated"]
    assert not set(found) & set(DECLARED)  # none of them has a journey: the check would fail
    assert reads_post(_new_form) is False and reads_post(_undecorated) is False
