"""The tenant foreign key has no index of its own, so every tenant-scoped table must declare one
that starts with the tenant; a system check holds the project to it."""

from __future__ import annotations

from django.core.management import call_command
from django.db import connection, models
from django.test.utils import isolate_apps

from tenants.checks import tenant_index_errors
from tenants.models import TenantScopedModel


@isolate_apps("tenants")
def test_tenant_scoped_model_without_a_tenant_first_index_is_reported():
    class Unindexed(TenantScopedModel):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "tenants"
            indexes = [
                models.Index(fields=["name", "tenant"], name="unindexed_name"),
                # Partial: it does not cover the tenant's other rows.
                models.Index(fields=["tenant"], condition=models.Q(name=""), name="unindexed_p"),
            ]

    class Indexed(TenantScopedModel):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "tenants"
            constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="indexed_u")]

    errors = tenant_index_errors([Unindexed, Indexed])
    assert [(e.id, e.obj) for e in errors] == [("tenants.E001", Unindexed)]


def test_project_passes_the_check():
    call_command("check", "--fail-level", "ERROR")


def test_no_table_indexes_its_tenant_alone(db):
    """What the migrations left: no single-column tenant_id index next to the tenant-first
    ones."""
    from django.apps import apps

    single = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not issubclass(model, TenantScopedModel):
                continue
            table = model._meta.db_table
            for name, info in connection.introspection.get_constraints(cursor, table).items():
                if info["index"] and info["columns"] == ["tenant_id"] and not info["unique"]:
                    single.append(f"{table}.{name}")
    assert single == []
