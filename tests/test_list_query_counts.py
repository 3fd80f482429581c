"""Every list page and the dashboard run the same number of statements however many rows exist.

One table (`PAGES`) names each list-like page of the product, the user who works with it and
how to tell that the page shows the world's rows. The test builds a small world (one case in
each of the states below, with its documents, clocks, board sheet, reminders, access-log rows,
relatives, attachments and spot checks), measures every page, then adds twice as much again of
every kind of row (10 cases become 30, past the 25-row pages) and measures again: each page
must run exactly the same number of statements (`allowance` says when, and why, a page may
differ by a fixed number) and must show more of the world's rows than before (a search by ID
number or by its last six characters: the same one row), so that no page passes by being
empty. A page with a known N+1 not yet fixed says so in `known`, and the test fails once it no
longer grows, to drop the note.

Each page is requested twice and the second request is counted: the first fills the
per-process caches (the working-day calendar, content types, the case list's state counts,
which are cached for a minute). The session, stamped at sign-in, is written at most once a
minute: not within the measurement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.demo_cases import build_case
from cases.workflow import CaseStatus
from tests.factories import HouseholdFactory, PersonFactory
from tests.security.world import pdf_bytes

pytestmark = pytest.mark.django_db
S = CaseStatus

# The name every world household's head bears, so that one name search finds them all.
HEAD_NAME = "欧阳晓东"
# One "batch" of cases: (state, days since the application). In publicity two days ago, so
# that the board sheet is still on display; investigating 40 days ago, so its clock is breached.
BATCH = [
    (S.RECEIVED, 3),
    (S.INVESTIGATING, 40),
    (S.INVESTIGATING, 22),
    (S.RECHECK, 25),
    (S.IN_PUBLICITY, 2),
    (S.AWAITING_APPRAISAL, 25),
    (S.AWAITING_SIGN_OFF, 25),
    (S.APPROVED, 30),
    (S.REJECTED, 30),
    (S.EMERGENCY_REPORTED, 3),
]
MORE_BATCHES = 2  # the big world has three batches: 30 cases, past the 25-row pages


@dataclass
class World:
    """What has been built so far; grows in place."""

    users: dict
    village: object
    cases: list = field(default_factory=list)
    households: list = field(default_factory=list)
    archive_household: object = None
    archive_cases: list = field(default_factory=list)
    relatives: list = field(default_factory=list)
    spot_checks: list = field(default_factory=list)

    @property
    def first(self):
        """The first case built (an application just received): searches start from it."""
        return self.cases[0]


# --- How a page shows the world's rows ------------------------------------------------------

def _present(html: str, markers) -> int:
    return len({m for m in markers if m and m in html})


def case_numbers(response, world) -> int:
    return _present(response.content.decode(), [c.number for c in world.cases])


def household_links(response, world) -> int:
    return _present(response.content.decode(),
                    [f'href="{h.get_absolute_url()}"' for h in world.households])


def json_count(response, world) -> int:
    return response.json()["count"]


def context_len(key: str) -> Callable:
    def rows(response, world) -> int:
        value = response.context[key]
        return len(getattr(value, "object_list", value))
    return rows


def public_households(response, world) -> int:
    html = response.content.decode()
    return sum(int(n) for n in re.findall(r"以下(\d+)户", html))


def assistant_rows(response, world) -> int:
    c = response.context
    return (len(c["visits"]) + c["visits_more"] + len(c["on_display"]) + c["on_display_more"]
            + sum(b.n for b in c["boards"]))


def board_entries(response, world) -> int:
    return sum(b.n for b in response.context["page"])


def dashboard_open(response, world) -> int:
    return response.context["board"].district.open_total


def district_clocks(response, world) -> int:
    totals = response.context["totals"]
    return totals["breached"] + totals["at_risk"]


def relative_names(response, world) -> int:
    return _present(response.content.decode(), world.relatives)


def spot_check_links(response, world) -> int:
    return _present(response.content.decode(),
                    [f'href="{s.get_absolute_url()}"' for s in world.spot_checks])


def archive_rows(response, world) -> int:
    return len(response.context["entries"])


@dataclass(frozen=True)
class Page:
    label: str
    user: str | None  # key of World.users; None: the public, not signed in
    url: Callable[[World], str]
    rows: Callable  # (response, world) -> how many of the world's rows the page shows
    allowance: int = 0  # a fixed difference allowed between the two counts
    why: str = ""  # why the allowance
    grows: bool = True  # False: the page finds one row (an ID number), in both worlds
    known: str = ""  # a known N+1 not yet fixed: the count must still grow (strict)


def _url(name, *args, **query) -> Callable[[World], str]:
    def make(world: World) -> str:
        url = reverse(name, args=[a(world) if callable(a) else a for a in args])
        if query:
            url += "?" + urlencode({k: v(world) if callable(v) else v
                                    for k, v in query.items()})
        return url
    return make


PAGES = [
    Page("households", "clerk", _url("home"), household_links),
    Page("households, assistant's villages", "assistant", _url("home"), household_links),
    Page("households, searched by name", "clerk", _url("home", q=HEAD_NAME), household_links),
    Page("households, searched by ID number", "clerk",
         _url("home", q=lambda w: w.first.applicant.id_number), household_links,
         grows=False),
    Page("households, searched by the last six of an ID number", "clerk",
         _url("home", q=lambda w: w.first.applicant.id_number[-6:]), household_links,
         grows=False),
    Page("case list", "clerk", _url("case_list"), case_numbers),
    Page("case list, by state", "clerk", _url("case_list", status=S.INVESTIGATING.value),
         case_numbers),
    Page("case list, searched by name", "clerk", _url("case_list", q=HEAD_NAME), case_numbers),
    Page("case list, searched by ID number", "clerk",
         _url("case_list", q=lambda w: w.first.applicant.id_number), case_numbers,
         grows=False),
    Page("case list, searched by the last six of an ID number", "clerk",
         _url("case_list", q=lambda w: w.first.applicant.id_number[-6:]), case_numbers,
         grows=False),
    Page("case list, searched by case number", "clerk",
         _url("case_list", q=lambda w: w.first.number[:-3]), case_numbers),
    Page("case list, district", "bureau", _url("case_list"), case_numbers),
    Page("case list, assistant's villages", "assistant", _url("case_list"), case_numbers),
    Page("case list, leader", "leader", _url("case_list"), case_numbers),
    Page("clerk workspace", "clerk", _url("clerk_home"), case_numbers),
    Page("assistant's villages", "assistant", _url("assistant_home"), assistant_rows),
    Page("leader's sign-off queue", "leader", _url("leader_queue"), case_numbers),
    Page("clocks at risk and breached", "clerk", _url("deadline_list"), case_numbers),
    Page("clocks, district", "bureau", _url("deadline_list"), case_numbers),
    Page("clocks per township", "bureau", _url("deadline_district"), district_clocks),
    Page("inbox", "clerk", _url("inbox"), context_len("page")),
    Page("verification officer's cases", "verifier", _url("verification_home"),
         case_numbers),
    Page("verification access log", "bureau", _url("verification_access_log"),
         context_len("page")),
    Page("relatives of staff", "clerk", _url("relatives"), relative_names),
    Page("relatives of staff, district", "bureau", _url("relatives"), relative_names),
    Page("relatives' applications", "bureau", _url("relative_cases"), case_numbers),
    Page("board sheets", "clerk", _url("publicity_batch_list"), board_entries),
    Page("board sheets, assistant's villages", "assistant", _url("publicity_batch_list"),
         board_entries),
    Page("public village page", None, _url("public_village", lambda w: w.village.code),
         public_households),
    Page("approval tables reported", "bureau", _url("district_reports"), case_numbers),
    Page("bureau dashboard", "bureau", _url("bureau_dashboard"), dashboard_open),
    Page("spot checks", "bureau", _url("spot_check_list"), spot_check_links),
    Page("household file", "clerk", _url("household_archive", lambda w: w.archive_household.pk),
         archive_rows),
    Page("household page: members and cases", "clerk",
         _url("household_detail", lambda w: w.archive_household.pk),
         lambda response, world: _present(response.content.decode(),
                                          [c.number for c in world.archive_cases])),
    Page("household attachments", "clerk",
         _url("household_attachments", lambda w: w.archive_household.pk),
         context_len("attachments")),
    Page("API households", "clerk", _url("api:household_list"), json_count),
    Page("API households, searched by the last six of an ID number", "clerk",
         _url("api:household_list", q=lambda w: w.first.applicant.id_number[-6:]),
         json_count, grows=False),
    Page("API cases", "clerk", _url("api:case_list"), json_count),
    Page("API cases, searched by the last six of an ID number", "clerk",
         _url("api:case_list", q=lambda w: w.first.applicant.id_number[-6:]), json_count,
         grows=False),
    Page("API cases, district", "bureau", _url("api:case_list"), json_count),
    Page("API deadlines", "clerk", _url("api:deadline_list"), json_count),
    Page("API documents", "clerk", _url("api:document_list"), json_count),
]


# --- Building the world ---------------------------------------------------------------------

def _grow(world: World, batches: int) -> None:
    """Add `batches` of cases with everything the pages list, through the services."""
    from cases.models import RelativeKind, StaffPost
    from cases.sweep import sweep_deadlines
    from cases.verification import access
    from cases.verification import relatives as staff_relatives
    from documents.attachments import attachment_add
    from documents.models import AttachmentKind
    from oversight import services as oversight
    from oversight.aggregates import refresh_dashboard

    u = world.users
    staff = {"clerk": u["clerk"], "verifier": u["verifier"], "leader": u["leader"]}
    for _ in range(batches):
        for state, days_ago in BATCH:
            household = HouseholdFactory(village=world.village, members=[
                PersonFactory(name=HEAD_NAME), PersonFactory(), PersonFactory()])
            case = build_case(state, household=household, days_ago=days_ago, **staff)
            world.households.append(household)
            world.cases.append(case)
            access.log(u["verifier"], "view", case=case, person=case.applicant,
                       purpose="核对", source="测试")
        # A declared relative: the spouse of the last household's head.
        spouse = household.memberships.order_by("pk")[1].person
        staff_relatives.relative_declare(
            by=u["clerk"], staff_user=u["clerk"], staff_name="窗口受理员",
            post=StaffPost.TOWNSHIP_STAFF, township=world.village.township,
            relative_name=spouse.name, relative_id_number=spouse.id_number,
            relationship=RelativeKind.SPOUSE, declared_on=timezone.localdate())
        world.relatives.append(spouse.name)
        # One more closed case in the household whose file is listed, and an attachment.
        if world.archive_household is None:
            world.archive_household = HouseholdFactory(village=world.village, members=2)
        closed = build_case(S.REJECTED, household=world.archive_household, days_ago=30,
                            **staff)
        world.archive_cases.append(closed)
        attachment_add(household=world.archive_household, case=closed,
                       uploaded_file=SimpleUploadedFile("scan.pdf", pdf_bytes()),
                       kind=AttachmentKind.ID_CARD, by=u["clerk"], note="身份证复印件")
        today = timezone.localdate()
        world.spot_checks.append(oversight.spot_check_draw(
            township=world.village.township, decided_from=today - dt.timedelta(days=60),
            decided_to=today, by=u["bureau"], size=1))
    sweep_deadlines()  # reminders into the inboxes
    refresh_dashboard()  # the dashboard's per-township aggregates


def _count(client: Client, url: str):
    """(the statements of the second request, its response)."""
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in ctx.captured_queries], response


def _measure(world: World) -> dict[str, tuple[int, int, list[str]]]:
    cache.clear()
    clients = {}
    out = {}
    for page in PAGES:
        if page.user not in clients:
            client = Client()
            if page.user is not None:
                client.force_login(world.users[page.user])
            clients[page.user] = client
        sql, response = _count(clients[page.user], page.url(world))
        out[page.label] = (len(sql), page.rows(response, world), sql)
    return out


@pytest.fixture
def world(clerk_a, verifier_a, leader_a, assistant_a, bureau, village_a):
    users = {"clerk": clerk_a, "verifier": verifier_a, "leader": leader_a,
             "assistant": assistant_a, "bureau": bureau}
    return World(users=users, village=village_a)


def test_every_list_page_runs_as_many_statements_with_many_rows_as_with_few(world, capsys):
    _grow(world, 1)
    few = _measure(world)
    _grow(world, MORE_BATCHES)
    many = _measure(world)

    problems = []
    for page in PAGES:
        (n_few, rows_few, _), (n_many, rows_many, sql) = few[page.label], many[page.label]
        if page.known:
            if n_many <= n_few:
                problems.append(f"{page.label}: no longer grows ({n_few} → {n_many} "
                                "statements): remove its `known` note")
        elif abs(n_many - n_few) > page.allowance:
            problems.append(f"{page.label}: {n_few} statements with few rows, {n_many} with "
                            f"many\n    " + "\n    ".join(q[:150] for q in sql))
        if not (rows_many > rows_few > 0 if page.grows else rows_many == rows_few > 0):
            problems.append(f"{page.label}: shows {rows_few} rows of the small world and "
                            f"{rows_many} of the big one")
    assert not problems, "\n".join(problems)
    known = [p.label for p in PAGES if p.known]
    with capsys.disabled():
        print(f"\nlist query counts: {len(PAGES)} pages, {len(PAGES) - len(known)} constant"
              + (f", known to grow: {', '.join(known)}" if known else ", all constant"))
