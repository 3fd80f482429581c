"""Fixtures of the API tests: cases built through the services, a JSON client."""

from __future__ import annotations

import json

import pytest

from cases.demo_cases import build_case
from tests.factories import HouseholdFactory


@pytest.fixture
def make_case(staff):
    """`make_case(state, village)`: a case of a new household, built as township A's staff."""

    def make(state, village, **kwargs):
        return build_case(state, household=HouseholdFactory(village=village, members=2),
                          **staff, **kwargs)

    return make


class Api:
    """The Django test client speaking JSON to /api/ (CSRF enforced, as in production)."""

    def __init__(self, client):
        self.client = client

    def login(self, user):
        self.client.force_login(user)
        self.client.get("/login/")  # sets the csrftoken cookie
        return self

    def get(self, path, **params):
        return self.client.get(path, params)

    def post(self, path, body=None, *, csrf=True):
        headers = {}
        if csrf and "csrftoken" in self.client.cookies:
            headers["X-CSRFToken"] = self.client.cookies["csrftoken"].value
        return self.client.post(path, json.dumps(body if body is not None else {}),
                                content_type="application/json", headers=headers)


@pytest.fixture
def api(db):
    from django.test import Client

    return Api(Client(enforce_csrf_checks=True))
