"""The deadline list finds a township's cases by (township, next_due_at): the conditions added
for that (`cases.views.deadlines._scoped_clocks`) never change which clocks it shows or counts.

Each page below is compared with the clocks defined without them: running clocks of
`scoping.cases_visible_to(user)` that are breached or at risk (`cases.sweep`), in due order,
with the same state, kind and township filters, the same number in the pager and the same
state counts. The world has clocks breached, at risk and not at risk (working-day, day and
hour clocks), paused and met clocks, cases in terminal states (one with a clock left open),
and, in the second run, a village moved to another township after its cases were opened.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import scoping
from cases.calendar import display_calendar
from cases.deadline_state import clock_state
from cases.demo_cases import build_case
from cases.models import Case, Deadline, DeadlineKind, DeadlineStatus, DeadlineUnit
from cases.org import village_reassign
from cases.permissions import Role
from cases.sweep import at_risk_cutoffs, at_risk_q, breached_q, running_q
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, make_user

pytestmark = pytest.mark.django_db
S = CaseStatus

# (state, days since the application, village) — spread so that decision clocks fall on
# both sides of the at-risk cut-off whatever the weekday.
WORLD = [
    *[(S.INVESTIGATING, days, "a") for days in (45, 40, 31, 29, 27, 26, 25, 24, 23, 21, 12)],
    (S.RECHECK, 30, "a"),
    (S.IN_PUBLICITY, 6, "a"),  # decision paused, publicity (day clock) near its end
    (S.IN_PUBLICITY, 1, "a2"),
    (S.AWAITING_SIGN_OFF, 25, "a"),  # decision resumed after the publicity
    (S.AWAITING_APPRAISAL, 25, "a2"),
    (S.APPROVED, 30, "a"),  # decision met, periodic review a year away
    (S.REJECTED, 30, "a"),
    (S.WITHDRAWN, 5, "a"),
    (S.TERMINATED, 40, "a"),
    (S.EMERGENCY_REPORTED, 3, "a"),  # hour clock breached
    (S.AID_GIVEN, 3, "a"),
    (S.CLOSED, 3, "a"),
    *[(S.INVESTIGATING, days, "a2") for days in (40, 28, 26, 24, 10)],
    *[(S.INVESTIGATING, days, "b") for days in (40, 27, 25, 23, 8)],
    (S.RECEIVED, 2, "b"),
]
# Hour clocks (24 hours): reported this many hours ago.
EMERGENCIES = [(20, "a"), (23, "a2"), (2, "a"), (30, "b"), (19, "b")]


@pytest.fixture
def world(village_a, village_a2, village_b, clerk_a, verifier_a, leader_a, clerk_b):
    villages = {"a": village_a, "a2": village_a2, "b": village_b}
    staff = {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a}
    b_staff = {"clerk": clerk_b, "verifier": make_user("verifier_b", Role.VERIFIER,
                                                       townships=[village_b.township]),
               "leader": make_user("leader_b", Role.LEADER, townships=[village_b.township])}
    cases = []
    for state, days, place in WORLD:
        people = b_staff if place == "b" else staff
        cases.append(build_case(state, household=HouseholdFactory(village=villages[place]),
                                days_ago=days, **people))
    for hours, place in EMERGENCIES:
        people = b_staff if place == "b" else staff
        with time_machine.travel(timezone.now() - dt.timedelta(hours=hours), tick=False):
            cases.append(build_case(S.EMERGENCY_REPORTED, days_ago=0, **people,
                                    household=HouseholdFactory(village=villages[place])))
    # A case ended while a clock stayed open (data from before clocks were settled on every
    # ending): its clock is not a duty any more, though due.
    ended = build_case(S.INVESTIGATING, household=HouseholdFactory(village=village_a),
                       days_ago=42, **staff)
    Case.objects.filter(pk=ended.pk).update(status=S.TERMINATED)
    cases.append(ended)
    return cases


@pytest.fixture
def users(clerk_a, clerk_b, clerk_ab, assistant_a, bureau, unassigned_clerk, village_a,
          township_b):
    mixed = make_user("clerk_assistant", [Role.CLERK, Role.ASSISTANT], townships=[township_b],
                      villages=[village_a])
    return {"clerk_a": clerk_a, "clerk_b": clerk_b, "clerk_ab": clerk_ab,
            "assistant_a": assistant_a, "clerk_b_assisting_a": mixed, "bureau": bureau,
            "unassigned": unassigned_clerk}


def _defined(user, now, query: dict) -> tuple[list[int], dict[str, int]]:
    """The page's clocks and state counts by definition, without the added conditions."""
    cutoffs = at_risk_cutoffs(now, calendar=display_calendar())
    breached, at_risk = breached_q(now), at_risk_q(cutoffs)
    clocks = Deadline.objects.filter(running_q(),
                                      case__in=scoping.cases_visible_to(user))
    if query.get("township"):
        clocks = clocks.filter(case__township_id=query["township"])
    if query.get("kind"):
        clocks = clocks.filter(kind=query["kind"])
    shown = clocks.filter(breached | at_risk)
    listed = {"breached": clocks.filter(breached), "at_risk": clocks.filter(at_risk)}.get(
        query.get("state"), shown)
    counts = shown.aggregate(
        breached=Count("pk", filter=breached), at_risk=Count("pk", filter=at_risk),
        unreminded=Count("pk", filter=breached & Q(breached_at__isnull=True)))
    return list(listed.order_by("due_at", "pk").values_list("pk", flat=True)), counts


