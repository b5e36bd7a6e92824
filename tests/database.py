"""The test database's URL, for the processes tests start (a Celery worker, the benchmark run)."""

from __future__ import annotations

from urllib.parse import quote

from django.db import connection


def database_url(name: str | None = None) -> str:
    """The URL of the test database, or of database ``name`` on the same server.

    A Unix-socket directory (the embedded server's) goes percent-encoded in the host part, which
    libpq and dj-database-url both read as a socket directory."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += f":{quote(db['PASSWORD'], safe='')}"
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{name or db['NAME']}"


def run_deferred_checks() -> None:
    """Check the deferred constraints (foreign keys) now, as COMMIT would; a test's transaction
    is never committed."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
