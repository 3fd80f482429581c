"""Hostile input against every form-handling POST view and every API write endpoint.

For each view, hypothesis draws values for the fields of the view's own form (read from the
page that carries the form): huge strings, control characters, `<script>`, SQL fragments,
wrong types, negative and enormous amounts, far dates, invalid ID numbers, bad and oversized
uploads — and always at least one NUL byte, which no form accepts, so every submission is
invalid. Whatever is sent: never a 5xx, a Chinese error message in the error area (or the JSON
`message`), and nothing saved (the business tables as before, the case trail included).

Run time is bounded: `HYPOTHESIS_PROFILE=security-ci` (the default here) draws a few examples
per view; `security-thorough` draws many.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security import access_matrix as table
from tests.security import matrix_engine as engine

pytestmark = pytest.mark.django_db

settings.register_profile("security-ci", max_examples=4, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.register_profile("security-thorough", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "security-ci")
if not PROFILE.startswith("security-"):
    PROFILE = "security-ci"

CJK = re.compile(r"[\u4e00-\u9fff]")
ERROR_AREA = re.compile(
    r'<(\w+)[^>]*(?:class="[^"]*(?:error|msg-|messages|alert)[^"]*"|role="alert")[^>]*>'
    r"(.*?)</\1>", re.S)

# --- The hostile values -------------------------------------------------------------------

SQL = ["' OR '1'='1", "1; DROP TABLE cases_case;--", "\" UNION SELECT password FROM auth_user--",
       "%' AND 1=1 --", "1' WAITFOR DELAY '0:0:5'--"]
MARKUP = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}",
          "{% debug %}", "javascript:alert(1)", "../../../etc/passwd"]
NUMBERS = ["-1", "-0.01", "0", "1e309", "99999999999999999999999", "NaN", "Infinity",
           "-999999999.99", "3.14159265358979", "1,000", "０", "一百"]
DATES = ["0001-01-01", "9999-12-31", "1900-02-29", "2026-02-30", "2026-13-01", "26/11/2026",
         "2026年11月26日", "-2026-01-01", "99999-01-01", "today"]
IDS = ["371302199001011234", "37130219900101123X", "000000000000000000", "3713021990010112",
       "37130220991231001X", "ABCDEFGHIJKLMNOPQR", "371302 1990 0101 1234", "99" * 30]
CONTROL = "".join(chr(c) for c in (1, 7, 8, 11, 12, 27, 127, 0x202E, 0xFEFF, 0xD7FF))

text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(SQL + MARKUP + NUMBERS + DATES + IDS),
    st.just("长" * 100_000),
    st.just("x" * 300_000),
    st.just(CONTROL),
    st.lists(st.sampled_from(SQL + MARKUP + NUMBERS), max_size=3).map(" ".join),
)


def with_nul(value: str, where: int) -> str:
    where = where % (len(value) + 1)
    return value[:where] + "\x00" + value[where:]


def bad_upload(kind: int, name: str) -> SimpleUploadedFile:
    contents = [
        b"",  # empty
        b"%PDF-1.4 truncated",  # a PDF header and nothing else
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature, no image
        b"<script>alert(1)</script>",  # HTML named as a scan
        b"MZ" + b"\x00" * 200,  # an executable
        b"\xff\xd8\xff" + os.urandom(256),  # JPEG magic, random body
        b"0" * (11 * 1024 * 1024),  # over the 10 MB limit
    ]
    names = [name, "scan.pdf", "../../evil.pdf", "photo.jpg.exe", "x" * 300 + ".pdf",
             "扫描件\x00.pdf", "con.pdf"]
    return SimpleUploadedFile(names[kind % len(names)].replace("\x00", ""),
                              contents[kind % len(contents)],
                              content_type=["application/pdf", "image/jpeg",
                                            "text/html"][kind % 3])


@st.composite
def hostile_form(draw, fields: list[tuple[str, str]]):
    """Values for the form's fields: each hostile, dropped or doubled; one always with NUL."""
    data: dict[str, object] = {}
    text_fields = [name for name, kind in fields if kind != "file"]
    for name, kind in fields:
        choice = draw(st.integers(0, 9))
        if kind == "file":
            if choice < 7:
                data[name] = bad_upload(draw(st.integers(0, 50)), f"{name}.pdf")
            continue
        if choice == 0:
            continue  # left out
        value = draw(text)
        data[name] = [value, draw(text)] if choice == 1 else value
    if text_fields:
        name = draw(st.sampled_from(text_fields))
        value = data.get(name)
        base = value[0] if isinstance(value, list) else (value or "")
        data[name] = with_nul(str(base), draw(st.integers(0, 10_000)))
    else:
        data["\x00"] = "\x00"
    return data


