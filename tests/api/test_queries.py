"""The list endpoints run a fixed number of queries, however many rows they return."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.workflow import CaseStatus

pytestmark = pytest.mark.django_db
S = CaseStatus
LISTS = ["/api/cases/", "/api/households/", "/api/deadlines/", "/api/documents/"]


def _queries(api, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def test_list_queries_do_not_grow_with_rows(api, clerk_a, make_case, village_a, village_a2):
    make_case(S.IN_PUBLICITY, village_a)
    api.login(clerk_a)
    few = {path: _queries(api, path) for path in LISTS}
    for state in (S.APPROVED, S.INVESTIGATING, S.RECEIVED, S.REJECTED):
        make_case(state, village_a2)
    many = {path: _queries(api, path) for path in LISTS}
    assert many == few
    assert api.get("/api/cases/").json()["count"] == 5
    assert api.get("/api/documents/").json()["count"] > 5


def test_the_case_page_query_count_does_not_grow_with_its_trail(api, clerk_a, make_case,
                                                                village_a):
    short = make_case(S.RECEIVED, village_a)
    long = make_case(S.APPROVED, village_a)
    api.login(clerk_a)
    assert _queries(api, f"/api/cases/{long.pk}/") <= _queries(
        api, f"/api/cases/{short.pk}/") + 3  # the moves offered differ by state
