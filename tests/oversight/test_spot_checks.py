"""Spot checks (抽查): the district supervises the townships' delegated decisions (S1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.errors import CaseActionError
from oversight import services
from oversight.models import Finding, SpotCheck, SpotCheckEvent, SpotCheckItem

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _range():
    return TODAY() - dt.timedelta(days=60), TODAY()


def _draw(bureau, township, **kw):
    start, end = _range()
    kw.setdefault("size", 2)
    return services.spot_check_draw(township=township, decided_from=start, decided_to=end,
                                    by=bureau, **kw)


@pytest.fixture
def decided_a(mark_decided):
    """Five decisions in township A: three approvals, two rejections."""
    return mark_decided("approved", n=3) + mark_decided("rejected", n=2)


@pytest.mark.clause("S1")
def test_the_bureau_draws_a_sample_of_a_townships_decisions_with_a_recorded_seed(
        bureau, township_a, decided_a, mark_decided):
    mark_decided("investigating")  # undecided: not in the population
    check = _draw(bureau, township_a, size=3, seed=123456789)
    items = list(check.items.order_by("position"))
    assert check.seed == 123456789
    assert check.population_size == 5
    assert len(items) == 3
    assert {i.case_id for i in items} <= {c.pk for c in decided_a}
    event = SpotCheckEvent.objects.get(spot_check=check, action="drawn")
    assert event.actor == bureau
    assert event.payload["seed"] == 123456789
    assert event.payload["sample"] == [i.case_id for i in items]


def test_the_same_seed_and_population_reproduce_the_same_sample(bureau, township_a,
                                                                 decided_a):
    first = _draw(bureau, township_a, size=3, seed=987654321)
    second = _draw(bureau, township_a, size=3, seed=987654321)
    order = lambda c: list(c.items.order_by("position").values_list("case_id", flat=True))  # noqa: E731
    assert order(first) == order(second)
    assert first.population_digest == second.population_digest
    assert services.spot_check_reproduce(first) == {
        "same_population": True, "same_sample": True, "population_size": 5}


def test_a_seed_is_chosen_and_recorded_when_none_is_given(bureau, township_a, decided_a):
    check = _draw(bureau, township_a, size=1)
    assert check.seed >= 1
    assert SpotCheckEvent.objects.get(spot_check=check).payload["seed"] == check.seed


def test_a_percentage_draws_that_share_rounded_up(bureau, township_a, decided_a):
    check = _draw(bureau, township_a, size=None, percent="50")
    assert check.items.count() == 3  # 50% of 5, rounded up


def test_only_decisions_of_that_township_in_the_range_are_drawn(
        bureau, township_a, township_b, decided_a, mark_decided, village_b, clerk_b,
        verifier_b, leader_b):
    mark_decided("approved", village=village_b, staff=(clerk_b, verifier_b, leader_b))
    old = mark_decided("approved", decided_at=timezone.now() - dt.timedelta(days=200))[0]
    mark_decided("withdrawn")
    check = _draw(bureau, township_a, size=5)
    drawn = set(check.items.values_list("case_id", flat=True))
    assert drawn == {c.pk for c in decided_a}
    assert old.pk not in drawn


@pytest.mark.parametrize("bad, message", [
    ({"decided_from": TODAY(), "decided_to": TODAY() - dt.timedelta(days=1)},
     "起始日期不能晚于截止日期"),
    ({"size": 2, "percent": "10"}, "二者选一"),
    ({"size": None}, "二者选一"),
    ({"size": 6}, "超过了总体件数"),
    ({"size": 0}, "至少为1件"),
    ({"size": None, "percent": "150"}, "不超过100"),
    ({"seed": 0}, "随机种子"),
    ({"township": None}, "请选择被抽查的镇街"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(bureau, township_a, decided_a,
                                                              bad, message):
    start, end = _range()
    args = {"township": township_a, "decided_from": start, "decided_to": end, "size": 2,
            "by": bureau, **bad}
    with pytest.raises(CaseActionError) as exc:
        services.spot_check_draw(**args)
    assert message in exc.value.message
    assert not SpotCheck.objects.exists() and not SpotCheckEvent.objects.exists()


def test_a_township_with_no_decisions_cannot_be_checked(bureau, township_b):
    with pytest.raises(CaseActionError, match="没有批准或不予批准的案件"):
        _draw(bureau, township_b)
    assert not SpotCheck.objects.exists()


@pytest.mark.clause("S1")
def test_only_the_bureau_draws_samples(clerk_a, leader_a, township_a, decided_a):
    for user in (clerk_a, leader_a):
        with pytest.raises(CaseActionError, match="只有区民政局"):
            _draw(user, township_a)
    assert not SpotCheck.objects.exists()


@pytest.mark.clause("S1")
def test_findings_answers_and_closing_each_leave_an_event(bureau, clerk_a, leader_a,
                                                          township_a, decided_a):
    check = _draw(bureau, township_a, size=2)
    first, second = check.items.order_by("position")
    services.spot_check_record_finding(item=first, finding=Finding.NORMAL, by=bureau)
    services.spot_check_record_finding(item=second, finding=Finding.PROBLEM,
                                       text="入户调查表缺少调查人签字。", by=bureau)
    with pytest.raises(CaseActionError, match="尚待镇街答复"):
        services.spot_check_close(check=check, conclusion="总体规范。", by=bureau)
    services.spot_check_answer(item=second, text="已补签，并对经办人提醒谈话。", by=leader_a)
    with pytest.raises(CaseActionError, match="已经答复"):
        services.spot_check_answer(item=second, text="再答一次", by=clerk_a)
    with pytest.raises(CaseActionError, match="不能再修改"):
        services.spot_check_record_finding(item=second, finding=Finding.NORMAL, by=bureau)
    check = services.spot_check_close(check=check, conclusion="一件签字不全，已整改。",
                                      by=bureau)
    assert check.status == SpotCheck.Status.CLOSED and check.closed_by == bureau
    actions = list(check.events.order_by("at", "pk").values_list("action", "actor__username"))
    assert actions == [("drawn", "bureau"), ("finding_recorded", "bureau"),
                       ("finding_recorded", "bureau"), ("answered", "leader_a"),
                       ("closed", "bureau")]
    with pytest.raises(CaseActionError, match="已结束"):
        services.spot_check_record_finding(item=first, finding=Finding.PROBLEM, text="x",
                                           by=bureau)


def test_a_problem_needs_its_text_and_an_unreviewed_case_blocks_closing(bureau, township_a,
                                                                       decided_a):
    check = _draw(bureau, township_a, size=2)
    item = check.items.order_by("position").first()
    with pytest.raises(CaseActionError, match="必须写明问题"):
        services.spot_check_record_finding(item=item, finding=Finding.PROBLEM, text="  ",
                                           by=bureau)
    item.refresh_from_db()
    assert item.finding == "" and not SpotCheckEvent.objects.filter(item=item).exists()
    with pytest.raises(CaseActionError, match="未记录抽查结果"):
        services.spot_check_close(check=check, conclusion="结论", by=bureau)


@pytest.mark.clause("S1")
def test_only_the_checked_townships_clerk_or_leader_answers(
        bureau, township_a, decided_a, clerk_b, verifier_a, assistant_a, clerk_a):
    check = _draw(bureau, township_a, size=1)
    item = check.items.get()
    with pytest.raises(CaseActionError, match="尚未记录"):
        services.spot_check_answer(item=item, text="答复", by=clerk_a)
    services.spot_check_record_finding(item=item, finding=Finding.PROBLEM, text="缺件",
                                       by=bureau)
    for outsider in (clerk_b, verifier_a, assistant_a, bureau):
        with pytest.raises(CaseActionError, match="只有被抽查镇街"):
            services.spot_check_answer(item=item, text="答复", by=outsider)
    services.spot_check_answer(item=item, text="已补齐。", by=clerk_a)
    assert SpotCheckItem.objects.get(pk=item.pk).answered_by == clerk_a


@pytest.mark.clause("S1")
def test_a_district_account_with_a_clerk_role_answers_only_for_its_assigned_township(
        bureau, township_a, township_b, decided_a):
    """Guards `oversight.access.can_answer` asking `scoping.works_in_township`: the district
    role shows the user township A's check, it does not let them answer it."""
    from cases.permissions import Role
    from tests.factories import make_user

    check = _draw(bureau, township_a, size=1)
    item = check.items.get()
    services.spot_check_record_finding(item=item, finding=Finding.PROBLEM, text="缺件",
                                       by=bureau)
    bureau_clerk = make_user("bureau_clerk", [Role.BUREAU, Role.CLERK], townships=[township_b])
    with pytest.raises(CaseActionError, match="只有被抽查镇街"):
        services.spot_check_answer(item=item, text="答复", by=bureau_clerk)
    assert SpotCheckItem.objects.get(pk=item.pk).answered_by is None


