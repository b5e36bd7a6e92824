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


def test_scheduler_key_command_issues_and_rotates(world):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("scheduler_key", tenant=world.tenant.slug, name="wfm", stdout=out)
    first = out.getvalue().strip()
    assert first.startswith("sg_")
    with pytest.raises(CommandError):
        call_command("scheduler_key", tenant=world.tenant.slug, name="wfm")
    out = io.StringIO()
    call_command("scheduler_key", tenant=world.tenant.slug, name="wfm", rotate=True, stdout=out)
    assert out.getvalue().strip() != first
    keys = ApiKey.objects.filter(tenant=world.tenant, name="wfm")
    assert keys.count() == 2 and keys.filter(revoked_at__isnull=True).count() == 1
