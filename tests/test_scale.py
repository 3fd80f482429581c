"""`seed_scale`: valid people, every state, intact trails, and the rules a run must pass.

A small run (200 households) through the management command, on whatever database the suite
uses (SQLite: `bulk_create`; PostgreSQL: COPY).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import crypto, idnumber, scale, search, services
from cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    Deadline,
    DeadlineStatus,
    Household,
    Membership,
    Person,
)
from cases.trail import verify_all
from cases.workflow import OPEN_STATUSES, CaseKind, CaseStatus
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db

HOUSEHOLDS = 200


def seed(households: int = HOUSEHOLDS, **options) -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed_scale", households=households, no_progress=True, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    seed()


def test_every_person_has_a_valid_unique_id_number_matching_birth_date_and_gender(seeded):
    people = list(Person.objects.values_list("id_number", "birth_date", "gender"))
    assert len(people) >= HOUSEHOLDS
    assert len({number for number, _, _ in people}) == len(people)
    for number, born, gender in people:
        idnumber.validate_id_number(number)
        assert idnumber.birth_date_of(number) == born
        assert idnumber.gender_of(number) == gender


def test_every_person_has_the_keyed_hashes_of_the_number_and_its_tail(seeded):
    """The rows are written directly (COPY on PostgreSQL): both hashes come from the generator,
    so the full-number and the tail search find every generated person."""
    people = list(Person.objects.values_list("id_number", "id_number_hash", "id_tail_hash"))
    for number, full, tail in people:
        assert (full, tail) == (crypto.id_hash(number), crypto.id_tail_hash(number))
    number = people[0][0]
    assert search.people_with_id_tail(number[-6:]).filter(id_number=number).exists()


def test_every_household_has_its_head_as_a_current_member(seeded):
    assert Household.objects.filter(note=scale.SEED_MARK).count() == HOUSEHOLDS
    heads = Membership.objects.filter(relationship="head", ended_on__isnull=True)
    assert set(heads.values_list("person_id", flat=True)) == set(
        Household.objects.values_list("head_id", flat=True))


def test_every_state_and_kind_is_present(seeded):
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert set(Case.objects.values_list("kind", flat=True)) == set(CaseKind.values)


def test_every_trail_is_an_intact_hash_chain(seeded):
    assert list(verify_all()) == []


def test_each_case_is_where_its_trail_says(seeded):
    for case in Case.objects.all():
        moves = [e.to_status for e in case.events.order_by("seq") if e.to_status]
        assert moves[-1] == case.status, case.number
        first = case.events.order_by("seq").first()
        assert first.action == "created" and first.payload["number"] == case.number


def test_clocks_match_the_state(seeded):
    """Decided and withdrawn cases run no decision clock, ended ones no clock at all; live
    emergency cases run theirs."""
    done = [CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED,
            CaseStatus.TERMINATED]
    assert not Deadline.objects.filter(case__status__in=done, kind="decision",
                                       status=DeadlineStatus.OPEN).exists()
    ended = [CaseStatus.TERMINATED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED]
    assert not Deadline.objects.filter(case__status__in=ended,
                                       status=DeadlineStatus.OPEN).exists()
    for case in Case.objects.filter(status=CaseStatus.EMERGENCY_REPORTED):
        assert case.deadlines.filter(kind="emergency_aid", status="open").exists()
    for case in Case.objects.filter(status=CaseStatus.IN_PUBLICITY):
        assert case.deadlines.get(kind="publicity").status == DeadlineStatus.OPEN
        assert case.deadlines.get(kind="decision").status == DeadlineStatus.PAUSED
    running = Deadline.objects.filter(status=DeadlineStatus.OPEN)
    assert running.exists()
    assert not running.filter(due_at__lt=dt.datetime.now(dt.UTC), breached_at=None).exists()


def test_only_the_newest_case_of_a_household_is_live(db):
    seed(cases_per_household=2.5)
    live = Counter(Case.objects.filter(status__in=list(OPEN_STATUSES) + ["approved"])
                   .values_list("household_id", flat=True))
    assert live and max(live.values()) == 1
    assert list(verify_all()) == []


def test_staff_of_each_township_can_open_the_pages(seeded, client):
    clerk = get_user_model().objects.get(username="scale-clerk-371302001")
    client.force_login(clerk)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("case_list")).status_code == 200
    for status in CaseStatus.values:
        case = Case.objects.filter(status=status, township__code="371302001").first()
        if case is not None:
            assert client.get(case.get_absolute_url()).status_code == 200, status


def test_a_second_run_with_the_same_total_does_nothing(seeded):
    before = (Person.objects.count(), Case.objects.count(), CaseEvent.objects.count())
    assert "Already seeded" in seed()
    assert (Person.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == before


def test_a_larger_total_adds_the_difference(seeded):
    cases_before = Case.objects.count()
    seed(HOUSEHOLDS + 40)
    assert Household.objects.count() == HOUSEHOLDS + 40
    assert Case.objects.count() == cases_before + 40
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers))
    assert Case.objects.values("number").distinct().count() == Case.objects.count()
    assert list(verify_all()) == []


def test_a_smaller_total_is_refused(seeded):
    with pytest.raises(CommandError, match="append-only"):
        seed(HOUSEHOLDS - 1)


def test_a_database_with_real_households_is_refused(db):
    HouseholdFactory()
    with pytest.raises(CommandError, match="did not generate"):
        seed()
    assert Case.objects.count() == 0


def test_cases_registered_afterwards_continue_the_numbering(seeded):
    """The case-number counters are moved past the generated numbers."""
    for counter in CaseNumberCounter.objects.select_related("township"):
        prefix = f"{counter.township.code}-{counter.year}-"
        assert Case.objects.filter(number__startswith=prefix, kind=counter.kind).count() \
            == counter.last
    household = Household.objects.filter(village__township__code="371302001").exclude(
        cases__status__in=[*OPEN_STATUSES, CaseStatus.APPROVED, CaseStatus.SUSPENDED]).first()
    clerk = get_user_model().objects.get(username="scale-clerk-371302001")
    case = services.case_create(household=household, applicant=household.head,
                                kind=CaseKind.TEMP_EXPENDITURE, by=clerk)
    counter = CaseNumberCounter.objects.get(township=case.township, kind=case.kind,
                                            year=case.applied_at.year)
    assert case.number.endswith(f"-{counter.last:05d}")
    assert Case.objects.filter(number=case.number).count() == 1


def test_a_changed_trail_format_stops_the_run(monkeypatch, db):
    monkeypatch.setattr(scale, "_canonical_hash", lambda *args: "0" * 64)
    with pytest.raises(scale.ScaleError, match="canonical"):
        scale.check_trail_format()


# --- No N+1: query counts do not grow with the data ------------------------------------------

LISTS = {
    "case list": lambda head: reverse("case_list"),
    "case list by state": lambda head: reverse("case_list") + "?status=approved",
    "household list": lambda head: reverse("home"),
    "search by ID number": lambda head: reverse("home") + "?q=" + head.id_number,
    "search by the last six of an ID number":
        lambda head: reverse("home") + "?q=" + head.id_number[-6:],
    "case list, searched by the last six of an ID number":
        lambda head: reverse("case_list") + "?q=" + head.id_number[-6:],
    "search by name": lambda head: reverse("home") + "?q=" + head.name,
}


def _queries(client, url: str) -> int:
    client.get(url)  # warm caches (content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _login(client):
    client.force_login(get_user_model().objects.get(username="scale-clerk-371302001"))
    return client


@pytest.mark.parametrize("page", LISTS)
def test_list_queries_do_not_grow_with_the_rows(page, db, client):
    seed(60)
    clerk_client = _login(client)
    assert Case.objects.filter(township__code="371302001", status="approved").exists()
    head = Household.objects.filter(village__township__code="371302001").first().head
    small = _queries(clerk_client, LISTS[page](head))
    seed(260)
    assert Case.objects.filter(township__code="371302001").count() > 25  # a full page
    assert _queries(clerk_client, LISTS[page](head)) == small


def test_case_page_queries_do_not_grow_with_the_history(seeded, client):
    """Two approved cases, the shortest and the longest trail: the same queries."""
    clerk_client = _login(client)
    approved = sorted(Case.objects.filter(township__code="371302001", status="approved"),
                      key=lambda c: c.events.count())
    short, long = approved[0], approved[-1]
    assert long.events.count() > short.events.count() + 3
    # The working-day calendar reads the entered years only for due dates in years the
    # `chinesecalendar` package does not know: one query more or less, not one per row.
    assert abs(_queries(clerk_client, long.get_absolute_url())
               - _queries(clerk_client, short.get_absolute_url())) <= 1