# --- Pages -----------------------------------------------------------------------------------


@pytest.mark.clause("S1")
def test_township_users_see_only_their_townships_spot_checks(
        client, bureau, township_a, township_b, decided_a, mark_decided, village_b, clerk_b,
        verifier_b, leader_b, clerk_a):
    mark_decided("approved", village=village_b, staff=(clerk_b, verifier_b, leader_b))
    check_a = _draw(bureau, township_a, size=1)
    check_b = _draw(bureau, township_b, size=1)
    item_a = check_a.items.get()
    client.force_login(clerk_b)
    listing = client.get(reverse("spot_check_list")).content.decode()
    assert reverse("spot_check_detail", args=[check_b.pk]) in listing
    assert reverse("spot_check_detail", args=[check_a.pk]) not in listing
    assert client.get(reverse("spot_check_detail", args=[check_a.pk])).status_code == 404
    assert client.post(reverse("spot_check_answer", args=[item_a.pk]),
                       {"text": "x"}).status_code == 404
    client.force_login(clerk_a)
    assert client.get(reverse("spot_check_detail", args=[check_a.pk])).status_code == 200
    assert client.get(reverse("spot_check_detail", args=[check_b.pk])).status_code == 404


def test_township_users_cannot_draw_or_review(client, clerk_a, leader_a, bureau, township_a,
                                              decided_a):
    check = _draw(bureau, township_a, size=1)
    item = check.items.get()
    client.force_login(leader_a)
    assert client.get(reverse("spot_check_new")).status_code == 403
    response = client.post(reverse("spot_check_finding", args=[item.pk]),
                           {"finding": "normal"})
    assert response.status_code == 403
    assert client.post(reverse("spot_check_close", args=[check.pk]),
                       {"conclusion": "x"}).status_code == 403
    assert SpotCheck.objects.get().status == "open"


