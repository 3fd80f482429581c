"""Which staff forms are submitted in Chromium, and which staff views accept a POST at all.

Django's test client sends no Origin header; Chromium does, and a page with the wrong referrer
policy makes it `Origin: null`, which the CSRF check refuses. So every staff view that accepts a
POST is submitted at least once by a browser journey. A journey declares the forms it submits
with `@submits("url_name", ...)`; the `journey` fixture checks at the end of the test that the
browser really POSTed to each of them and was not refused (status below 400).
`tests/test_staff_forms_in_browser.py` walks the URL resolver and fails for a POST-accepting
staff view that no journey declares.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

submits = pytest.mark.submits

# Outside this check: the admin (Django's own forms; optional in the issue) and the JSON API
# (cases/api/, token or session requests from programs, not HTML forms).
EXCLUDED_PREFIXES = ("/admin/", "/api/")

# Views without a method restriction that handle no form: a POST to them is answered like a
# GET. The check reads each one's source and fails if it starts reading POST data.
READ_ONLY = {
    "household_detail": "家庭详情页",
    "verification_home": "核对工作台",
    "verification_access_log": "核对查询日志",
    "verification_report_print": "核对报告打印",
    "verification_report_export": "核对报告导出",
    "verification_case": "案件核对页（表单提交到 verification_query 等）",
    "verification_request_sheet": "核对申请单",
    "home_visit_done": "入户调查保存结果页",
    "home_visit_photo": "入户照片",
    "relative_cases": "近亲属备案案件列表",
    "start": "登录后的起始跳转",
}

# Staff forms not yet submitted in a browser journey, each with the reason (a known gap, listed
# so the check stays strict for every other form). Empty: every staff form has its journey.
NOT_YET_IN_BROWSER: dict[str, str] = {}


def allowed_methods(view) -> set[str] | None:
    """The HTTP methods `view` accepts, or None when it accepts any.

    Class-based views: the handlers it defines. Function views: the list given to
    `require_http_methods` (and `require_POST`, `require_GET`, `require_safe`) found along the
    `__wrapped__` chain of its decorators.
    """
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    func = view
    while func is not None:
        code = getattr(func, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = func.__closure__[code.co_freevars.index("request_method_list")]
            return set(cell.cell_contents)
        func = getattr(func, "__wrapped__", None)
    return None


def accepts_post(view) -> bool:
    methods = allowed_methods(view)
    return methods is None or "POST" in methods


def innermost(view):
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def reads_post(view) -> bool:
    """Does the view's own source handle a POST (reads `request.POST` or tests the method)?"""
    lines = inspect.getsource(innermost(view)).splitlines()
    body = [line for line in lines if not line.lstrip().startswith("@")]  # not its decorators
    return "POST" in "\n".join(body)


def declared_in(package: str = "tests.browser") -> dict[str, set[str]]:
    """URL name -> node names of the browser tests that declare submitting it."""
    found: dict[str, set[str]] = {}
    pkg = importlib.import_module(package)
    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for name, func in vars(module).items():
            if not (name.startswith("test_") and callable(func)):
                continue
            for mark in getattr(func, "pytestmark", []):
                if mark.name == "submits":
                    for url_name in mark.args:
                        found.setdefault(url_name, set()).add(f"{info.name}::{name}")
    return found
