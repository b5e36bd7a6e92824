"""skillgate.prepared: hot reads planned once per connection, answered like the ORM's cursor."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from skillgate.prepared import prepared_cursor

ROOT = Path(__file__).resolve().parents[2]
SQL = "SELECT id, name, created_at /* prepared-test */ FROM tenants_tenant WHERE id = %s"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


def rows(cursor_factory, tenant_id):
    with cursor_factory() as cursor:
        cursor.execute(SQL, [tenant_id])
        return cursor.fetchall()


@pytest.mark.django_db
def test_answers_what_the_ordinary_cursor_answers_and_is_counted(world):
    with CaptureQueriesContext(connection) as ctx:
        answer = rows(prepared_cursor, world.tenant.pk)
    assert answer == rows(connection.cursor, world.tenant.pk)
    assert answer[0][1] == world.tenant.name
    [query] = ctx.captured_queries  # logged with its parameter, like any query
    assert "prepared-test" in query["sql"] and f"id = {world.tenant.pk}" in query["sql"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_plans_the_statement_once_per_connection(world):
    # binary results: psycopg's own loader, still the aware time Django's text loader gives
    assert rows(prepared_cursor, world.tenant.pk)[0][2] == world.tenant.created_at
    rows(prepared_cursor, world.other_tenant.pk)
    assert len([s for s in prepared_statements() if "prepared-test" in s]) == 1
    rows(connection.cursor, world.tenant.pk)  # ORM-style queries are never prepared
    assert len([s for s in prepared_statements() if "prepared-test" in s]) == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_switched_off_statements_run_unprepared_with_the_same_answer(world, monkeypatch):
    # DATABASE_PREPARED_STATEMENTS=false sets psycopg's prepare_threshold to None
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    assert rows(prepared_cursor, world.tenant.pk) == rows(connection.cursor, world.tenant.pk)
    assert not [s for s in prepared_statements() if "prepared-test" in s]


@pytest.mark.django_db
def test_database_errors_are_djangos(world):
    with pytest.raises(DatabaseError), transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM tenants_tenant")


@pytest.mark.parametrize(("value", "expected"), [("", 5), ("true", 5), ("false", None)])
def test_database_prepared_statements_setting(value, expected):
    script = (
        "from skillgate import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "true",
        "DATABASE_URL": "postgres://someone@db.invalid:5432/skillgate",
        "DATABASE_PREPARED_STATEMENTS": value,
    }
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(expected)
