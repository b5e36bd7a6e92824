"""The demo seeds bilingual training content through the services, idempotently."""

from django.utils import timezone

from tenants.demo import seed_demo
from training.models import Attempt, Curriculum, Enrollment, Question


def test_demo_seeds_industries_curricula_and_agents_at_every_stage(db):
    ctx = seed_demo()
    tenant = ctx.tenant
    published = Curriculum.objects.for_tenant(tenant).filter(status="published")
    assert set(published.values_list("industry__code", flat=True)) == {
        None,
        "telecom",
        "ecommerce",
        "finance",
    }
    for code in ("telecom", "ecommerce", "finance"):
        assert (
            Question.objects.for_tenant(tenant)
            .filter(
                category__name__contains={
                    "telecom": "Telecom",
                    "ecommerce": "E-commerce",
                    "finance": "Finance",
                }[code]
            )
            .count()
            >= 15
        )
    agent05 = ctx.people["agent05"]
    common = Attempt.objects.filter(
        membership=agent05, passed=True, quiz__curriculum__industry__isnull=True
    )
    assert common.count() == 3
    # ...and nothing industry-specific: the demo's "moving to a new industry" case.
    assert not Attempt.objects.filter(
        membership=agent05, passed=True, quiz__curriculum__industry__isnull=False
    ).exists()
    assert (
        Enrollment.objects.filter(
            membership=agent05, completed_at__isnull=False, curriculum__industry__isnull=True
        ).count()
        == 3
    )
    assert Attempt.objects.filter(membership=ctx.people["agent03"], state="in_progress").exists()
    # agent04 is overdue (the certification demo's past must not complete that curriculum).
    assert Enrollment.objects.filter(
        membership=ctx.people["agent04"], completed_at=None, due_at__lt=timezone.now()
    ).exists()
    counts = (Curriculum.objects.count(), Enrollment.objects.count(), Attempt.objects.count())
    seed_demo()
    assert (
        Curriculum.objects.count(),
        Enrollment.objects.count(),
        Attempt.objects.count(),
    ) == counts
