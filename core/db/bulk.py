"""Set-based inserts of many rows in ONE statement with ONE parameter.

``bulk_create`` of 10,000 model instances spends most of its time in Python: building
instances, preparing every field value, and (psycopg's client-side binding) quoting every
element of every column array. Sweeps and bulk endpoints instead send the rows as a single
JSON document and let PostgreSQL unpack it (``jsonb_array_elements``): one string to quote, one
statement, rows inserted in the given order.

Values are what the caller would assign to the model fields (ints, strings, bools, aware
datetimes, dicts and lists for JSON fields, None). Fields left out get their model default
(``auto_now``/``auto_now_add``: the current time); no ``save()`` or signals run. A None for a
JSON field is stored as JSON ``null`` (no model here has a nullable JSON field).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, models
from django.utils import timezone


def _json_default(value):
    """What ``json.dumps`` cannot write itself (it calls this only for those values, so rows of
    plain ints and strings cost no Python call per value)."""
    # PostgreSQL casts ISO 8601 with its offset.
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _default(field: models.Field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()  # the declared default, or "" for text fields


def _column_expr(field: models.Field, index: int) -> str:
    if isinstance(field, models.JSONField):
        return f"(r.value -> {index})"
    db_type = field.rel_db_type(connection) if field.is_relation else field.db_type(connection)
    # Strip column options such as CHECK clauses (PositiveIntegerField).
    db_type = db_type.split(" CHECK", 1)[0]
    return f"(r.value ->> {index})::{db_type}"


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence],
    *,
    returning: bool = False,
) -> list[int]:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table with one
    statement, in order. Returns the new primary keys in insertion order if ``returning``."""
    opts = model._meta
    concrete = [opts.get_field(name) for name in fields]
    # Fields the caller leaves out get their model default, as save() would give them (Django
    # keeps defaults in Python, not in the table).
    named = {f.column for f in concrete}
    extra = []
    for field in opts.concrete_fields:
        if field.primary_key or field.column in named or field.has_db_default():
            continue  # the database fills these itself
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if field.has_default() or stamped or not field.null:
            concrete.append(field)
            extra.append(_default(field))
    payload = [[*row, *extra] for row in rows]
    if not payload:
        return []
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in concrete)
    exprs = ", ".join(_column_expr(f, i) for i, f in enumerate(concrete))
    source = "jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS r(value, n) ORDER BY r.n"
    sql = f"INSERT INTO {qn(opts.db_table)} ({columns}) SELECT {exprs} FROM {source}"  # noqa: S608 - identifiers from model metadata
    if returning:
        sql += f" RETURNING {qn(opts.pk.column)}"
    document = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    with connection.cursor() as cursor:
        cursor.execute(sql, [document])
        if returning:
            return sorted(row[0] for row in cursor.fetchall())
    return []
