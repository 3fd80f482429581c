"""Home visits (入户调查, S4): what was seen, field by field, with photos."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from PIL import Image

from cases import services
from cases.errors import CaseActionError
from cases.models import HomeVisit, HomeVisitPhoto
from tests.verification.conftest import jpeg

pytestmark = [pytest.mark.django_db, pytest.mark.clause("S4")]


def _login(client, user):
    client.force_login(user)
    return client


def test_a_visit_keeps_every_observation_and_its_photos(case_a, assistant_a, today):
    members = [m.person for m in case_a.household.current_members()]
    visit = services.home_visit_record(
        case=case_a, by=assistant_a, visited_on=today, investigators=["王强", "李娜"],
        members_present=[members[0].pk], housing_type="self_built",
        housing_area="62.5", housing_condition="砖混平房，简易装修",
        durable_goods="电视机1台、冰箱1台", vehicles="无",
        member_conditions=[{"person": members[0].pk, "health": "chronic",
                            "labour": "partial"}],
        income_sources="务农，零星打工", recommendation="eligible",
        conclusion="家庭收入低于当地低保标准。",
        photos=[jpeg(4000, 3000, "门口.jpg"), jpeg(640, 480, "室内.jpg")])
    visit.refresh_from_db()
    assert visit.members_present == [members[0].pk]
    assert visit.get_housing_type_display() == "自建房"
    assert visit.member_conditions[0]["name"] == members[0].name
    assert visit.findings.startswith(f"在场：{members[0].name}；住房：自建房")
    photos = list(visit.photos.all())
    assert len(photos) == 2
    big = photos[0]
    assert max(big.width, big.height) == 1600  # re-encoded, not the 4000 px original
    with Image.open(big.image.path) as image:
        assert image.format == "JPEG" and image.size == (1600, 1200)
    assert len(big.sha256) == 64
    event = case_a.events.filter(action="home_visit_recorded").order_by("-seq").first()
    assert event.payload["photos"] == [p.sha256 for p in photos]


def test_a_visit_needs_two_investigators(case_a, clerk_a, today):
    with pytest.raises(CaseActionError, match="至少两名调查人员"):
        services.home_visit_record(case=case_a, by=clerk_a, visited_on=today,
                                   investigators=["王强", "王强"], findings="见闻")


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(case_a, clerk_a, today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = HomeVisit.objects.count()
    with pytest.raises(CaseActionError, match="第2张照片无法识别，只能上传JPG、PNG或WebP文件"):
        services.home_visit_record(
            case=case_a, by=clerk_a, visited_on=today, investigators=["甲", "乙"],
            findings="见闻", photos=[jpeg(), SimpleUploadedFile("x.jpg", b"not an image")])
    assert HomeVisit.objects.count() == before
    assert not HomeVisitPhoto.objects.exists()


def test_the_assistant_records_a_visit_on_the_phone_page(case_a, assistant_a, client, today):
    client = _login(client, assistant_a)
    url = reverse("home_visit_new", args=[case_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'capture="environment"' in html and 'accept="image/*"' in html and "multiple" in html
    members = [m.person for m in case_a.household.current_members()]
    data = {"visited_on": today.isoformat(), "investigator_1": "王强", "investigator_2": "李娜",
            "members_present": [members[0].pk], "housing_type": "rented",
            "housing_area": "40", "vehicles": "无", "income_sources": "低保金以外无收入",
            "recommendation": "eligible", "conclusion": "符合条件。", "photos": [jpeg()]}
    for p in members:
        data[f"health_{p.pk}"] = "healthy"
        data[f"labour_{p.pk}"] = "none"
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('assistant_home')}?saved={case_a.pk}"
    visit = HomeVisit.objects.filter(case=case_a).order_by("-id").first()
    assert visit.recorded_by == assistant_a and visit.photos.count() == 1
    photo = visit.photos.get()
    shown = client.get(reverse("home_visit_photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"


def test_the_form_says_what_is_missing(case_a, assistant_a, client):
    client = _login(client, assistant_a)
    response = client.post(reverse("home_visit_new", args=[case_a.pk]),
                           {"investigator_1": "王强"})
    assert response.status_code == 400
    assert "入户调查须由至少两名不同的调查人员进行" in response.content.decode()


def test_an_assistant_of_another_village_cannot_record(case_a, village_a2, client):
    from cases.permissions import Role
    from tests.factories import make_user

    other = make_user("assistant_x", Role.ASSISTANT, villages=[village_a2])
    response = _login(client, other).get(reverse("home_visit_new", args=[case_a.pk]))
    assert response.status_code == 404  # the case is not even visible to them


def test_photos_are_shown_only_to_users_who_see_the_case(case_a, clerk_a, clerk_b, client,
                                                         today):
    visit = services.home_visit_record(case=case_a, by=clerk_a, visited_on=today,
                                       investigators=["甲", "乙"], findings="见闻",
                                       photos=[jpeg()])
    photo = visit.photos.get()
    assert _login(client, clerk_b).get(
        reverse("home_visit_photo", args=[photo.pk])).status_code == 404


def test_a_visit_date_in_the_future_is_refused(case_a, clerk_a, today):
    with pytest.raises(CaseActionError, match="不能晚于今天"):
        services.home_visit_record(case=case_a, by=clerk_a,
                                   visited_on=today + dt.timedelta(days=1),
                                   investigators=["甲", "乙"], findings="见闻")
