"""The machinery of the access matrix: walking the URLs, filling them, asking, fingerprinting.

Kept apart from the table (`access_matrix.py`) and the tests (`test_access_matrix.py`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

# Access and sign-in logs are written by reads and refusals on purpose; they are not the
# business data a refused request must leave alone.
LOG_MODELS = {"cases.accesslog", "cases.verificationaccess", "accounts.securityevent",
              "sessions.session", "axes.accessattempt", "axes.accessfailurelog",
              "axes.accesslog", "axes.accessattemptexpiration", "admin.logentry"}
# Models whose every row is hashed (not only counted): what a refused action could alter.
CONTENT_MODELS = {"auth.user", "cases.case", "cases.household", "cases.person",
                  "cases.membership", "cases.notification", "cases.verificationrequest",
                  "cases.objection", "cases.appraisal", "cases.homevisit",
                  "cases.notificationprofile", "cases.deadline", "documents.districtreport",
                  "documents.delivery", "documents.issueddocument", "documents.attachment",
                  "publicity.publicitybatch", "publicity.batchentry",
                  "publicity.objectiondetail"}


@dataclass(frozen=True)
class Pattern:
    key: str  # the URL name, or the route of an unnamed pattern
    name: str | None
    route: str
    params: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _route_of(pattern) -> str:
    return str(pattern)


def walk(resolver: URLResolver | None = None, prefix: str = "", namespaces: tuple = ()):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        piece = _route_of(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from walk(entry, prefix + piece, ns)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            params = tuple(entry.pattern.regex.groupindex)
            route = prefix + piece
            yield Pattern(name or route, name, route, params)


def all_patterns() -> list[Pattern]:
    seen, out = set(), []
    for p in walk():
        if p.key not in seen:
            seen.add(p.key)
            out.append(p)
    return out


# --- Admin ---------------------------------------------------------------------------------

ADMIN_MODEL_KINDS = ("changelist", "add", "change", "history", "delete")


def admin_models() -> dict[str, str]:
    """"app_model" -> "app_label.model_name" for every model registered with the admin."""
    return {f"{m._meta.app_label}_{m._meta.model_name}": f"{m._meta.app_label}.{m._meta.model_name}"
            for m in admin.site._registry}


def admin_kind(pattern: Pattern) -> tuple[str, str | None]:
    """(kind, "app.model" or None) of an admin URL pattern."""
    models = admin_models()
    if pattern.name:
        local = pattern.name.split(":", 1)[1]
        for kind in ADMIN_MODEL_KINDS:
            stem = local.removesuffix(f"_{kind}")
            if stem != local and stem in models:
                return kind, models[stem]
        for stem, model in sorted(models.items(), key=lambda item: -len(item[0])):
            if local.startswith(stem + "_"):
                return "custom", model  # a model admin's own extra view (e.g. an import)
        return local, None
    m = re.fullmatch(r"admin/(\w+)/(\w+)/<path:object_id>/", pattern.route)
    if m and f"{m[1]}_{m[2]}" in models:
        return "object", models[f"{m[1]}_{m[2]}"]
    return "catch_all", None


def admin_path(pattern: Pattern) -> str | None:
    """A concrete path for an admin URL; None when the model has no row to show."""
    from django.contrib.contenttypes.models import ContentType

    kind, model = admin_kind(pattern)
    if model is None:
        if kind == "app_list":
            return reverse(pattern.name, kwargs={"app_label": "cases"})
        if kind == "view_on_site":
            from cases.models import Case

            case = Case.objects.order_by("pk").first()
            ct = ContentType.objects.get_for_model(Case)
            return reverse(pattern.name, kwargs={"content_type_id": ct.pk,
                                                 "object_id": case.pk})
        if kind == "catch_all":
            return "/admin/no-such-page/"
        return reverse(pattern.name)
    model_class = apps.get_model(model)
    if kind in ("changelist", "add") or (kind == "custom" and not pattern.params):
        return reverse(pattern.name)
    obj = model_class._default_manager.order_by("pk").first()
    if obj is None:
        return None
    if kind == "object":
        app_label, model_name = model.split(".")
        return f"/admin/{app_label}/{model_name}/{obj.pk}/"
    return reverse(pattern.name, kwargs=dict.fromkeys(pattern.params, obj.pk))


# --- Asking ----------------------------------------------------------------------------------


def login_paths() -> tuple[str, str]:
    return reverse(settings.LOGIN_URL), reverse("admin:login")


def outcome_of(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        target = urlsplit(response["Location"]).path
        site_login, admin_login = login_paths()
        if target == site_login:
            return "login"
        if target == admin_login:
            return "admin-login"
        return "302"
    return str(response.status_code)


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json")):
        return ""
    return response.content.decode("utf-8", "replace")


def fingerprint() -> str:
    """Counts of every business table and the content of the case tables."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in LOG_MODELS or model._meta.proxy:
            continue
        manager = model._base_manager
        if label in CONTENT_MODELS:
            for row in manager.order_by("pk").values_list():
                digest.update(repr(row).encode())
        else:
            digest.update(f"{label}:{manager.count()}".encode())
    return digest.hexdigest()


WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)


def log_tables() -> set[str]:
    return {apps.get_model(label)._meta.db_table for label in LOG_MODELS
           }


class WriteWatcher:
    """Records the tables a request writes to (an execute wrapper: costs no query)."""

    def __init__(self):
        self.tables: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match:
            self.tables.add(match[1])
        return execute(sql, params, many, context)


class Asker:
    """Asks one URL as several users; each request runs in a savepoint that is rolled back,
    so the database before every request is the one of the test's start (`baseline`)."""

    counter = 0

    def __init__(self):
        self._baseline: str | None = None
        self._logs = log_tables()

    def baseline(self) -> str:
        if self._baseline is None:
            self._baseline = fingerprint()
        return self._baseline

    def ask(self, client: Client, method: str, path: str, *, data=None):
        """(outcome, response, changed): `changed` when business data differs afterwards.

        Every request comes from its own address, so rate limits of the public pages (kept
        in the cache, which no rollback resets) do not make one cell depend on another.
        """
        self.baseline()
        Asker.counter += 1
        n = Asker.counter
        extra = {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
        cookies = copy.deepcopy(client.cookies)
        watcher = WriteWatcher()
        with transaction.atomic(), connection.execute_wrapper(watcher):
            if method == "GET":
                response = client.get(path, **extra)
            elif method == "POST-JSON":
                response = client.post(path, data, content_type="application/json", **extra)
            elif data is None and path.startswith("/api/"):
                response = client.post(path, "{}", content_type="application/json", **extra)
            else:
                response = client.post(path, data or {}, **extra)
            changed = bool(watcher.tables - self._logs) and fingerprint() != self._baseline
            transaction.set_rollback(True)
        client.cookies = cookies
        return outcome_of(response), response, changed


# --- Valid JSON bodies for the API's write endpoints --------------------------------------

SAMPLE_VALUES = {"channel": "phone", "outcome": "supported", "paperwork_complete": True,
                 "participants": [{"name": "张三", "capacity": "村民代表"}] * 5,
                 "votes_for": 4, "votes_against": 1, "votes_abstain": 0,
                 "covered_persons": 1, "amount": "500.00", "recorder": "李会计",
                 "scan_base64": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNg"
                                "YGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC",
                 "scan_name": "scan.png", "lodged_at": None, "investigators": ["王强", "李娜"],
                 "cause": "fire", "method": "cash"}


@functools.cache
def api_body(url_name: str) -> str:
    """A body that passes the endpoint's schema (so scope and role are what decide)."""
    import datetime as dt
    import json

    from cases.api.app import api

    schema = api.get_openapi_schema()
    operation_id = url_name.split(":", 1)[1]
    for operations in schema["paths"].values():
        operation = operations.get("post")
        if operation and operation["operationId"] == operation_id:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
            break
    else:
        return "{}"
    out = {}
    for name, prop in body.get("properties", {}).items():
        if name in SAMPLE_VALUES:
            out[name] = SAMPLE_VALUES[name]
        elif name.endswith("_on") or prop.get("format") == "date":
            out[name] = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
        elif prop.get("type") == "integer":
            out[name] = 1
        elif prop.get("type") == "number":
            out[name] = "500.00"
        elif prop.get("type") == "boolean":
            out[name] = True
        else:
            out[name] = "情况属实，依规办理。"
    return json.dumps(out, ensure_ascii=False)
