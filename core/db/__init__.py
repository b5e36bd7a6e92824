"""The database machinery that benchmarks showed holds a target, in one place; domain code
imports only what is exported here. docs/decisions/bench.md has the measurements.

- **Server-side binding** (settings: ``DATABASE_SERVER_SIDE_BINDING``, on): statements and values
  travel apart and psycopg prepares a statement from its 5th use on a connection. The exam
  hall's requests are measurably cheaper with it, and its autosave target rests on that. It
  brings a limit of 65,535 bind parameters per statement, which two pieces here handle:
  - ``base``: Django's backend told that limit (``ENGINE = "core.db"``), so the operations
    that batch by it (``bulk_update``, ``in_bulk``, deletions) split where needed;
  - ``lookups``: ``field__any_of=values`` sends a Python list as ONE array parameter; use it
    where a list grows with the tenant (sweeps, every agent of a team), ``__in`` elsewhere.
- ``insert_rows``: many rows in one ``INSERT ... SELECT`` from one JSON parameter, for the
  expiry sweep, bulk assignment and the outbox; ``bulk_create`` spent most of their time in
  Python, and the bulk assignment target rests on it.
- ``one_or_any``: how a hot prepared statement matches one value or several (below).

Removed after re-measuring: a cursor that prepared the eligibility check from its first use and
asked for binary results (``prepared.py``); with server-side binding the ordinary cursor is
prepared from its 5th use and the check was as fast either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from .bulk import insert_rows


def one_or_any(values: Sequence) -> tuple[str, list]:
    """SQL to compare a column with ``values`` and its parameter: ``= %s`` for one value,
    ``= ANY(%s)`` for several. With ``ANY`` of a one-element array PostgreSQL re-plans a prepared
    statement on every call (its generic plan, costed for an array of unknown length, looks
    dearer than a custom plan for one element), so the common single value goes as a scalar and
    the statement is planned once per connection."""
    if len(values) == 1:
        return "= %s", [values[0]]
    return "= ANY(%s)", [list(values)]


__all__ = ["insert_rows", "one_or_any"]
