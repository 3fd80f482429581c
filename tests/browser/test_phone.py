"""The village assistant's phone at 360 px, online and offline, in Chromium.

* Layout: the header takes at most 15% of a 360 × 780 screen and no page the assistant uses
  scrolls sideways (document scrollWidth ≤ viewport width); list tables keep their labels.
* The home-visit form names the signed-in assistant as the first investigator, and saving a
  visit goes back to 我的村居.
* Offline (`context.set_offline(True)`): the service worker opens the home-visit form without
  a network; a visit with a photo waits on the phone ("待上传 1 条") and arrives once when the
  network is back; a second visit queued for the same case is refused by the server and kept
  on the phone with the reason and a 删除 button.

The live server is addressed as http://localhost:<port>, a secure context, so Chromium allows
the service worker without HTTPS.
"""

from __future__ import annotations

import pytest

from cases.demo_cases import build_case
from cases.models import HomeVisit, StaffPost
from tests.browser.conftest import photo_file
from tests.browser.forms import submits
from tests.factories import HouseholdFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE_360 = {"width": 360, "height": 780}


def _expect():
    from playwright.sync_api import expect

    return expect


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_360["width"], f"{page.url} is {width} px wide"


def _header_share(page) -> float:
    return page.evaluate("document.querySelector('header.topbar').getBoundingClientRect()"
                         ".height") / PHONE_360["height"]


def _waiting_for_a_visit(village, clerk, verifier, leader):
    """A case in 核对与入户调查 with no home visit yet (the demo path records one: drop it),
    so it is on 我的村居's list of houses to visit."""
    case = build_case("investigating", household=HouseholdFactory(village=village),
                      clerk=clerk, verifier=verifier, leader=leader, days_ago=1)
    HomeVisit.objects.filter(case=case).delete()
    return case


def _fill_visit(page, *, conclusion: str) -> None:
    page.fill("#id_investigator_2", "李娜")
    page.select_option("#id_housing_type", "self_built")
    page.fill("#id_vehicles", "无")
    page.check("input[name=recommendation][value=eligible]")
    page.fill("#id_conclusion", conclusion)


