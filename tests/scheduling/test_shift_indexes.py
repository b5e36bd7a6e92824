"""Shift rows carry only tenant-first indexes (a bulk write pays every index per row); the rare
lookups by key alone, deleting a skill group or an agent, still answer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import ProtectedError

from scheduling.models import ShiftAssignment
from tests.factories import MembershipFactory

from .factories import make_certification, make_skill_group, shift, tomorrow_9

pytestmark = pytest.mark.django_db


def test_every_index_of_the_shift_table_starts_with_the_tenant():
    table = ShiftAssignment._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    leading = {
        name: info["columns"][0]
        for name, info in constraints.items()
        if info["index"] and not info["primary_key"]
    }
    assert leading and set(leading.values()) == {"tenant_id"}, leading


def test_skill_group_or_agent_with_shifts_cannot_be_deleted_and_unused_ones_can(world):
    group = make_skill_group(world.tenant, "telecom")
    unused_group = make_skill_group(world.tenant, "retail")
    unused_agent = MembershipFactory(tenant=world.tenant)
    make_certification(world.agent, group)
    shift(world.agent, group, start=tomorrow_9())

    with pytest.raises(ProtectedError):
        group.delete()
    with pytest.raises(ProtectedError):
        world.agent.delete()
    unused_group.delete()
    unused_agent.delete()
    assert ShiftAssignment.objects.filter(tenant=world.tenant).count() == 1
