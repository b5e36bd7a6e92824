"""System checks for the tenancy rules the database relies on."""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.db import models


def _leads_with_tenant(fields) -> bool:
    return bool(fields) and fields[0] in ("tenant", "tenant_id")


@checks.register(checks.Tags.models)
def check_tenant_first_index(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every tenant-scoped table has an index that starts with its tenant.

    The tenant foreign key carries no index of its own (it would duplicate these and slow every
    write), so without one a tenant's queries, and deleting a tenant, would scan the table."""
    return tenant_index_errors(apps.get_models())


def tenant_index_errors(model_classes) -> list[checks.CheckMessage]:
    from .models import TenantScopedModel

    errors = []
    for model in model_classes:
        if not issubclass(model, TenantScopedModel) or not model._meta.managed:
            continue
        meta = model._meta
        candidates = [index.fields for index in meta.indexes if index.condition is None]
        candidates += [
            constraint.fields
            for constraint in meta.constraints
            if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None
        ]
        candidates += [list(fields) for fields in meta.unique_together]
        if not any(_leads_with_tenant(fields) for fields in candidates):
            errors.append(
                checks.Error(
                    f"{meta.label} has no index or unique constraint that starts with its tenant.",
                    hint="Add Meta.indexes = [models.Index(fields=['tenant', ...])].",
                    obj=model,
                    id="tenants.E001",
                )
            )
    return errors
