"""With the database unreachable, clients get 503 + Retry-After, not a bare 500."""

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_down():
    """Point the real connection at a database that cannot be reached, then restore it."""
    # A port nobody listens on; over a Unix socket (the embedded server) the socket file that
    # port names does not exist either.
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)
    connection.ensure_connection()


def test_api_answers_503_with_retry_after_while_the_database_is_down(database_down):
    response = Client(raise_request_exception=False).get(
        "/api/v1/whoami/", HTTP_AUTHORIZATION="Bearer sg_000000000000_x"
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_pages_answer_503_while_the_database_is_down(world, request):
    client = Client(raise_request_exception=False)
    client.force_login(world.agent.user)
    request.getfixturevalue("database_down")
    response = client.get("/")  # the session and the membership need the database
    assert response.status_code == 503
    assert "try again" in response.content.decode()


def test_other_errors_stay_500(db):
    from skillgate.views import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(Client().get("/healthz/").wsgi_request)
    assert response.status_code == 500
