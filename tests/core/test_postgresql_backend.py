"""core.db: under server-side binding Django sizes its batches (bulk_update,
in_bulk, the deletion collector's) below PostgreSQL's 65,535 bind parameters; with client-side
binding it sends one statement, as Django's backend does."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from core.db.base import MAX_BIND_PARAMETERS
from tenants.models import Team

ROOT = Path(__file__).resolve().parents[2]


def server_side_binding() -> bool:
    return connection.features.uses_server_side_binding


@pytest.mark.django_db
def test_the_settings_use_this_backend():
    assert connection.vendor == "postgresql"
    assert connection.settings_dict["ENGINE"] == "core.db"


@pytest.mark.django_db
def test_batch_size_keeps_every_statement_within_the_limit():
    fields, objs = ["tenant", "name", "created_at"], range(100_000)
    size = connection.ops.bulk_batch_size(fields, objs)
    if server_side_binding():
        assert 20_000 < size * len(fields) <= MAX_BIND_PARAMETERS
    else:
        assert size == len(objs)


@pytest.mark.django_db
def test_in_bulk_past_the_limit_works(world):
    ids = [*range(10**9, 10**9 + 70_000), world.team.pk]
    assert Team.objects.in_bulk(ids) == {world.team.pk: world.team}


@pytest.mark.parametrize(
    ("environment", "option", "expected"),
    [
        ({}, "server_side_binding", True),
        ({"DATABASE_SERVER_SIDE_BINDING": "true"}, "server_side_binding", True),
        ({"DATABASE_SERVER_SIDE_BINDING": "false"}, "server_side_binding", False),
        ({}, "prepare_threshold", 5),
        ({"DATABASE_PREPARED_STATEMENTS": "true"}, "prepare_threshold", 5),
        ({"DATABASE_PREPARED_STATEMENTS": "false"}, "prepare_threshold", None),
    ],
)
def test_database_options_follow_the_environment(environment, option, expected):
    script = (
        "from skillgate import settings; "
        f"print(settings.DATABASES['default']['OPTIONS'][{option!r}])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "true",
        "DATABASE_URL": "postgres://someone@db.invalid:5432/skillgate",
        **environment,
    }
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(expected)
