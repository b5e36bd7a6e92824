"""The demo seeds a week of roster through the services and a scheduler API key, idempotently."""

import pytest

from scheduling.demo import DEMO_KEY_NAME
from scheduling.models import ShiftAssignment
from tenants.demo import seed_demo
from tenants.models import ApiKey

pytestmark = pytest.mark.django_db


def test_demo_roster_and_key_are_seeded_once(settings):
    ctx = seed_demo()
    shifts = ShiftAssignment.objects.filter(tenant=ctx.tenant).count()
    assert shifts > 0
    assert ApiKey.objects.filter(tenant=ctx.tenant, name=DEMO_KEY_NAME).count() == 1
    assert any(line.startswith("Scheduler API key") for line in ctx.lines)
    again = seed_demo()
    assert ShiftAssignment.objects.filter(tenant=ctx.tenant).count() == shifts
    assert ApiKey.objects.filter(tenant=ctx.tenant, name=DEMO_KEY_NAME).count() == 1
    assert any("--rotate" in line for line in again.lines)
    assert not ShiftAssignment.objects.filter(tenant=ctx.other_tenant).exists()
