"""Personal files are looked up like every other personal record: each look-up is written to
the access log, and nothing is kept by the browser or a proxy (Cache-Control: no-store)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import AccessLog

pytestmark = pytest.mark.django_db


def _get(client, user, name, pk):
    client.force_login(user)
    return client.get(reverse(name, args=[pk]))


def test_a_home_visit_photo_look_up_is_logged_and_not_cached(client, world):
    photo = world.objects["photo"]
    clerk = world.users["clerk"]
    response = _get(client, clerk, "home_visit_photo", photo.pk)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert "max-age" not in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    logged = AccessLog.objects.filter(user=clerk, action=AccessLog.Action.VIEW,
                                      object_type="home_visit_photo", object_id=str(photo.pk))
    assert logged.count() == 1
    _get(client, clerk, "home_visit_photo", photo.pk)
    assert logged.count() == 2  # every look-up, not only the first


def test_a_refused_photo_look_up_shows_nothing_and_logs_nothing(client, world):
    photo = world.objects["photo"]
    other = world.users["clerk:other"]
    assert _get(client, other, "home_visit_photo", photo.pk).status_code == 404
    assert not AccessLog.objects.filter(object_type="home_visit_photo", user=other).exists()


def test_the_photo_is_sent_like_the_other_personal_files(client, world):
    clerk = world.users["clerk"]
    photo = _get(client, clerk, "home_visit_photo", world.objects["photo"].pk)
    attachment = _get(client, clerk, "attachment_download", world.objects["attachment"].pk)
    assert photo["Cache-Control"] == attachment["Cache-Control"]
    assert AccessLog.objects.filter(object_type="attachment", user=clerk).exists()