@pytest.mark.clause("S4")
def test_the_assistant_pages_fit_a_360_px_phone_with_a_compact_header(
        journey, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    expect = _expect()
    visiting = build_case("investigating", household=HouseholdFactory(village=village_a),
                          clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=1)
    posted = build_case("in_publicity", household=HouseholdFactory(village=village_a),
                        clerk=clerk_a, verifier=verifier_a, leader=leader_a, days_ago=1)
    batch = posted.publicity_entry.batch
    phone = journey.page_as(assistant_a, viewport=PHONE_360, mobile=True)
    pages = ["/assistant/", f"/cases/{visiting.pk}/home-visit/", "/", "/cases/",
             "/publicity/", f"/publicity/batches/{batch.pk}/",
             f"/publicity/cases/{posted.pk}/objection/", "/relatives/", "/inbox/",
             "/deadlines/", f"/cases/{posted.pk}/"]
    for path in pages:
        response = phone.goto(journey.url(path))
        assert response.status == 200, path
        share = _header_share(phone)
        assert share <= 0.15, f"{path}: header {share:.0%} of the screen"
        _no_sideways_scroll(phone)
        journey.shot(phone, path.strip("/").replace("/", "-") or "households")

    # The household list keeps its column labels on each card.
    phone.goto(journey.url("/"))
    cell = phone.locator("table.list tbody tr").first.locator("td").nth(1)
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert "身份证号码" in label

    # The relatives declaration starts from the assistant's own post and village.
    phone.goto(journey.url("/relatives/"))
    expect(phone.locator("#id_post")).to_have_value(StaffPost.ASSISTANT)
    expect(phone.locator("#id_village")).to_have_value(str(village_a.pk))
    expect(phone.locator("#id_township")).to_have_value(str(village_a.township_id))


@pytest.mark.clause("S4")
@submits("home_visit_new")
def test_the_assistant_is_the_first_investigator_and_goes_back_to_my_villages_after_saving(
        journey, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    expect = _expect()
    case = _waiting_for_a_visit(village_a, clerk_a, verifier_a, leader_a)
    assistant_a.last_name, assistant_a.first_name = "赵", "敏"
    assistant_a.save(update_fields=["last_name", "first_name"])
    name = "赵敏"
    phone = journey.page_as(assistant_a, viewport=PHONE_360, mobile=True)
    phone.goto(journey.url("/assistant/"))
    phone.locator(f"#visits a[href='/cases/{case.pk}/home-visit/']").click()
    expect(phone.locator("#id_investigator_1")).to_have_value(name)
    _fill_visit(phone, conclusion="家庭人均收入低于当地低保标准。")
    phone.locator("button[type=submit]").click()
    phone.wait_for_url(journey.url(f"/assistant/?saved={case.pk}"))
    expect(phone.locator("h1")).to_have_text("我的村居")
    expect(phone.locator(".messages")).to_contain_text("入户调查已保存")
    expect(phone.locator(f"#visits a[href='/cases/{case.pk}/home-visit/']")).to_have_count(0)
    _no_sideways_scroll(phone)
    visit = HomeVisit.objects.get(case=case)
    assert visit.investigators == [name, "李娜"]
    assert visit.client_id is None


@pytest.mark.clause("S4")
@submits("home_visit_new")
def test_visits_saved_offline_wait_on_the_phone_and_arrive_once_when_the_network_returns(
        journey, village_a, clerk_a, verifier_a, leader_a, assistant_a, tmp_path):
    expect = _expect()
    case = _waiting_for_a_visit(village_a, clerk_a, verifier_a, leader_a)
    photo = photo_file(tmp_path / "门口.jpg", size=(2400, 1800))
    form_url = journey.url(f"/cases/{case.pk}/home-visit/")
    phone = journey.page_as(assistant_a, viewport=PHONE_360, mobile=True)
    context = phone.context

    # Online, 我的村居 once: the service worker takes over and keeps the visit forms.
    phone.goto(journey.url("/assistant/"))
    expect(phone.locator("html")).to_have_attribute("data-offline-ready", "1")

    # Offline: the form opens from the service worker's copy; the visit and its photo stay.
    context.set_offline(True)
    phone.goto(form_url)
    expect(phone.locator("h1")).to_have_text("入户调查")
    _no_sideways_scroll(phone)
    _fill_visit(phone, conclusion="第一条：无网络时填写。")
    phone.set_input_files("#id_photos", str(photo))
    expect(phone.locator("#photo-status")).to_contain_text("已选1张照片", timeout=15000)
    phone.locator("button[type=submit]").click()
    expect(phone.locator("#offline-note")).to_contain_text("已保存在本机")
    expect(phone.locator("#outbox-count")).to_have_text("待上传 1 条")
    journey.shot(phone, "offline-one-waiting")

    # A second visit for the same case, also offline, after reloading the page.
    phone.reload()
    expect(phone.locator("#outbox-count")).to_have_text("待上传 1 条")
    _fill_visit(phone, conclusion="第二条：同一户又录了一次。")
    phone.locator("button[type=submit]").click()
    expect(phone.locator("#outbox-count")).to_have_text("待上传 2 条")
    assert HomeVisit.objects.filter(case=case).count() == 0

    # Back online: the first arrives, the second is refused and kept with the reason.
    context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#outbox-count")).to_have_text("待上传 0 条", timeout=20000)
    refused = phone.locator("#outbox-list li.refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("已录入入户调查")
    expect(phone.locator("#outbox-refused")).to_have_text("未能上传 1 条")
    expect(phone.locator("#outbox-send")).to_be_hidden()  # nothing left to send
    journey.shot(phone, "online-one-refused")

    visit = HomeVisit.objects.get(case=case)
    assert visit.conclusion == "第一条：无网络时填写。"
    assert visit.client_id is not None
    photo_row = visit.photos.get()
    assert max(photo_row.width, photo_row.height) == 1600

    # The refused one stays after a reload, until the assistant deletes it.
    phone.goto(journey.url("/assistant/"))
    expect(phone.locator("#outbox-list li.refused")).to_have_count(1)
    phone.locator("#outbox-list li.refused").get_by_role("button", name="删除").click()
    expect(phone.locator("#outbox")).to_be_hidden()
    assert HomeVisit.objects.filter(case=case).count() == 1
    assert visit.photos.count() == 1


@pytest.mark.clause("S4")
@submits("home_visit_new")
def test_a_visit_whose_answer_was_lost_is_sent_again_and_recorded_once(
        journey, village_a, clerk_a, verifier_a, leader_a, assistant_a):
    expect = _expect()
    case = _waiting_for_a_visit(village_a, clerk_a, verifier_a, leader_a)
    phone = journey.page_as(assistant_a, viewport=PHONE_360, mobile=True)
    phone.goto(journey.url("/assistant/"))
    expect(phone.locator("html")).to_have_attribute("data-offline-ready", "1")
    phone.context.set_offline(True)
    phone.goto(journey.url(f"/cases/{case.pk}/home-visit/"))
    _fill_visit(phone, conclusion="答复丢失的一条。")
    phone.locator("button[type=submit]").click()
    expect(phone.locator("#outbox-count")).to_have_text("待上传 1 条")

    # The first send reaches the server, but its answer never reaches the phone.
    lost = []

    def lose_the_answer(route):
        if route.request.method == "POST" and not lost:
            route.fetch()
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.fallback()

    phone.route(f"**/cases/{case.pk}/home-visit/", lose_the_answer)
    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#outbox-list li.waiting")).to_contain_text("网络不通")
    assert lost and HomeVisit.objects.filter(case=case).count() == 1

    # Sent again with the same id: "already received", and the phone lets it go.
    phone.get_by_role("button", name="立即上传").click()
    expect(phone.locator("#outbox")).to_be_hidden()
    assert HomeVisit.objects.filter(case=case).count() == 1
    assert HomeVisit.objects.get(case=case).conclusion == "答复丢失的一条。"

    # The login page (where signing out lands) drops the pages kept for offline use.
    kept = "caches.keys().then(k => k.filter(n => n.startsWith('lanshan-phone-pages-')))"
    assert phone.evaluate(kept)
    phone.goto(journey.url("/login/"))
    for _ in range(50):
        if not phone.evaluate(kept):
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate(kept) == []