QUERIES = [{}, {"state": "breached"}, {"state": "at_risk"}, {"kind": DeadlineKind.DECISION},
           {"kind": DeadlineKind.EMERGENCY_AID}, {"kind": DeadlineKind.PUBLICITY}]


def test_the_deadline_list_shows_the_clocks_it_shows_without_the_added_conditions(
        client, settings, world, users, village_a2, township_a, township_b):
    """Compared with the villages in place, then again after a village moved (one world, built
    once: it takes most of the test's time)."""
    settings.LIST_PAGE_SIZE = 500  # every clock of the world on one page
    _the_world_has_every_kind_of_clock(world, timezone.now())
    compared = {}
    for moved in (False, True):
        if moved:
            # Its cases keep township A (where they were opened); its clocks go to B's staff.
            village_reassign(village=village_a2, township=township_b)
        compared[moved] = _compare_every_page(client, users, village_a2, township_a,
                                              township_b, moved)
    assert compared[False] > 100 and compared[True] > 100


def _compare_every_page(client, users, village_a2, township_a, township_b, moved) -> int:
    now = timezone.now()
    moved_case_clocks = set(Deadline.objects.filter(
        running_q(), case__village=village_a2).values_list("pk", flat=True))
    compared = 0
    with time_machine.travel(now, tick=False):
        for name, user in users.items():
            client.force_login(user)
            queries = QUERIES + ([{"township": township_a.pk}, {"township": township_b.pk}]
                                 if name == "bureau" else [])
            for query in queries:
                expected, counts = _defined(user, now, query)
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(reverse("deadline_list"), query)
                assert response.status_code == 200
                shown = [d.pk for d in response.context["page"].object_list]
                assert shown == expected, (moved, name, query)
                assert response.context["page"].paginator.count == len(expected), (name, query)
                assert response.context["counts"] == counts, (moved, name, query)
                # No place: no clock is read at all. The whole district: only one township.
                if name != "unassigned" and (name != "bureau" or "township" in query):
                    assert any('"cases_case"."next_due_at" <=' in q["sql"]
                               for q in ctx.captured_queries), "the added conditions are used"
                compared += len(expected)
            if name == "clerk_b":
                seen = set(_defined(user, now, {})[0])
                assert bool(seen & moved_case_clocks) is moved, \
                    "B's staff see the moved village's clocks, of cases still of township A"
    return compared


def _the_world_has_every_kind_of_clock(world, now):
    """The comparison means something only if each kind of clock is there to be misplaced."""
    calendar = display_calendar()
    states = set()
    for deadline in Deadline.objects.filter(case__in=world).select_related("case"):
        state, _ = clock_state(deadline, now, calendar)
        ended = deadline.case.status in (S.TERMINATED, S.REJECTED, S.WITHDRAWN, S.CLOSED)
        states.add((state, deadline.unit == DeadlineUnit.HOUR, ended))
    for needed in [("breached", False, False), ("at_risk", False, False), ("ok", False, False),
                   ("breached", True, False), ("at_risk", True, False), ("ok", True, False),
                   ("paused", False, False), ("met", False, False), ("breached", False, True)]:
        assert needed in states, needed
    assert Deadline.objects.filter(case__in=world, kind=DeadlineKind.PUBLICITY,
                                   status=DeadlineStatus.OPEN).exists()
