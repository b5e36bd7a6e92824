"""What Django itself refuses under /api/ (an unknown path, a body it cannot parse) answers in
the API's JSON error format (issue 16), not with Django's HTML page."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/nope", "/api/", "/api/v1/nope", "/api/v2/skill-groups/"]
)
def test_unknown_api_paths_answer_the_json_404(db, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"]


def test_unknown_api_path_is_json_for_an_api_key_and_any_method(world, api_client_for):
    response = api_client_for(world.tenant).post("/api/v1/nope/", {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_pages_outside_the_api_keep_the_html_404(db):
    response = Client().get("/nope/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_multipart_body_without_a_boundary_answers_the_json_400(world, api_client_for):
    # Django refuses it while the NUL guard reads the form, before DRF and its error handler.
    response = api_client_for(world.tenant).generic(
        "POST", "/api/v1/assignments/", b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "malformed_body"
    assert response.json()["error"]["message"]


def test_a_disallowed_host_under_the_api_answers_the_json_400(db):
    response = Client().get("/api/v1/whoami/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_bad_requests_outside_the_api_keep_the_html_400(world, client_for):
    response = client_for(world.lead).generic(
        "POST", "/scheduling/roster/", b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
