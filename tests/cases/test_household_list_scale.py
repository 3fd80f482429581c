"""The household list as read at scale: newest first across the scope's villages (one ordered
read per village, merged), pages, a capped count, member counts for the page's rows, and the
search that finds people by index first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Household, Membership
from cases.views import households as views
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db


def listed_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/households/(\d+)/"', response.content.decode())]


@pytest.fixture
def spread(village_a, village_a2, village_b):
    """Seven households of township A over two villages, updated at known moments, and one of
    township B updated last of all."""
    base = timezone.now() - dt.timedelta(days=30)
    made = []
    for i in range(7):
        h = HouseholdFactory(village=village_a if i % 2 else village_a2, members=1 + i % 3)
        made.append(h)
        Household.objects.filter(pk=h.pk).update(updated_at=base + dt.timedelta(hours=i))
    other = HouseholdFactory(village=village_b)
    Household.objects.filter(pk=other.pk).update(updated_at=base + dt.timedelta(days=1))
    return made, other


def test_the_list_is_newest_first_across_villages_and_pages(client, clerk_a, spread, settings):
    made, other = spread
    settings.LIST_PAGE_SIZE = 3
    client.force_login(clerk_a)
    newest_first = [h.pk for h in reversed(made)]
    pages = [listed_ids(client.get(reverse("home"), {"page": n})) for n in (1, 2, 3)]
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:7]]
    assert other.pk not in sum(pages, [])
    assert "共 7 条" in client.get(reverse("home")).content.decode()


def test_the_count_stops_at_the_cap(client, clerk_a, spread, settings, monkeypatch):
    settings.LIST_PAGE_SIZE = 2
    monkeypatch.setattr(views, "COUNT_CAP", 4)
    client.force_login(clerk_a)
    response = client.get(reverse("home"))
    assert "共 4 条以上" in response.content.decode()
    assert len(listed_ids(response)) == 2


def test_member_counts_are_those_of_each_row(client, clerk_a, spread):
    made, _ = spread
    gone = Membership.objects.filter(household=made[2]).order_by("-id").first()
    Membership.objects.filter(pk=gone.pk).update(ended_on=timezone.localdate())
    client.force_login(clerk_a)
    response = client.get(reverse("home"))
    rows = re.findall(r'href="/households/\d+/".*?</tr>', response.content.decode(), re.S)
    counts = {int(pk): re.findall(r"<td data-label=\"人口\">(\d+)</td>", row) for pk, row in
              zip(listed_ids(response), rows, strict=True)}
    for h in made:
        expected = h.memberships.filter(ended_on__isnull=True).count()
        assert counts[h.pk] == [str(expected)], h.pk
    assert counts[made[2].pk] == ["2"]


def test_a_name_search_finds_names_starting_with_the_text(client, clerk_a, village_a):
    hit = HouseholdFactory(village=village_a, members=[PersonFactory(name="欧阳明华")])
    HouseholdFactory(village=village_a, members=[PersonFactory(name="李欧阳")])
    client.force_login(clerk_a)
    assert listed_ids(client.get(reverse("home"), {"q": "欧阳"})) == [hit.pk]


def test_the_address_is_searched_when_no_name_starts_with_the_text(client, clerk_a, village_a,
                                                                   village_b):
    hit = HouseholdFactory(village=village_a, address="兰山区柳青街道杏花村8号")
    HouseholdFactory(village=village_b, address="兰山区柳青街道杏花村9号")
    client.force_login(clerk_a)
    assert listed_ids(client.get(reverse("home"), {"q": "杏花村"})) == [hit.pk]


# --- Deadline pages ---------------------------------------------------------------------------

def test_page_workday_counts_equal_the_calendars():
    from cases.calendar import WorkCalendar
    from cases.views.deadlines import _Workdays

    calendar = WorkCalendar()
    workdays = _Workdays(calendar)
    today = dt.date(2026, 11, 26)
    for start, end in [(dt.date(2023, 9, 20), today), (dt.date(2026, 9, 25), today),
                       (dt.date(2026, 9, 28), dt.date(2026, 10, 12)), (today, today),
                       (today, dt.date(2027, 2, 20)), (dt.date(2024, 12, 30), dt.date(2025, 1, 2))]:
        assert workdays.count(start, end) == calendar.count_workdays(
            start, end, provisional=True), (start, end)


def test_the_township_deadline_list_count_stops_at_the_cap(client, village_a, clerk_a,
                                                          verifier_a, leader_a, monkeypatch):
    from django.core.cache import cache

    from cases.demo_cases import build_case
    from cases.models import DeadlineKind
    from cases.services import refresh_next_due
    from cases.views import deadlines as deadline_views

    staff = {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}
    cases = [build_case("investigating", household=HouseholdFactory(village=village_a), **staff)
             for _ in range(3)]
    for case in cases:
        case.deadlines.filter(kind=DeadlineKind.DECISION).update(
            due_at=timezone.now() - dt.timedelta(days=2))
        refresh_next_due(case)  # as the services do on every change of a clock
    client.force_login(clerk_a)
    cache.clear()
    try:
        page = client.get(reverse("deadline_list")).content.decode()
        assert "已超期（3）" in page and all(case.number in page for case in cases)
        monkeypatch.setattr(deadline_views, "COUNT_CAP", 2)
        monkeypatch.setattr(deadline_views, "settings", type("S", (), {"LIST_PAGE_SIZE": 1}))
        page = client.get(reverse("deadline_list")).content.decode()
        assert "共 2 条以上" in page and "已超期（3）" in page
        assert sum(case.number in page for case in cases) == 1
    finally:
        cache.clear()
