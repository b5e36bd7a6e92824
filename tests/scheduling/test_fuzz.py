"""A bounded schemathesis run over the scheduler endpoints of the OpenAPI schema: whatever the
input, no 500 (and the responses match the documented shapes where the schema says so)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings

from tenants.services import create_api_key

from .factories import make_certification, make_skill_group

SCHEDULER_PATHS = (
    "/api/v1/skill-groups/",
    "/api/v1/agents/",
    "/api/v1/events/",
    "/api/v1/assignments/",
)


@pytest.fixture
def api_schema(db):
    raw = SchemaGenerator().get_schema(request=None, public=True)
    raw["paths"] = {p: v for p, v in raw["paths"].items() if p.startswith(SCHEDULER_PATHS)}
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()
    # Like Django's test client: keep the test's connection (and its transaction) across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def key(world, settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["*"]  # schemathesis's WSGI client uses its own host name
    group = make_skill_group(world.tenant, "telecom")
    make_certification(world.agent, group)
    return create_api_key(tenant=world.tenant, name="fuzz", created_by=None).raw_key


def test_scheduler_api_never_answers_500(api_schema, key):
    auth = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 7
    seen: set[int] = set()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            response = case.call(headers=auth)
            seen.add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:500])

        run()
    # The run reached the views (not only the authentication layer).
    assert any(200 <= code < 300 for code in seen), seen
    assert any(400 <= code < 500 for code in seen), seen
