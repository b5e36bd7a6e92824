"""Every unknown path under /api/ answers the API's JSON 404 (issue 16), not Django's page."""

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
