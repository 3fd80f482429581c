"""The main pages run a fixed, small number of statements, however many rows there are.

The session is written at most once a minute (`lanshan_aid.middleware.SessionIdleMiddleware`,
the sliding 30-minute idle timeout; stamped at sign-in): the counted request must not write it.
`BUDGET` is for everything the counted request runs, the session read included.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.demo_cases import build_case
from cases.views.cases import CappedPaginator
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db
S = CaseStatus
BUDGET = 10  # statements of a request, the session read included


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _case(state, village, staff):
    return build_case(state, household=HouseholdFactory(village=village), **staff)


def _statements(client, url: str) -> list[str]:
    """The statements of one warm request."""
    client.get(url)  # warm: the state counts are cached for a minute, the session refreshed
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not [q for q in sql if "django_session" in q and not q.startswith("SELECT")], \
        "the session is not written within the minute"
    return sql


def _few_and_many(client, user, url_of, village, staff, state, more):
    client.force_login(user)
    first = _case(state, village, staff)
    few = _statements(client, url_of(first))
    for _ in range(more):
        _case(state, village, staff)
    cache.clear()
    many = _statements(client, url_of(first))
    return few, many


def _assert_bounded(few, many, budget=BUDGET):
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= budget, "\n".join(many)


@pytest.fixture
def small_pages(monkeypatch, settings):
    """Pages of 2 rows, so that a few cases already make a list of several pages."""
    settings.LIST_PAGE_SIZE = 2
    monkeypatch.setattr("cases.views.workspaces.QUEUE_PAGE_SIZE", 2)


def test_case_list(client, village_a, staff, small_pages):
    few, many = _few_and_many(client, staff["clerk"], lambda c: reverse("case_list"),
                              village_a, staff, S.INVESTIGATING, more=4)
    _assert_bounded(few, many)
    rows = [q for q in many if 'FROM "cases_case"' in q and "COUNT(*)" not in q]
    assert len(rows) == 1 and "LIMIT 2" in rows[0]
    assert "LIMIT 1001" in next(q for q in many if "COUNT(*)" in q and "cases_case" in q)
    # The list shows the applicant's name: no encrypted field of theirs is read (decrypted).
    assert '"cases_person"."name"' in rows[0]
    for column in ("id_number", "phone", "health", "disability_grade", "disability_type"):
        assert f'"cases_person"."{column}"' not in rows[0]


def test_case_list_by_state(client, village_a, staff, small_pages):
    few, many = _few_and_many(client, staff["clerk"],
                              lambda c: reverse("case_list") + "?status=awaiting_sign_off",
                              village_a, staff, S.AWAITING_SIGN_OFF, more=4)
    _assert_bounded(few, many)


def test_case_search_by_name_and_id_number(client, village_a, staff):
    for url_of in (lambda c: reverse("case_list") + f"?q={c.applicant.name}",
                   lambda c: reverse("case_list") + f"?q={c.applicant.id_number}",
                   lambda c: reverse("case_list") + f"?q={c.number}"):
        few, many = _few_and_many(client, staff["clerk"], url_of, village_a, staff,
                                  S.INVESTIGATING, more=2)
        _assert_bounded(few, many)


def test_leader_queue(client, village_a, staff, small_pages):
    few, many = _few_and_many(client, staff["leader"], lambda c: reverse("leader_queue"),
                              village_a, staff, S.AWAITING_SIGN_OFF, more=4)
    _assert_bounded(few, many, BUDGET + 1)  # + the emergencies on their clocks (one statement)


def test_capped_count_stops_at_the_cap(village_a, staff, monkeypatch):
    from cases.models import Case

    for _ in range(4):
        _case(S.INVESTIGATING, village_a, staff)
    assert not CappedPaginator(Case.objects.order_by("pk"), 10).capped
    monkeypatch.setattr("cases.views.cases.COUNT_CAP", 2)
    paginator = CappedPaginator(Case.objects.order_by("pk"), 1)
    assert paginator.count == 3 and paginator.capped
    page = paginator.get_page(1)
    assert len(page.object_list) == 1 and page.has_next()


def test_leader_queue_pages_nearest_deadline_first(client, village_a, staff, small_pages):
    from cases.models import Case

    cases = [_case(S.AWAITING_SIGN_OFF, village_a, staff) for _ in range(3)]
    order = list(Case.objects.filter(pk__in=[c.pk for c in cases])
                 .order_by("next_due_at", "-applied_at", "-id").values_list("number", flat=True))
    client.force_login(staff["leader"])
    first = client.get(reverse("leader_queue")).content.decode()
    second = client.get(reverse("leader_queue"), {"page": 2}).content.decode()
    assert [n in first for n in order] == [True, True, False]
    assert [n in second for n in order] == [False, False, True]
    assert first.index(order[0]) < first.index(order[1])
    assert "下一页" in first and "上一页" in second and "下一页" not in second


def test_search_finds_by_number_prefix_name_prefix_and_id_number(client, village_a, staff):
    case = _case(S.INVESTIGATING, village_a, staff)
    other = _case(S.INVESTIGATING, village_a, staff)
    client.force_login(staff["clerk"])

    def found(q):
        html = client.get(reverse("case_list"), {"q": q}).content.decode()
        return {c.number for c in (case, other) if c.number in html}

    assert found(case.number) == {case.number}
    assert found(case.number[:-3]) == {case.number, other.number}  # a prefix of both
    assert found(case.number[3:]) == {case.number}  # a tail, as read off a paper notice
    assert found(case.number[3:-2]) == set()  # neither a prefix nor a tail
    assert case.number in found(case.applicant.id_number)
    assert found(case.applicant.id_number.lower()) == found(case.applicant.id_number)
    assert case.number in found(case.applicant.name[:1])
    assert found("不存在的人") == set()


def _case_page(client, user, members, village, staff):
    case = build_case(S.APPROVED, household=HouseholdFactory(village=village, members=members),
                      **staff)
    client.force_login(user)
    return _statements(client, case.get_absolute_url())


def test_case_page_does_not_grow_with_members_and_evidence(client, village_a, staff):
    small = _case_page(client, staff["leader"], 1, village_a, staff)
    big = _case_page(client, staff["leader"], 5, village_a, staff)
    assert len(big) == len(small)
    # The user's township ids and roles are read once per request; the household's people,
    # their authorizations, the relatives' declarations and the evidence the moves ask about
    # in one statement (cases.views.case_pages._people).
    township_reads = [q for q in big if "cases_townshipuserobjectpermission" in q]
    assert len(township_reads) == 1
    assert len([q for q in big if 'FROM "cases_staffrelative"' in q]) == 1
    assert len([q for q in big if 'FROM "cases_membership"' in q]) == 1


def test_case_page_within_budget(client, village_a, staff):
    """Every page of a case in every state: tests/cases/test_case_sections.py."""
    assert len(_case_page(client, staff["leader"], 3, village_a, staff)) <= BUDGET
