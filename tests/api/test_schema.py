"""The OpenAPI schema is served by the app (to logged-in users); no page loads a CDN."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db


def test_the_schema_needs_a_login(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_api_calls_are_sent_to_login_like_every_staff_url(client):
    for method in (client.get, client.post):
        response = method("/api/cases/")
        assert response.status_code == 302
        assert "next=" in response["Location"]


def test_the_schema_lists_every_resource(api, clerk_a):
    api.login(clerk_a)
    response = api.get(reverse("api:openapi-json"))
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "兰山区社会救助经办系统 API"
    paths = schema["paths"]
    for path in ("/api/households/", "/api/households/{household_id}/", "/api/cases/",
                 "/api/cases/{case_id}/", "/api/cases/{case_id}/actions/",
                 "/api/cases/{case_id}/transitions/sign_off/", "/api/deadlines/",
                 "/api/documents/", "/api/documents/{document_id}/",
                 "/api/documents/{document_id}/pdf/"):
        assert path in paths, path
    assert set(paths["/api/cases/{case_id}/transitions/sign_off/"]["post"]["responses"]) >= {
        "200", "400", "403", "404"}
    pdf = paths["/api/documents/{document_id}/pdf/"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
    assert schema["components"]["securitySchemes"]["SessionAuth"]["in"] == "cookie"


def test_there_is_no_interactive_docs_page_that_would_load_a_cdn():
    with pytest.raises(NoReverseMatch):
        reverse("api:openapi-view")
