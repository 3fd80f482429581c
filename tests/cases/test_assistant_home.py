"""我的村居: the village assistant's phone page — scope, queries, width and weight."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.demo_cases import confirm_posting
from cases.models import AccessLog
from cases.permissions import Role
from cases.views import assistant as view
from tests.factories import HouseholdFactory, make_user
from tests.publicity.builders import publicize

pytestmark = pytest.mark.django_db

PHONE_WIDTH = 360
MAX_PAGE_BYTES = 30 * 1024


def _accepted(village, *, clerk):
    """A 低保 case of `village` accepted today: waiting for its home visit."""
    household = HouseholdFactory(village=village, members=1)
    case = services.case_create(household=household, applicant=household.head, kind="dibao",
                                by=clerk, hardship="无稳定收入。")
    for person in case.adult_members():
        services.authorization_record(case=case, person=person, signed_on=timezone.localdate(),
                                      by=clerk)
    return services.case_accept(case=case, by=clerk)


def _fill(village, n, *, clerk, verifier, leader):
    """`n` cases waiting for a home visit and `n` cases in publicity (one board per day), their
    sheets not yet confirmed posted."""
    visits = [_accepted(village, clerk=clerk) for _ in range(n)]
    shown = [publicize(HouseholdFactory(village=village, members=1), clerk=clerk,
                       verifier=verifier, leader=leader, days_ago=1 + i % 3,
                       posted=False)[0]
             for i in range(n)]
    return visits, shown


def _page(client, user):
    client.force_login(user)
    return client.get(reverse("assistant_home"))


@pytest.mark.clause("S4")
def test_the_assistant_sees_the_work_waiting_in_their_village(
        client, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    (waiting,), (shown,) = _fill(village_a, 1, clerk=clerk_a, verifier=verifier_a,
                                 leader=leader_a)
    response = _page(client, assistant_a)
    assert response.status_code == 200
    html = response.content.decode()
    assert "我的村居" in html
    assert reverse("home_visit_new", args=[waiting.pk]) in html
    assert waiting.applicant.name in html
    batch = shown.publicity_entry.batch
    assert reverse("publicity_batch_detail", args=[batch.pk]) + "#confirm" in html
    assert "待张贴确认" in html
    assert reverse("publicity_objection_new", args=[shown.pk]) in html
    # The nav link for assistants.
    assert f'href="{reverse("assistant_home")}"' in html
    assert AccessLog.objects.filter(user=assistant_a, object_type="assistant_home").exists()


def test_a_visited_case_and_a_confirmed_board_leave_the_to_do_lists(
        client, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    case = _accepted(village_a, clerk=clerk_a)
    services.home_visit_record(case=case, visited_on=timezone.localdate(),
                               investigators=["王强", "李娜"], findings="住房简陋。",
                               by=assistant_a)
    _, (shown,) = _fill(village_a, 1, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    batch = shown.publicity_entry.batch
    confirm_posting(shown, by=assistant_a)
    html = _page(client, assistant_a).content.decode()
    assert reverse("home_visit_new", args=[case.pk]) not in html
    assert "已确认张贴" in html and "待张贴确认" not in html
    assert reverse("publicity_batch_detail", args=[batch.pk]) + "#confirm" not in html


@pytest.mark.clause("S1")
def test_an_assistant_of_another_village_sees_nothing_of_village_a(
        client, village_a, village_a2, clerk_a, verifier_a, leader_a):
    visits, shown = _fill(village_a, 2, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    other = make_user("assistant_a2", Role.ASSISTANT, villages=[village_a2])
    html = _page(client, other).content.decode()
    assert village_a2.short_name in html
    for case in visits + shown:
        assert case.applicant.name not in html
        assert f"/cases/{case.pk}/" not in html
    for batch_id in {c.publicity_entry.batch_id for c in shown}:
        assert reverse("publicity_batch_detail", args=[batch_id]) not in html
    assert "暂无待入户调查的家庭" in html and "暂无公示中的案件" in html


def test_the_page_is_for_assistants_only(client, clerk_a, leader_a, bureau):
    for user in (clerk_a, leader_a, bureau):
        response = _page(client, user)
        assert response.status_code == 403
        assert "本页面供村(社区)协理员使用" in response.content.decode()


def test_the_nav_link_is_shown_to_assistants_only(client, clerk_a):
    client.force_login(clerk_a)
    html = client.get(reverse("case_list")).content.decode()
    assert reverse("assistant_home") not in html


def _queries(client, user) -> int:
    client.force_login(user)
    cache.clear()  # every measured request cold: the header's unread count is cached per user
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("assistant_home")).status_code == 200
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_the_rows(
        client, village_a, clerk_a, verifier_a, leader_a, assistant_a, monkeypatch):
    monkeypatch.setattr(view, "LIST_LIMIT", 4)
    _fill(village_a, 1, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    few = _queries(client, assistant_a)
    _fill(village_a, 5, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    many = _queries(client, assistant_a)
    html = client.get(reverse("assistant_home")).content.decode()
    assert "还有2户" in html  # 6 waiting, 4 shown
    assert many == few


def _stylesheets(html: str) -> list[str]:
    hrefs = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    assert hrefs, "the page links no stylesheet"
    paths = []
    for href in hrefs:
        assert href.startswith("/static/"), href
        found = finders.find(href.removeprefix("/static/"))
        assert found, href
        paths.append(found)
    return paths


FIXED_WIDTH = re.compile(r"(?<![-\w])(?:min-)?width\s*:\s*(\d+(?:\.\d+)?)px")


def test_no_fixed_width_wider_than_a_phone_in_the_page_css(
        client, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    _fill(village_a, 1, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    html = _page(client, assistant_a).content.decode()
    assert "style=" not in html
    for path in _stylesheets(html):
        with open(path, encoding="utf-8") as fh:
            css = fh.read()
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        too_wide = [w for w in FIXED_WIDTH.findall(css) if float(w) > PHONE_WIDTH]
        assert too_wide == [], (path, too_wide)


def test_the_fixed_width_check_catches_a_wide_rule():
    assert FIXED_WIDTH.findall(".x { width:480px; min-width: 400px; max-width:900px }") == \
        ["480", "400"]


def test_the_page_stays_under_30_kb_with_full_lists(
        client, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    _fill(village_a, 1, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    one = len(_page(client, assistant_a).content)
    _fill(village_a, 3, clerk=clerk_a, verifier=verifier_a, leader=leader_a)
    four = len(client.get(reverse("assistant_home")).content)
    assert four < MAX_PAGE_BYTES
    # Each list shows at most LIST_LIMIT rows: the page at that size, from the bytes per row.
    per_row = (four - one) / 3
    assert per_row > 0
    at_limit = one + per_row * (view.LIST_LIMIT - 1)
    assert at_limit < MAX_PAGE_BYTES, (one, per_row, at_limit)
