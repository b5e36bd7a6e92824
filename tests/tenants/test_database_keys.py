"""Issue 16: rows of two tenants cannot be joined, and choice columns hold only known values,
whatever writes them. Checked in the database itself (raw SQL, as an attacker or a careless
operator would write), and over every model, so a new relation or choice field is covered
without editing these tests."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from certification.models import Certification
from scheduling.models import ShiftAssignment
from tenants.models import TenantScopedModel
from tests.database import run_deferred_checks
from tests.scheduling.factories import DAY, make_certification, make_skill_group, tomorrow_9
from training.models import Industry

pytestmark = pytest.mark.django_db


def _project_models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in settings.PROJECT_APPS
    ]


def _is_tenant_owned(model) -> bool:
    return issubclass(model, TenantScopedModel)


def _foreign_keys() -> set[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    """(table, columns, target table, target columns) of every foreign key in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text,
                   ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.i),
                   c.confrelid::regclass::text,
                   ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                         ORDER BY k.i)
              FROM pg_constraint c
             WHERE c.contype = 'f'
            """
        )
        return {(t, tuple(cols), r, tuple(rcols)) for t, cols, r, rcols in cursor.fetchall()}


def _tenant_relations():
    """(table, column, target table) of every reference from one tenant-owned table to another,
    including Django's automatic many-to-many tables."""
    relations = []
    for model in _project_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or field.name == "tenant":
                continue
            target = field.related_model
            owner_is_tenant_owned = _is_tenant_owned(model) or (
                model._meta.auto_created and _is_tenant_owned(model._meta.auto_created)
            )
            if owner_is_tenant_owned and _is_tenant_owned(target):
                relations.append((model._meta.db_table, field.column, target._meta.db_table))
    return relations


def test_every_reference_between_tenant_owned_rows_is_keyed_by_tenant():
    keys = _foreign_keys()
    relations = _tenant_relations()
    assert len(relations) >= 30  # the walk reached the models, not an empty list
    missing = [
        relation
        for relation in relations
        if (relation[0], ("tenant_id", relation[1]), relation[2], ("tenant_id", "id")) not in keys
    ]
    assert missing == []


def test_every_choice_column_refuses_values_outside_its_choices():
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'c'")
        in_database = {name for (name,) in cursor.fetchall()}
    fields = [
        (model, field)
        for model in _project_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField) and field.choices
    ]
    assert len(fields) >= 10
    unguarded = []
    for model, field in fields:
        values = sorted(str(value) for value, _label in field.flatchoices)
        guarded = any(
            isinstance(constraint, models.CheckConstraint)
            and constraint.name in in_database
            and constraint.condition.children == [(f"{field.name}__in", constraint_values)]
            and sorted(constraint_values) == values
            for constraint in model._meta.constraints
            for constraint_values in [_in_values(constraint)]
        )
        if not guarded:
            unguarded.append(f"{model._meta.label}.{field.name}")
    assert unguarded == []


def _in_values(constraint) -> list:
    children = getattr(constraint.condition, "children", [])
    if len(children) == 1 and isinstance(children[0], tuple):
        return list(children[0][1])
    return []


def test_certification_joining_three_tenants_is_refused(world):
    third = type(world.tenant).objects.create(slug="third", name="Third")
    group = make_skill_group(third, "telecom")
    now = timezone.now()
    with pytest.raises(IntegrityError, match="tenant_fk"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO certification_certification
                    (tenant_id, membership_id, skill_group_id, status, valid_from, valid_until,
                     evidence, decision_comment, created_at)
                VALUES (%s, %s, %s, 'active', %s, %s, '{}', '', %s)
                """,
                [world.tenant.pk, world.other_agent_b.pk, group.pk, now, now + DAY, now],
            )
        run_deferred_checks()
    assert not Certification.objects.exists()


def test_shift_cannot_point_at_another_tenants_certification(world):
    mine = make_certification(world.agent, make_skill_group(world.tenant, "telecom"))
    theirs = make_certification(world.other_agent_b, make_skill_group(world.other_tenant, "x"))
    start = tomorrow_9()
    scheduled, cancelled = (
        ShiftAssignment.objects.create(
            tenant=world.tenant,
            membership=world.agent,
            skill_group=mine.skill_group,
            starts_at=start + i * DAY,
            ends_at=start + i * DAY + DAY / 3,
            source="api",
        )
        for i in range(2)
    )
    ShiftAssignment.objects.filter(pk=cancelled.pk).update(
        status="cancelled", cancelled_at=timezone.now(), cancel_reason="Sick"
    )
    repoint = "UPDATE scheduling_shiftassignment SET certification_id = %s WHERE id = %s"
    # A scheduled shift is checked again by the guard, which names the covering certification.
    with connection.cursor() as cursor:
        cursor.execute(repoint, [theirs.pk, scheduled.pk])
    scheduled.refresh_from_db()
    assert scheduled.certification_id == mine.pk
    # Any other shift is refused by the tenant key.
    with (
        pytest.raises(IntegrityError, match="certification_id_tenant_fk"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(repoint, [theirs.pk, cancelled.pk])
        run_deferred_checks()
    cancelled.refresh_from_db()
    assert cancelled.certification_id == mine.pk


def test_skill_group_cannot_list_another_tenants_industry(world):
    group = make_skill_group(world.tenant, "telecom")
    theirs = Industry.objects.create(tenant=world.other_tenant, code="x", name="X")
    with pytest.raises(IntegrityError, match="industry_id_tenant_fk"), transaction.atomic():
        group.industries.add(theirs)
        run_deferred_checks()
    assert group.industries.count() == 0


def test_skill_group_industry_rows_take_the_groups_tenant_whatever_is_written(world):
    group = make_skill_group(world.tenant, "telecom")
    mine = Industry.objects.create(tenant=world.tenant, code="t", name="T")
    group.industries.add(mine)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certification_skillgroup_industries SET tenant_id = %s",
            [world.other_tenant.pk],
        )
        cursor.execute("SELECT DISTINCT tenant_id FROM certification_skillgroup_industries")
        assert cursor.fetchall() == [(world.tenant.pk,)]


@pytest.mark.parametrize(
    ("table", "column"),
    [("certification_certification", "status"), ("tenants_membership", "role")],
)
def test_unknown_status_written_by_sql_is_refused(world, table, column):
    make_certification(world.agent, make_skill_group(world.tenant, "telecom"))
    with (
        pytest.raises(IntegrityError, match=r"_(status|role)_known"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET {column} = 'approved'")  # noqa: S608
