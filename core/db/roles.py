# ruff: noqa: S608 - GRANT statements assembled from quoted identifiers, no user input.
"""Least privilege: one role migrates, another runs the application.

The *owner* role (the one ``manage.py migrate`` connects as) owns every table, so it can run DDL,
truncate tables and disable triggers. The *runtime* role, used by the web processes and the
workers, gets exactly what the application's own operations need:

- ``SELECT, INSERT, UPDATE, DELETE`` on every table and ``USAGE, SELECT`` on every sequence;
- only ``SELECT, INSERT`` on the append-only tables (models marked with ``@append_only``), so
  their rows cannot be changed or deleted even with the row triggers gone;
- no ``TRUNCATE``, no ``REFERENCES``/``TRIGGER`` rights, no ``CREATE`` on the schema, and, not
  owning the tables, no ``ALTER TABLE`` (so no ``DISABLE TRIGGER``).

``grant_runtime_privileges`` is idempotent and is run at the end of every ``migrate`` when
``DATABASE_RUNTIME_ROLE`` is set (see README), so tables added by a migration are granted with
it. The role itself (``CREATE ROLE ... LOGIN``) is created by whoever administers the server.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection

APPEND_ONLY = "append_only"


def append_only(model):
    """Class decorator: the model's table may be inserted into and read by the runtime role,
    never updated or deleted (``grant_runtime_privileges``)."""
    setattr(model, APPEND_ONLY, True)
    return model


def append_only_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if getattr(model, APPEND_ONLY, False) and model._meta.managed
    )


def grant_runtime_privileges(*, role: str, using=None) -> None:
    """Grant ``role`` the runtime privileges on every table of the current schema (run as the
    owner of the tables)."""
    conn = using or connection
    quote = conn.ops.quote_name
    role_name = quote(role)
    with conn.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        schema_name = quote(schema)
        cursor.execute(
            f"""
            REVOKE ALL ON ALL TABLES IN SCHEMA {schema_name} FROM {role_name};
            REVOKE CREATE ON SCHEMA {schema_name} FROM {role_name};
            GRANT USAGE ON SCHEMA {schema_name} TO {role_name};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema_name}
                TO {role_name};
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_name} TO {role_name};
            """
        )
        for table in append_only_tables():
            cursor.execute(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {role_name}")


def grant_after_migrate(sender, using, **kwargs) -> None:
    """post_migrate receiver: keep the runtime role's grants in step with the schema.

    Django sends post_migrate once per installed app with models, after all migrations ran;
    granting once, for the last of them, covers every table."""
    from django.conf import settings
    from django.db import connections

    role = getattr(settings, "DATABASE_RUNTIME_ROLE", "")
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if role and sender is last:
        grant_runtime_privileges(role=role, using=connections[using])
