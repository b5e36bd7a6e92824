"""The demo shows every certification state and can be seeded twice."""

from datetime import timedelta

from django.utils import timezone

from certification.audit import verify_tenant
from certification.models import Certification, SkillGroup
from tenants.demo import seed_demo


def test_demo_has_every_state_and_is_idempotent(db):
    ctx = seed_demo()
    certs = Certification.objects.for_tenant(ctx.tenant)
    statuses = set(certs.values_list("status", flat=True))
    assert {"active", "pending", "expired"} <= statuses
    groups = SkillGroup.objects.for_tenant(ctx.tenant)
    assert groups.count() == 4
    assert any(g.industries.count() == 2 for g in groups)
    soon = timezone.now() + timedelta(days=30)
    expiring = certs.filter(status="active", valid_until__lte=soon)
    assert expiring
    before = certs.count()
    seed_demo()
    assert certs.count() == before
    # Backdated or not, every certification is what its events say.
    report = verify_tenant(tenant_id=ctx.tenant.pk, slug=ctx.tenant.slug)
    assert report.problems == [] and report.certifications == before
    assert report.validity_unrecorded == 0
