"""API keys: shown once, stored hashed, revocable, and 401 bodies that say which problem."""

import pytest
from rest_framework.test import APIClient

from tenants.models import ApiKey
from tenants.services import create_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


def call(raw_key=None, header=None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif raw_key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client.get("/api/v1/whoami/")


def test_key_authenticates_as_its_tenant(world):
    issued = create_api_key(tenant=world.tenant, name="wfm", created_by=world.admin.user)
    response = call(issued.raw_key)
    assert response.status_code == 200
    assert response.json() == {"tenant": "acme", "principal": "wfm", "kind": "api_key"}


def test_only_a_hash_of_the_key_is_stored(world):
    issued = create_api_key(tenant=world.tenant, name="wfm", created_by=None)
    secret = issued.raw_key.rsplit("_", 1)[1]
    stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert secret not in stored.key_hash
    assert len(stored.key_hash) == 64


def test_last_used_time_is_recorded(world):
    issued = create_api_key(tenant=world.tenant, name="wfm", created_by=None)
    assert issued.api_key.last_used_at is None
    call(issued.raw_key)
    issued.api_key.refresh_from_db()
    assert issued.api_key.last_used_at is not None


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "missing_api_key"),
        ("Token abc", "malformed_api_key"),
        ("Bearer not-a-key", "malformed_api_key"),
        ("Bearer sg_000000000000_nope", "unknown_api_key"),
    ],
)
def test_bad_keys_get_401_saying_which_problem(db, header, code):
    response = call(header=header) if header else call()
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


def test_revoked_key_is_refused(world):
    issued = create_api_key(tenant=world.tenant, name="wfm", created_by=None)
    revoke_api_key(api_key=issued.api_key)
    response = call(issued.raw_key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_api_key"


def test_wrong_secret_with_a_real_prefix_is_unknown(world):
    issued = create_api_key(tenant=world.tenant, name="wfm", created_by=None)
    forged = issued.raw_key[:-4] + "AAAA"
    assert call(forged).json()["error"]["code"] == "unknown_api_key"


def test_admin_shows_the_new_key_once_and_revokes_it(world, client_for):
    client = client_for(world.admin)
    response = client.post("/admin/tenants/apikey/add/", {"name": "scheduler"}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    raw_key = next(m.split(": ")[-1] for m in shown if "sg_" in m)
    assert call(raw_key).status_code == 200
    api_key = ApiKey.objects.get(name="scheduler")
    assert api_key.tenant_id == world.tenant.pk
    client.post(
        "/admin/tenants/apikey/",
        {"action": "revoke", "_selected_action": [api_key.pk]},
    )
    assert call(raw_key).json()["error"]["code"] == "revoked_api_key"


def test_session_user_can_call_the_api_in_their_tenant(world, client_for):
    response = client_for(world.agent).get("/api/v1/whoami/")
    assert response.json()["tenant"] == "acme"
    assert response.json()["kind"] == "user"
