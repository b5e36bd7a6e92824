"""SQLite side of the append-only event table: its DELETE trigger asks the connection function
``certification_event_purge_allowed()``, which says yes only while Django flushes the whole
database (``manage.py flush``, test teardown). Any other delete, including raw SQL from another
client that lacks the function, is refused. (PostgreSQL flushes with TRUNCATE, which its row
triggers do not see, so it needs none of this.)"""

from __future__ import annotations

import threading
from contextlib import contextmanager

_state = threading.local()
FUNCTION = "certification_event_purge_allowed"


def purge_allowed() -> int:
    return 1 if getattr(_state, "flushing", False) else 0


@contextmanager
def flushing():
    _state.flushing = True
    try:
        yield
    finally:
        _state.flushing = False


def register_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 0, purge_allowed)


def install() -> None:
    from django.conf import settings
    from django.db.backends.signals import connection_created

    connection_created.connect(register_function, dispatch_uid="certification_purge_function")
    if not any(db["ENGINE"].endswith("sqlite3") for db in settings.DATABASES.values()):
        return
    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class  # noqa: N806
    if getattr(DatabaseOperations.execute_sql_flush, "_certification", False):
        return
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with flushing():
            return original(self, sql_list)

    execute_sql_flush._certification = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush
