# ruff: noqa: S608 - DDL assembled from constant table and column names, no user input.
"""Tenant consistency in the database's own keys.

Django's foreign keys name one column, so a row of tenant 1 could point at an agent of tenant 2
through raw SQL, and the guard and every join would believe it. Each relation between two
tenant-owned tables is therefore also a composite foreign key ``(tenant_id, <column>)`` to the
target's ``(tenant_id, id)`` (the target declares ``UniqueConstraint(tenant, id)``, see
``tenant_row_key``): a reference into another tenant is refused by PostgreSQL itself, whatever
writes it. The keys are deferred like Django's own, so bulk loads in any order still work; a
column that is NULL is not checked (MATCH SIMPLE), as for the single-column key.

Django's automatic many-to-many tables carry no tenant: ``tenant_m2m`` adds a ``tenant_id``
column that a trigger fills from the owning row (so Django's own inserts need not know it) and
keys both sides with it.
"""

from __future__ import annotations

from django.db import migrations, models

MAX_NAME = 63  # PostgreSQL's identifier length


def tenant_row_key(model_name: str) -> models.UniqueConstraint:
    """What a target of composite tenant keys declares in ``Meta.constraints``."""
    return models.UniqueConstraint(fields=["tenant", "id"], name=f"{model_name}_tenant_row")


def key_name(table: str, column: str) -> str:
    name = f"{table}_{column}_tenant_fk"
    if len(name) > MAX_NAME:
        raise ValueError(f"constraint name {name!r} is longer than {MAX_NAME} characters")
    return name


def same_tenant(table: str, column: str, target: str) -> migrations.RunSQL:
    """A migration operation: ``table.(tenant_id, column)`` must name a row of ``target`` of the
    same tenant."""
    name = key_name(table, column)
    return migrations.RunSQL(
        f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (tenant_id, {column}) "
        f"REFERENCES {target} (tenant_id, id) DEFERRABLE INITIALLY DEFERRED",
        f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}",
    )


def tenant_m2m(
    table: str, *, owner_column: str, owner: str, other_column: str, other: str
) -> list[migrations.RunSQL]:
    """Operations giving Django's automatic many-to-many ``table`` a tenant column, filled from
    the owning row by a trigger, and composite keys to both sides."""
    function = f"{table}_tenant"
    return [
        migrations.RunSQL(
            f"""
            ALTER TABLE {table} ADD COLUMN tenant_id bigint;
            UPDATE {table} t SET tenant_id = o.tenant_id
              FROM {owner} o WHERE o.id = t.{owner_column};
            ALTER TABLE {table} ALTER COLUMN tenant_id SET NOT NULL;
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- The tenant is the owner's, whatever the writer put there.
                SELECT o.tenant_id INTO NEW.tenant_id
                  FROM {owner} o WHERE o.id = NEW.{owner_column};
                RETURN NEW;
            END;
            $$;
            CREATE TRIGGER {function} BEFORE INSERT OR UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {function}();
            """,
            f"""
            DROP TRIGGER IF EXISTS {function} ON {table};
            DROP FUNCTION IF EXISTS {function}();
            ALTER TABLE {table} DROP COLUMN IF EXISTS tenant_id;
            """,
        ),
        same_tenant(table, owner_column, owner),
        same_tenant(table, other_column, other),
    ]
