"""Property-based run of the whole API against its own OpenAPI schema (schemathesis).

A real HTTP server (`live_server`) and a requests session logged in as clerk_a (session cookie
and CSRF token, as a browser would hold them). Each operation is called with schema-conforming
data (positive) and with data that breaks the schema (negative); path ids are drawn from real
rows of township A and B as well as random ones, so scope and state refusals are exercised,
not only 404s. Every response must be a non-5xx that the schema documents (status, content
type, body). Bounded: `MAX_EXAMPLES` per operation and mode, derandomized for CI.
"""

from __future__ import annotations

import os
import time

import pytest
import requests
import schemathesis
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from cases.demo_cases import build_case
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
S = CaseStatus
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))
ALL_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]


@pytest.fixture
def world(village_a, village_b, clerk_a, verifier_a, leader_a):
    """Cases of A in the states the clerk can act on, and one of B the clerk cannot see."""
    from cases.permissions import Role
    from tests.factories import make_user

    staff = {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}
    cases = [build_case(state, household=HouseholdFactory(village=village_a, members=2), **staff)
             for state in (S.RECEIVED, S.INVESTIGATING, S.IN_PUBLICITY,
                           S.AWAITING_APPRAISAL, S.APPROVED, S.EMERGENCY_REPORTED)]
    township_b = village_b.township
    staff_b = {"clerk": make_user("clerk_b2", Role.CLERK, townships=[township_b]),
               "verifier": make_user("verifier_b2", Role.VERIFIER, townships=[township_b]),
               "leader": make_user("leader_b2", Role.LEADER, townships=[township_b])}
    other = build_case(S.INVESTIGATING, household=HouseholdFactory(village=village_b), **staff_b)
    documents = [d.pk for c in (*cases, other) for d in c.documents.all()]
    return {
        "case_id": [c.pk for c in cases] + [other.pk],
        "household_id": [c.household_id for c in cases] + [other.household_id],
        "document_id": documents[:6],
    }


@pytest.fixture
def session(live_server, client, clerk_a):
    client.force_login(clerk_a)
    token = _get_new_csrf_string()
    s = requests.Session()
    s.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    s.cookies.set(settings.CSRF_COOKIE_NAME, token)
    s.headers["X-CSRFToken"] = token
    s.headers["Referer"] = live_server.url + "/"
    # One request per connection: no server thread outlives the test (and its database).
    s.headers["Connection"] = "close"
    yield s
    s.close()


def _fuzz(operation, mode, ids, session, base_url, stats):
    params = [p.name for p in operation.path_parameters]
    strategies = [operation.as_strategy(generation_mode=mode)]
    for name in params:
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters={name: i})
                       for i in ids.get(name, [])]
    checks = ALL_CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @hsettings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
               phases=[Phase.explicit, Phase.generate],
               suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def run(case):
        response = case.call(session=session, base_url=base_url, timeout=30,
                             allow_redirects=False)
        stats["calls"] += 1
        stats["status"][response.status_code] = stats["status"].get(response.status_code, 0) + 1
        case.validate_response(response, checks=checks)

    run()


def test_schemathesis_finds_no_server_errors(live_server, session, world):
    base_url = live_server.url + "/api"
    schema_response = session.get(base_url + "/openapi.json", allow_redirects=False)
    assert schema_response.status_code == 200
    config = schemathesis.Config()
    # The session cookie is sent by the logged-in session, not generated as a parameter.
    config.projects.default.generation.update(with_security_parameters=False)
    schema = schemathesis.openapi.from_dict(schema_response.json(), config=config)
    stats = {"calls": 0, "status": {}, "operations": 0}
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        stats["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, world, session, live_server.url, stats)
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {stats['operations']} operations, {stats['calls']} calls in "
          f"{elapsed:.0f}s; status codes {dict(sorted(stats['status'].items()))}")
    assert stats["operations"] >= 20
    assert 500 not in stats["status"]
    assert stats["status"].get(200, 0) > 0