@st.composite
def hostile_json(draw, fields: list[str]):
    """A JSON body: the fields with values of the wrong types, or not JSON at all."""
    values = st.one_of(text, st.integers(min_value=-(10**30), max_value=10**30),
                       st.floats(allow_nan=False), st.booleans(), st.none(),
                       st.lists(st.integers(), max_size=3), st.dictionaries(text, text,
                                                                            max_size=2))
    kind = draw(st.integers(0, 9))
    if kind == 0:  # not JSON, or JSON no schema accepts
        junk = ['{"a":', "\x00", "{" * 5000 + "}" * 5000, "not json", "'note': 1"]
        if "amount" in fields:
            junk += ['{"amount": 1e999}', '{"amount": "NaN"}']
        return draw(st.sampled_from(junk))
    body = {name: draw(values) for name in fields if draw(st.booleans())}
    if fields:
        body[draw(st.sampled_from(fields))] = with_nul(draw(text), draw(st.integers(0, 99)))
    return json.dumps(body)


# --- Which form each view shows, and who may post it -----------------------------------------

# URL name -> (user label, page that carries the form — None: the view's own GET page —
# and, optionally, the object to post to when not the one of the access-matrix entry, and
# the object of the page that carries the form when not that one).
FORM_VIEWS: dict[str, tuple[str, str | None]] = {
    "household_create": ("clerk", None),
    "household_edit": ("clerk", None),  # a Django-level 400 was an English page (400.html)
    "case_create": ("clerk", None),
    "case_action": ("clerk", "case_detail"),
    "case_evidence": ("verifier", "case_detail"),
    "case_review": ("leader", None),
    "inbox_settings": ("clerk", "inbox"),
    "verification_import": ("verifier", None),
    "verification_query": ("verifier", "verification_case"),
    "verification_compile": ("verifier", "verification_case"),
    "verification_cancel": ("verifier", "verification_case"),
    "authorization_scans": ("clerk", None, "case:received"),
    "assessment": ("clerk", None),
    "home_visit_new": ("assistant", None),
    "relatives": ("clerk", None),
    "leader_queue": ("leader", None),
    "roster_export": ("clerk", None),
    "document_deliver": ("clerk", None),
    "household_attachments": ("clerk", None),
    "publicity_batch_confirm": ("clerk", "publicity_batch_detail"),
    "publicity_objection_new": ("clerk", None),
    "publicity_objection_handle": ("clerk", "publicity_batch_detail"),
    "publicity_appraisal_new": ("clerk", None),
    "public_objection": ("anon", None),
    "public_case_status": ("anon", None),
    "password_change": ("clerk", None),
    "accept_start": ("clerk", None),
    "accept_case": ("clerk", "accept_start"),
    "accept_sign": ("clerk", "accept_start"),
    "emergency_report": ("clerk", "accept_start"),
    "spot_check_new": ("bureau", None),
    "spot_check_finding": ("bureau", "spot_check_detail", None, "spot_check"),
    "spot_check_answer": ("clerk", "spot_check_detail", None, "spot_check"),
    "spot_check_close": ("bureau", "spot_check_detail"),
}
# The role that may make each API move (on the case its access-matrix entry points at).
API_ROLE = {"accept": "clerk", "withdraw": "clerk", "open_recheck": "clerk",
            "propose_approval": "clerk", "complete_recheck": "verifier"}
API_WRITES = [p for p in engine.all_patterns()
              if p.name and p.name.startswith("api:case_") and "/transitions/" in p.route]

FORM_TAG = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
FIELD_TAG = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    """(name, type) of the fields of the page's forms that post to `action`."""
    found: dict[str, str] = {}
    for form_attrs, body in FORM_TAG.findall(html):
        attrs = dict(ATTR.findall(form_attrs))
        if attrs.get("action", "") not in ("", action):
            continue
        for tag, field_attrs in FIELD_TAG.findall(body):
            fa = dict(ATTR.findall(field_attrs))
            name = fa.get("name")
            if not name or name == "csrfmiddlewaretoken":
                continue
            found.setdefault(name, fa.get("type", tag))
    return list(found.items())


def chinese_refusal(response, *, strict: bool = True) -> bool:
    """Does the response carry a Chinese error message where the user reads errors?

    Not `strict` when the page offered no form (e.g. no board running in the village): then
    the Chinese explanation anywhere in the page's main area counts.
    """
    if response.status_code in (301, 302, 303):
        return any(CJK.search(str(m)) for m in get_messages(response.wsgi_request))
    kind = response.get("Content-Type", "")
    if kind.startswith("application/json"):
        return bool(CJK.search(str(json.loads(response.content).get("message", ""))))
    html = response.content.decode("utf-8", "replace")
    if response.status_code in (400, 403, 404, 405, 413, 415, 429):  # the error pages
        return bool(CJK.search(re.sub(r"<[^>]+>", "", html.split("<main", 1)[-1])))
    if not strict:
        return bool(CJK.search(re.sub(r"<[^>]+>", "", html.split("<main", 1)[-1])))
    return any(CJK.search(re.sub(r"<[^>]+>", "", inner))
               for _, inner in ERROR_AREA.findall(html))


