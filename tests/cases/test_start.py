"""After signing in, each user lands on the workspace made for their role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.permissions import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("fixture", "target"), [
    ("clerk_a", "clerk_home"),
    ("leader_a", "leader_queue"),
    ("verifier_a", "verification_home"),
    ("assistant_a", "assistant_home"),
    ("bureau", "bureau_dashboard"),
    ("sysadmin", "home"),
])
def test_each_role_lands_on_its_workspace(request, client, fixture, target):
    client.force_login(request.getfixturevalue(fixture))
    response = client.get(reverse("start"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)
    assert client.get(response["Location"]).status_code == 200


def test_an_officer_without_an_agreement_lands_on_the_household_list(client, township_a):
    officer = make_user("officer_nda", Role.VERIFIER, townships=[township_a], agreement=False)
    client.force_login(officer)
    assert client.get(reverse("start"))["Location"] == reverse("home")


def test_signing_in_goes_through_the_landing(client, clerk_a):
    response = client.post(reverse("login"), {"username": "clerk_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("start")


def test_the_landing_needs_a_login(client):
    response = client.get(reverse("start"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
