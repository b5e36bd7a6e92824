"""Migration helpers shared by the apps' migrations."""

from __future__ import annotations

from django.db import migrations, models


def _single_column_indexes(schema_editor, table: str, column: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
    ]


def key_without_index(
    app_label: str, model_name: str, field_name: str, field: models.ForeignKey
) -> migrations.Operation:
    """Drop the own index of a foreign key ``field_name`` (``field`` is its new definition, with
    ``db_index=False``).

    Only the index is dropped, by name: SQLite would otherwise rebuild the whole table to alter
    the field, and a rebuilt table loses its triggers (the scheduling guard, the append-only
    event log)."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        for name in _single_column_indexes(schema_editor, model._meta.db_table, column):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def backwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        schema_editor.execute(
            schema_editor._create_index_sql(model, fields=[model._meta.get_field(field_name)])
        )

    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(model_name=model_name, name=field_name, field=field)
        ],
        database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
    )


def tenant_key_without_index(app_label: str, model_name: str) -> migrations.Operation:
    """Drop the tenant foreign key's own index (tenants.TenantScopedModel explains why)."""
    return key_without_index(
        app_label,
        model_name,
        "tenant",
        models.ForeignKey(
            db_index=False,
            on_delete=models.CASCADE,
            related_name="+",
            to="tenants.tenant",
            verbose_name="tenant",
        ),
    )