@pytest.fixture(scope="module")
def clients(world, django_db_blocker):
    with django_db_blocker.unblock():
        out = {"anon": Client()}
        for label in ("clerk", "verifier", "leader", "assistant", "bureau"):
            client = Client()
            client.force_login(world.user(label))
            out[label] = client
    return out


def url_for(world, name: str, target: str | None = None) -> str:
    from dataclasses import replace

    from tests.security.test_access_matrix import target_kwargs

    pattern = next(p for p in engine.all_patterns() if p.key == name)
    entry = table.ENTRIES[name]
    if target is not None:
        entry = replace(entry, target=target)
    return reverse(name, kwargs=target_kwargs(world, pattern, entry, ""))


def check(asker, client, path, data, *, json_body: str | None = None, strict: bool = True):
    if json_body is not None:
        outcome, response, changed = asker.ask(client, "POST-JSON", path, data=json_body)
    else:
        outcome, response, changed = asker.ask(client, "POST", path, data=data)
    assert response.status_code < 500, (path, data if json_body is None else json_body)
    assert not changed, f"{path} saved hostile input {data!r:.300}"
    assert chinese_refusal(response, strict=strict), (
        f"{path} answered {response.status_code} without a Chinese error message")


@pytest.mark.parametrize("name", sorted(FORM_VIEWS))
def test_hostile_form_input_is_refused_in_chinese_and_saves_nothing(world, clients, name):
    if name not in table.ENTRIES:
        pytest.skip(f"{name} is not a URL of this build")
    label, source, *targets = FORM_VIEWS[name]
    target = targets[0] if targets else None
    source_target = targets[1] if len(targets) > 1 else target
    client = clients[label]
    path = url_for(world, name, target)
    page = client.get(url_for(world, source, source_target) if source else path)
    assert page.status_code == 200, f"the form of {name} is not on {page.request['PATH_INFO']}"
    fields = form_fields(page.content.decode("utf-8", "replace"), path)
    asker = engine.Asker()

    @settings(settings.get_profile(PROFILE))
    @given(data=hostile_form(fields))
    def run(data):
        check(asker, client, path, data, strict=bool(fields))

    run()


@pytest.mark.parametrize("pattern", API_WRITES, ids=lambda p: p.key)
def test_hostile_api_bodies_are_refused_in_chinese_and_save_nothing(world, clients, pattern):
    from cases.api.app import api

    schema = api.get_openapi_schema()
    operation = next(op["post"] for route, op in schema["paths"].items()
                     if "post" in op and op["post"]["operationId"] == pattern.name[4:])
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    fields = sorted(body.get("properties", {}))
    state = table.ENTRIES[pattern.name].target.split(":", 1)[1]
    case = world.objects["cases"][state]
    path = reverse(pattern.name, kwargs={"case_id": case.pk})
    client = clients[API_ROLE.get(pattern.name.removeprefix("api:case_"), "leader")]
    asker = engine.Asker()

    @settings(settings.get_profile(PROFILE))
    @given(payload=hostile_json(fields))
    def run(payload):
        check(asker, client, path, None, json_body=payload)

    run()


def test_a_multipart_body_to_the_api_is_a_400_in_chinese(world, clients):
    """Regression: a form-encoded or multipart POST to a JSON endpoint was a 500."""
    case = world.objects["cases"]["received"]
    path = reverse("api:case_accept", kwargs={"case_id": case.pk})
    asker = engine.Asker()
    outcome, response, changed = asker.ask(clients["clerk"], "POST", path,
                                           data={"note": "x", "file": bad_upload(1, "a.pdf")})
    assert response.status_code == 400
    assert CJK.search(response.json()["message"])
    assert not changed


def test_a_request_django_refuses_gets_the_chinese_400_page(world, clients):
    """Regression: a body Django itself refuses (too many fields, too large) was answered
    with Django's English "Bad Request (400)" page; templates/400.html now says it in
    Chinese."""
    path = url_for(world, "household_edit")
    asker = engine.Asker()
    fields = {f"f{i}": "x" for i in range(1500)}
    outcome, response, changed = asker.ask(clients["clerk"], "POST", path, data=fields)
    assert response.status_code == 400
    assert chinese_refusal(response)
    assert not changed
