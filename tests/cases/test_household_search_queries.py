"""The household list and its search run at most 10 statements (the session read included),
however many members a household has and however many households a search matches."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db
BUDGET = 10  # statements of a request, the session read included


def statements(client, url: str) -> list[str]:
    """The statements of one warm request (the session is not written within the minute)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":  # without Redis
        assert any("django_session" in q for q in sql), "the session read is counted"
    assert not [q for q in sql if "django_session" in q and not q.startswith("SELECT")]
    return sql


def listed(client, url: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/households/(\d+)/"',
                                         client.get(url).content.decode())}


def test_an_id_number_search_runs_the_same_few_statements_however_many_members(
        client, clerk_a, village_a):
    client.force_login(clerk_a)
    small = HouseholdFactory(village=village_a, members=1)
    big = HouseholdFactory(village=village_a, members=6)
    for _ in range(5):  # more households in scope: not read by an ID-number search
        HouseholdFactory(village=village_a, members=2)
    few = statements(client, reverse("home") + f"?q={small.head.id_number}")
    many = statements(client, reverse("home") + f"?q={big.head.id_number}")
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= BUDGET, "\n".join(many)
    assert listed(client, reverse("home") + f"?q={big.head.id_number}") == {big.pk}
    # Any member's number finds the household, written with spaces or a lower-case x.
    spouse = big.memberships.order_by("pk")[1].person
    spaced = f"{spouse.id_number[:6]} {spouse.id_number[6:14]} {spouse.id_number[14:].lower()}"
    assert listed(client, reverse("home") + f"?q={spaced}") == {big.pk}


def test_a_name_search_does_not_grow_with_the_households_it_matches(client, clerk_a,
                                                                   village_a, village_a2):
    client.force_login(clerk_a)
    url = reverse("home") + "?q=欧阳"
    first = HouseholdFactory(village=village_a, members=[PersonFactory(name="欧阳明华")])
    few = statements(client, url)
    more = [HouseholdFactory(village=village_a2 if i % 2 else village_a,
                             members=[PersonFactory(name=f"欧阳{name}"), PersonFactory()])
            for i, name in enumerate(["秀英", "建国", "春生", "桂兰", "志强"])]
    many = statements(client, url)
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= BUDGET, "\n".join(many)
    assert listed(client, url) == {first.pk, *(h.pk for h in more)}


def test_an_address_search_is_bounded_too(client, clerk_a, village_a, village_b):
    client.force_login(clerk_a)
    url = reverse("home") + "?q=杏花村"
    hit = HouseholdFactory(village=village_a, address="兰山区柳青街道杏花村8号")
    few = statements(client, url)
    for i in range(4):
        HouseholdFactory(village=village_a, address=f"兰山区柳青街道杏花村{10 + i}号")
    HouseholdFactory(village=village_b, address="兰山区枣园镇杏花村1号")  # another township
    many = statements(client, url)
    assert len(few) == len(many) <= BUDGET, "\n".join(many)
    found = listed(client, url)
    assert hit.pk in found and len(found) == 5


@pytest.mark.parametrize("who", ["clerk_a", "assistant_a", "bureau"])
def test_the_list_does_not_grow_with_the_households(request, client, who, village_a,
                                                    village_a2, settings):
    settings.LIST_PAGE_SIZE = 2
    user = request.getfixturevalue(who)
    client.force_login(user)
    HouseholdFactory(village=village_a, members=1)
    few = statements(client, reverse("home"))
    for i in range(6):
        HouseholdFactory(village=village_a2 if i % 2 else village_a, members=1 + i % 4)
    many = statements(client, reverse("home"))
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= BUDGET, "\n".join(many)
    villages_read = [q for q in many if 'FROM "cases_village"' in q and "LIMIT" not in q]
    if who == "assistant_a":  # the villages assigned to the assistant, and nothing else
        assert len(villages_read) == 1 and "work_in_village" in villages_read[0]
    else:  # a township's households are found by their own township
        assert not villages_read, "\n".join(villages_read)


def test_the_list_reads_the_heads_id_number_and_no_other_encrypted_field(client, clerk_a,
                                                                         village_a):
    household = HouseholdFactory(village=village_a, members=2)
    client.force_login(clerk_a)
    sql = statements(client, reverse("home"))
    page = client.get(reverse("home")).content.decode()
    assert household.head.masked_id in page
    rows = [q for q in sql if 'FROM "cases_household"' in q and '"cases_person"."name"' in q]
    assert len(rows) == 1, "\n".join(sql)
    assert '"cases_person"."id_number"' in rows[0]
    for column in ("phone", "health", "disability_grade", "disability_type"):
        assert f'"cases_person"."{column}"' not in rows[0]
    assert '"cases_household"."bank_account"' not in rows[0]