def test_the_bureau_opens_case_pages_of_any_township(client, bureau, decide, village_b,
                                                     clerk_b, verifier_b, leader_b):
    """Sampled cases link to the case page; the bureau sees the whole district."""
    case_b = decide("approved", village=village_b, staff=(clerk_b, verifier_b, leader_b))[0]
    case_a = decide("rejected")[0]
    client.force_login(bureau)
    for case in (case_a, case_b):
        response = client.get(reverse("case_detail", args=[case.pk]))
        assert response.status_code == 200
        assert case.number in response.content.decode()


@pytest.mark.clause("S1")
def test_a_whole_spot_check_through_the_pages(client, bureau, leader_a, township_a,
                                              decided_a):
    client.force_login(bureau)
    start, end = _range()
    response = client.post(reverse("spot_check_new"), {
        "township": township_a.pk, "decided_from": start.isoformat(),
        "decided_to": end.isoformat(), "size": "2", "seed": "424242"})
    check = SpotCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == check.get_absolute_url()
    page = client.get(check.get_absolute_url()).content.decode()
    assert "424242" in page
    first, second = check.items.order_by("position")
    assert reverse("case_detail", args=[first.case_id]) in page
    client.post(reverse("spot_check_finding", args=[first.pk]), {"finding": "normal"})
    client.post(reverse("spot_check_finding", args=[second.pk]),
                {"finding": "problem", "text": "公示照片缺失。"})
    client.force_login(leader_a)
    page = client.get(check.get_absolute_url()).content.decode()
    assert "公示照片缺失。" in page
    client.post(reverse("spot_check_answer", args=[second.pk]), {"text": "已补拍存档。"})
    client.force_login(bureau)
    reproduced = client.get(check.get_absolute_url() + "?reproduce=1").content.decode()
    assert "样本一致" in reproduced
    client.post(reverse("spot_check_close", args=[check.pk]), {"conclusion": "已整改。"})
    check.refresh_from_db()
    assert check.status == "closed"
    assert SpotCheckItem.objects.get(pk=second.pk).answer == "已补拍存档。"


def test_a_refused_draw_shows_the_chinese_reason_and_saves_nothing(client, bureau,
                                                                   township_b):
    client.force_login(bureau)
    start, end = _range()
    response = client.post(reverse("spot_check_new"), {
        "township": township_b.pk, "decided_from": start.isoformat(),
        "decided_to": end.isoformat(), "size": "2"})
    assert response.status_code == 200
    assert "没有批准或不予批准的案件" in response.content.decode()
    assert not SpotCheck.objects.exists()


def test_the_list_counts_samples_and_problems_in_a_fixed_number_of_queries(
        client, bureau, township_a, decided_a):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(bureau)
    check = _draw(bureau, township_a, size=2)
    services.spot_check_record_finding(item=check.items.first(), finding=Finding.PROBLEM,
                                       text="缺少签字。", by=bureau)
    cache.clear()  # both requests cold: the header's unread count is cached per user
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("spot_check_list"))
    for _ in range(3):
        _draw(bureau, township_a, size=3)
    cache.clear()
    with CaptureQueriesContext(connection) as four:
        page = client.get(reverse("spot_check_list"))
    assert len(four) == len(one)
    html = page.content.decode()
    assert "<td>2件</td>\n      <td>1件</td>" in html
    assert html.count("<td>3件</td>\n      <td>0件</td>") == 3


@pytest.mark.parametrize(("fixture", "shown"), [
    ("leader_a", True), ("clerk_a", True), ("assistant_a", False), ("verifier_a", False)])
def test_the_township_finds_its_spot_checks_in_the_navigation(request, client, fixture, shown):
    client.force_login(request.getfixturevalue(fixture))
    page = client.get(reverse("case_list")).content.decode()
    assert (f'href="{reverse("spot_check_list")}">抽查整改</a>' in page) is shown
