"""core.prepared: hot reads planned once per connection, answered like the ORM's cursor."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.prepared import prepared_cursor

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


@pytest.mark.django_db
def test_postgresql_plans_the_statement_once_per_connection(world):
    # binary results: psycopg's own loader, still the aware time Django's text loader gives
    assert rows(prepared_cursor, world.tenant.pk)[0][2] == world.tenant.created_at
    rows(prepared_cursor, world.other_tenant.pk)
    assert len([s for s in prepared_statements() if "prepared-test" in s]) == 1
    rows(connection.cursor, world.tenant.pk)  # the ordinary cursor: not on a first use
    assert len([s for s in prepared_statements() if "prepared-test" in s]) == 1


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
