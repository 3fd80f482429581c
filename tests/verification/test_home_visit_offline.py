"""Home visits kept on the phone while offline and sent later (S4): the server side.

The phone sends a kept visit to the home-visit page with the header X-Phone-Queue: 1 and the
id it gave the visit (`client_id`); it gets JSON back. A resend is recognised by its id, and a
visit that arrives after the case moved on, or after another visit of the case was recorded
since the form was opened (`seen_visit`), is refused with a message and changes nothing.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cases import services
from cases.errors import CaseActionError
from cases.models import HomeVisit, HomeVisitPhoto, StaffPost
from cases.workflow import CaseStatus
from tests.verification.conftest import jpeg

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S4")]

QUEUE = {"HTTP_X_PHONE_QUEUE": "1"}


def _newest(case) -> int:
    return case.home_visits.order_by("-pk").values_list("pk", flat=True).first() or 0


def _visit_data(case, today, **extra) -> dict:
    data = {"visited_on": today.isoformat(), "investigator_1": "王强", "investigator_2": "李娜",
            "housing_type": "self_built", "vehicles": "无", "recommendation": "eligible",
            "conclusion": "家庭人均收入低于当地低保标准。", "seen_visit": _newest(case)}
    for m in case.household.current_members():
        data[f"health_{m.person_id}"] = "healthy"
        data[f"labour_{m.person_id}"] = "none"
    data.update(extra)
    return data


def test_a_visit_sent_from_the_phone_is_saved_with_its_id_and_answered_in_json(
        case_a, assistant_a, client, today):
    client.force_login(assistant_a)
    client_id = uuid.uuid4()
    before = HomeVisit.objects.filter(case=case_a).count()
    response = client.post(reverse("home_visit_new", args=[case_a.pk]),
                           _visit_data(case_a, today, client_id=str(client_id),
                                       photos=[jpeg()]), **QUEUE)
    assert response.status_code == 201
    assert response.json()["status"] == "saved"
    visit = HomeVisit.objects.get(client_id=client_id)
    assert visit.case == case_a and visit.recorded_by == assistant_a
    assert visit.photos.count() == 1
    assert HomeVisit.objects.filter(case=case_a).count() == before + 1


def test_a_resend_with_the_same_id_is_already_received_and_records_nothing(
        case_a, assistant_a, client, today):
    client.force_login(assistant_a)
    url = reverse("home_visit_new", args=[case_a.pk])
    data = _visit_data(case_a, today, client_id=str(uuid.uuid4()))
    assert client.post(url, {**data, "photos": [jpeg()]}, **QUEUE).status_code == 201
    visits, photos = HomeVisit.objects.count(), HomeVisitPhoto.objects.count()
    again = client.post(url, {**data, "photos": [jpeg()]}, **QUEUE)
    assert again.status_code == 200
    assert again.json() == {"status": "already_received",
                            "message": "该条入户调查已上传，无需重复上传。"}
    assert (HomeVisit.objects.count(), HomeVisitPhoto.objects.count()) == (visits, photos)


def test_a_second_visit_queued_for_the_same_case_is_refused_with_the_first_ones_details(
        case_a, assistant_a, client, today):
    client.force_login(assistant_a)
    url = reverse("home_visit_new", args=[case_a.pk])
    seen = _newest(case_a)
    first = client.post(url, _visit_data(case_a, today, client_id=str(uuid.uuid4())),
                        **QUEUE)
    assert first.status_code == 201
    count = HomeVisit.objects.count()
    second = client.post(url, _visit_data(case_a, today, seen_visit=seen,
                                          client_id=str(uuid.uuid4()),
                                          conclusion="同一户又录了一次。"), **QUEUE)
    assert second.status_code == 409
    body = second.json()
    assert body["status"] == "refused"
    assert "该案件在本条填写后已录入入户调查" in body["message"]
    assert "王强、李娜" in body["message"]
    assert HomeVisit.objects.count() == count


def test_a_visit_is_accepted_when_the_newest_visit_is_the_one_the_form_saw(
        case_a, assistant_a, today):
    """Both edges of the `seen_visit` check: the newest visit itself passes, one less not."""
    services.home_visit_record(case=case_a, by=assistant_a, visited_on=today,
                               investigators=["甲", "乙"], findings="见闻")
    newest = _newest(case_a)
    with pytest.raises(CaseActionError) as refused:
        services.home_visit_record(case=case_a, by=assistant_a, visited_on=today,
                                   investigators=["甲", "乙"], findings="再次",
                                   seen_visit=newest - 1)
    assert refused.value.code == "visited_since"
    visit = services.home_visit_record(case=case_a, by=assistant_a, visited_on=today,
                                       investigators=["甲", "乙"], findings="再次",
                                       seen_visit=newest)
    assert visit.pk > newest


def test_a_visit_that_arrives_after_the_case_moved_on_is_refused(
        case_a, assistant_a, client, today):
    client.force_login(assistant_a)
    data = _visit_data(case_a, today, client_id=str(uuid.uuid4()))
    type(case_a).objects.filter(pk=case_a.pk).update(status=CaseStatus.IN_PUBLICITY)
    count = HomeVisit.objects.count()
    response = client.post(reverse("home_visit_new", args=[case_a.pk]), data, **QUEUE)
    assert response.status_code == 409
    assert response.json()["message"] == "案件当前状态为“审批公示中”，不能录入入户调查。"
    assert HomeVisit.objects.count() == count


def test_a_resend_after_the_case_moved_on_is_still_recognised(
        case_a, assistant_a, client, today):
    client.force_login(assistant_a)
    url = reverse("home_visit_new", args=[case_a.pk])
    data = _visit_data(case_a, today, client_id=str(uuid.uuid4()))
    assert client.post(url, data, **QUEUE).status_code == 201
    type(case_a).objects.filter(pk=case_a.pk).update(status=CaseStatus.IN_PUBLICITY)
    again = client.post(url, data, **QUEUE)
    assert again.status_code == 200 and again.json()["status"] == "already_received"


def test_a_queued_visit_with_errors_is_refused_in_json(case_a, assistant_a, client, today):
    client.force_login(assistant_a)
    count = HomeVisit.objects.count()
    response = client.post(reverse("home_visit_new", args=[case_a.pk]),
                           _visit_data(case_a, today, investigator_2="王强"), **QUEUE)
    assert response.status_code == 400
    assert response.json() == {"status": "refused",
                               "message": "入户调查须由至少两名不同的调查人员进行。"}
    assert HomeVisit.objects.count() == count


def test_a_queued_visit_from_a_user_who_may_not_record_is_refused(
        case_a, leader_a, client, today):
    client.force_login(leader_a)
    count = HomeVisit.objects.count()
    response = client.post(reverse("home_visit_new", args=[case_a.pk]),
                           _visit_data(case_a, today), **QUEUE)
    assert response.status_code == 403
    assert response.json()["status"] == "refused"
    assert HomeVisit.objects.count() == count


def test_one_client_id_is_stored_once(case_a, assistant_a, today):
    client_id = uuid.uuid4()
    services.home_visit_record(case=case_a, by=assistant_a, visited_on=today,
                               investigators=["甲", "乙"], findings="见闻", client_id=client_id)
    visit = HomeVisit.objects.get(client_id=client_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        HomeVisit.objects.create(case=case_a, visited_on=today, investigators=["甲", "乙"],
                                 findings="复制", recorded_by=assistant_a, client_id=client_id)
    assert HomeVisit.objects.filter(client_id=client_id).get() == visit


def test_the_form_names_the_assistant_first_and_remembers_the_newest_visit(
        case_a, assistant_a, client):
    assistant_a.last_name, assistant_a.first_name = "赵", "敏"
    assistant_a.save(update_fields=["last_name", "first_name"])
    client.force_login(assistant_a)
    html = client.get(reverse("home_visit_new", args=[case_a.pk])).content.decode()
    assert 'name="investigator_1" value="赵敏"' in html
    assert f'name="seen_visit" value="{_newest(case_a)}"' in html
    assert 'name="client_id"' in html
    assert reverse("assistant_home") in html


def test_a_visit_saved_on_the_page_leads_back_to_my_villages_and_drops_the_draft(
        case_a, assistant_a, clerk_a, client, today):
    client.force_login(assistant_a)
    response = client.post(reverse("home_visit_new", args=[case_a.pk]),
                           _visit_data(case_a, today))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('assistant_home')}?saved={case_a.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f'data-clear-draft="{case_a.pk}"' in page
    # A clerk recording a visit at the desk still sees the case's visits.
    client.force_login(clerk_a)
    response = client.post(reverse("home_visit_new", args=[case_a.pk]),
                           _visit_data(case_a, today))
    assert response["Location"] == reverse("home_visit_done", args=[case_a.pk])


def test_the_service_worker_is_served_from_the_site_root_to_signed_in_users(
        client, assistant_a):
    assert client.get("/sw.js").status_code == 302  # to the login page, like every page
    client.force_login(assistant_a)
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'var VERSION = "' in body and "https://" not in body


def test_the_relatives_form_starts_from_the_assistants_post_and_village(
        assistant_a, clerk_a, village_a, client):
    client.force_login(assistant_a)
    form = client.get(reverse("relatives")).context["form"]
    assert form["post"].value() == StaffPost.ASSISTANT
    assert form["village"].value() == village_a.pk
    assert form["township"].value() == village_a.township_id
    client.force_login(clerk_a)
    form = client.get(reverse("relatives")).context["form"]
    assert form["post"].value() in (None, "", StaffPost.TOWNSHIP_STAFF)
    assert form["village"].value() is None
