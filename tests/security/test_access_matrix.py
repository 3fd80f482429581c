"""The URL × role × place access matrix (S1, S21): every URL pattern, every role, both places.

The expected answers are the table in `tests/security/access_matrix.py` (how to add a URL is
explained at its top). Set `ACCESS_MATRIX_RECORD=1` to print the observed answers of every
URL as table lines instead of failing (for writing a new entry; read each line before
copying it: the table states what *should* happen).
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.security import access_matrix as table
from tests.security import matrix_engine as engine
from tests.security.world import ANON, USER_LABELS

pytestmark = pytest.mark.django_db

RECORD = os.environ.get("ACCESS_MATRIX_RECORD") == "1"
PATTERNS = engine.all_patterns()
SITE = [p for p in PATTERNS if not p.is_admin]
ADMIN = [p for p in PATTERNS if p.is_admin]
CELLS = {"checked": 0}
# Targets that are not scoped to a place (public codes): "other" users may see them.
PUBLIC_TARGETS = {None, "village_code", "verify_code"}


@pytest.fixture(scope="module")
def clients(world, django_db_blocker):
    with django_db_blocker.unblock():
        out = {ANON: Client()}
        for label in USER_LABELS:
            if label != ANON:
                client = Client()
                client.force_login(world.user(label))
                out[label] = client
    return out


def target_kwargs(world, pattern: engine.Pattern, entry: table.E, label: str) -> dict:
    """The URL arguments of `pattern` for `entry`'s target, as `label` would use them."""
    kwargs = dict(entry.kwargs)
    target = entry.target
    if target is None:
        return kwargs
    o = world.objects
    if target.startswith("case:"):
        value = o["cases"][target.split(":", 1)[1]].pk
    elif target == "notification":
        value = o["notifications"]["clerk"].pk
    elif target == "export_job":
        value = o["export_job"]
    elif target == "village_code":
        value = o["village"].code
    elif target == "verify_code":
        value = o["document"].code
    else:
        value = o[target].pk
    for param in pattern.params:
        if param not in kwargs:
            kwargs[param] = value
    return kwargs


def path_of(world, pattern: engine.Pattern, entry: table.E) -> str:
    from django.urls import reverse

    return reverse(pattern.name, kwargs=target_kwargs(world, pattern, entry, ""))


def record_line(pattern, entry, observed: dict[str, dict[str, str]], changed: set[str]) -> str:
    def spec(cells: dict[str, str]) -> str:
        by_outcome: dict[str, list[str]] = {}
        for label, outcome in cells.items():
            if label != ANON:
                by_outcome.setdefault(outcome, []).append(label)
        common = max(by_outcome, key=lambda k: len(by_outcome[k]))
        parts = [f"{o}: {' '.join(labels)}" for o, labels in by_outcome.items() if o != common]
        return "; ".join([*parts, f"{common}: *"])

    changes = f', changes="{" ".join(sorted(changed))}"' if changed else ""
    if entry.kwargs:
        changes += f", kwargs={entry.kwargs!r}"
    # (a GET that changes data shows up here too: read it before copying the line)
    return (f'    "{pattern.key}": E({entry.target!r}, get="{spec(observed["GET"])}", '
            f'post="{spec(observed["POST"])}"{changes}),  # anon GET {observed["GET"][ANON]}')


# --- Every URL has an entry -------------------------------------------------------------------


def test_every_url_pattern_has_an_entry_in_the_table():
    missing = [p.key for p in SITE if p.key not in table.ENTRIES]
    assert not missing, (
        f"URL pattern(s) with no entry in the access matrix: {missing}. Add one line per URL "
        "to ENTRIES in tests/security/access_matrix.py, e.g. "
        "'\"my_view\": E(\"case:received\"),' (the object its URL points at), then run "
        "ACCESS_MATRIX_RECORD=1 pytest tests/security/test_access_matrix.py -k my_view -s "
        "to print the observed answers as a table line; check it and copy it (see the top "
        "of that file).")


def test_the_table_names_only_urls_that_exist():
    keys = {p.key for p in PATTERNS}
    assert not set(table.ENTRIES) - keys


