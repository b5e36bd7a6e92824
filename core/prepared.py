"""Prepared statements for the few hot reads that are worth one from their first use.

With server-side binding (``DATABASE_SERVER_SIDE_BINDING``, the default) psycopg prepares any
ORM query from its 5th use on a connection. The eligibility check runs before every shift
placement and its one query spends more time being planned by PostgreSQL (~0.17 ms) than
executed (~0.06 ms), so a cursor from ``prepared_cursor()`` prepares it on its FIRST use, and
keeps doing so when server-side binding is switched off for the ORM. It also asks for binary
results, which psycopg decodes in C, where Django's text timestamptz loader is Python.
Measured on the benchmark data: 0.51 ms -> 0.19 ms per check of ten agents.

Preparing saves the planning only when PostgreSQL settles on the statement's generic plan (from
the 6th execution, if it is not costed above the custom plans so far): a statement whose custom
plans look cheaper is planned on every execution all the same (``pg_prepared_statements``
counts both). ``scheduling.selectors.agents_eligibility`` shapes its query for that.

``DATABASE_PREPARED_STATEMENTS=false`` (settings: ``prepare_threshold`` None, Django's own
default) sends the statements unprepared, still server-bound: for PgBouncer in transaction mode
before 1.21.

The cursor is wrapped like any Django cursor, so ``assertNumQueries``, debug query logging and
the mapping of database errors (the 503 of a lost database) see its queries.
"""

from __future__ import annotations

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _PreparedCursor(psycopg.Cursor):
    # Django's CursorWrapper calls execute(sql, params) without psycopg's keywords.
    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True, binary=True)


class _DebugCursor(CursorDebugWrapper):
    # Django reads the SQL it logs off a client-side binding cursor, and gets None from this
    # one; log what Django logs for server-side binding: the statement with its parameters.
    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


def prepared_cursor() -> CursorWrapper:
    """A cursor whose statements PostgreSQL prepares once per connection (unless
    ``DATABASE_PREPARED_STATEMENTS`` is off). Use it as a context manager, like
    ``connection.cursor()``; placeholders are ``%s`` as usual."""
    # What connection.cursor() does around the cursor it creates, with our cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = _PreparedCursor(connection.connection)
    if connection.queries_logged:
        return _DebugCursor(cursor, connection)
    return connection.make_cursor(cursor)