def test_the_table_never_lets_another_place_in():
    """A scoped object is never shown to, nor changed by, a user of another place."""
    for key, entry in table.ENTRIES.items():
        if entry.target in PUBLIC_TARGETS:
            continue
        for method in ("GET", "POST"):
            for label in table.GROUPS["other"]:
                assert entry.expected(method)[label] in {"403", "404", "405", "login"}, (
                    key, method, label)
            assert entry.expected(method)[ANON] == "login" or entry.public, key
        assert not (entry.may_change() & set(table.GROUPS["other"])), key


# --- The site's pages and the API -------------------------------------------------------------


@pytest.mark.parametrize("pattern", SITE, ids=lambda p: p.key)
def test_site_url(world, clients, pattern):
    entry = table.ENTRIES.get(pattern.key)
    if entry is None and RECORD and not pattern.params:
        entry = table.E(None)
    if entry is None:
        pytest.fail(f"{pattern.key} has no entry in tests/security/access_matrix.py")
    path = path_of(world, pattern, entry)
    observed: dict[str, dict[str, str]] = {"GET": {}, "POST": {}}
    changed: set[str] = set()
    problems = []
    may_change = entry.may_change()
    asker = engine.Asker()
    for method in ("GET", "POST"):
        expected = entry.expected(method) if not RECORD else {}
        for label in USER_LABELS:
            check = label not in may_change
            if method == "POST" and pattern.name.startswith("api:"):
                outcome, response, did_change = asker.ask(
                    clients[label], "POST-JSON", path, data=engine.api_body(pattern.name))
            else:
                outcome, response, did_change = asker.ask(clients[label], method, path)
            CELLS["checked"] += 1
            observed[method][label] = outcome
            if did_change:
                changed.add(label if method == "POST" else f"GET-{label}")
            if RECORD:
                continue
            if outcome != expected[label]:
                problems.append(f"{method} {path} as {label}: {outcome}, expected "
                                f"{expected[label]}")
            if did_change and check:
                problems.append(f"{method} {path} as {label} changed the database")
            if label.endswith(":other") and outcome == "200":
                text = body_text = engine.body_text(response)
                leaked = [s for s in world.secrets if s in text]
                if leaked or (entry.target not in PUBLIC_TARGETS and body_text == ""):
                    problems.append(f"{method} {path} as {label} shows another place's data "
                                    f"{leaked[:3]}")
    if RECORD:
        print("\n" + record_line(pattern, entry, observed, changed))
        return
    assert not problems, "\n".join(problems)


# --- The admin ----------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ADMIN, ids=lambda p: p.key)
def test_admin_url(world, clients, pattern):
    kind, model = engine.admin_kind(pattern)
    path = engine.admin_path(pattern)
    if path is None:
        pytest.skip(f"no {model} row to open")
    problems = []
    asker = engine.Asker()
    for label in USER_LABELS:
        user = world.user(label)
        if label == ANON:
            # LoginRequiredMiddleware answers first for most admin URLs (the site's login)
            allowed = {"admin-login", "login"} if pattern.name != "admin:login" else {"200"}
        elif pattern.name in ("admin:login", "admin:logout"):
            allowed = {"200", "302", "405", "admin-login"}
        else:
            allowed = table.admin_expectation(
                kind, user.get_all_permissions(), is_staff=user.is_staff,
                superuser=user.is_superuser, model=model)
        outcome, response, changed = asker.ask(clients[label], "GET", path)
        if outcome == "302" and "302" not in allowed:
            # A redirect is fine when it leads to a refusal (e.g. "add" → the import page).
            target = response["Location"]
            outcome, _, changed = asker.ask(clients[label], "GET", target)
            path = f"{path} → {target}"
        if changed:
            problems.append(f"GET {path} as {label} changed the database")
        CELLS["checked"] += 1
        if outcome not in allowed:
            problems.append(f"GET {path} as {label}: {outcome}, expected one of "
                            f"{sorted(allowed)}")
    assert not problems, "\n".join(problems)


def test_cells_were_checked(capsys):
    with capsys.disabled():
        print(f"\naccess matrix: {CELLS['checked']} cells checked")
    assert CELLS["checked"] > 0
