"""Demo data: four skill groups (one covering telecom and e-commerce) and active, pending,
expiring and expired certifications, built through the certification services.

Runs after training's demo and uses its published curricula; where an industry has none yet, a
minimal curriculum is created so the demo stands on its own. Idempotent: a scenario is played
only for an agent who has no certification for that skill group yet."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from training.models import Attempt, Curriculum, Industry, Lesson, LessonCompletion, Quiz

from .models import Certification, SkillGroup
from .services import (
    add_requirement,
    approve_certification,
    evaluate_agent,
    expire_due_certifications,
)

INDUSTRIES = {"telecom": "Telecom 电信", "ecommerce": "E-commerce 电商", "finance": "Finance 金融"}

# code, name, industries, requires approval, validity days, target, external id
GROUPS = [
    ("telecom-billing", "Telecom billing 电信账务", ["telecom"], True, 365, 6, "WFM-TEL-01"),
    ("ecommerce-orders", "E-commerce orders 电商订单", ["ecommerce"], True, 365, 5, "WFM-ECO-01"),
    (
        "retail-multi",
        "Telecom + e-commerce 电信电商综合",
        ["telecom", "ecommerce"],
        True,
        180,
        3,
        "WFM-MIX-01",
    ),
    ("finance-basic", "Finance basics 金融基础", ["finance"], False, 365, 4, "WFM-FIN-01"),
]

# agent, skill group, scenario: active | pending | expiring | expired | progress
SCENARIOS = [
    ("agent01", "telecom-billing", "active"),
    ("agent01", "retail-multi", "active"),
    ("agent02", "telecom-billing", "active"),
    ("agent02", "ecommerce-orders", "pending"),
    ("agent03", "telecom-billing", "expiring"),
    ("agent04", "telecom-billing", "pending"),
    ("agent04", "finance-basic", "active"),
    ("agent08", "finance-basic", "expired"),
    ("agent06", "ecommerce-orders", "active"),
    ("agent06", "retail-multi", "pending"),
    ("agent07", "ecommerce-orders", "expiring"),
    ("agent08", "telecom-billing", "pending"),
    ("agent09", "finance-basic", "active"),
    ("agent09", "telecom-billing", "progress"),
    ("agent10", "ecommerce-orders", "progress"),
]


def _minimal_curriculum(tenant, code, title, industry):
    curriculum, created = Curriculum.objects.get_or_create(
        tenant=tenant,
        code=code,
        version=1,
        defaults={
            "title": title,
            "industry": industry,
            "status": Curriculum.Status.PUBLISHED,
            "published_at": timezone.now(),
            "estimated_minutes": 40,
        },
    )
    if created:
        for i, name in enumerate(["Overview 概览", "Procedures 流程"]):
            Lesson.objects.create(
                tenant=tenant,
                curriculum=curriculum,
                position=i,
                title=name,
                body=f"# {name}",
                estimated_minutes=15,
            )
        Quiz.objects.create(
            tenant=tenant,
            curriculum=curriculum,
            title=f"{title} quiz",
            pass_mark_percent=80,
            time_limit_minutes=15,
        )
    return curriculum


def _curricula(tenant):
    """Published common curricula, and published curricula per industry code."""
    published = Curriculum.objects.for_tenant(tenant).filter(status=Curriculum.Status.PUBLISHED)
    industries = {}
    for code, name in INDUSTRIES.items():
        industries[code] = Industry.objects.get_or_create(
            tenant=tenant, code=code, defaults={"name": name}
        )[0]
    common = list(published.filter(industry__isnull=True).order_by("code")[:2])
    if not common:
        common = [_minimal_curriculum(tenant, "demo-etiquette", "Service etiquette 服务礼仪", None)]
    by_industry = {}
    for code, industry in industries.items():
        found = list(published.filter(industry=industry).order_by("code")[:1])
        by_industry[code] = found or [
            _minimal_curriculum(tenant, f"demo-{code}", f"{INDUSTRIES[code]} essentials", industry)
        ]
    return industries, common, by_industry


def _groups(tenant, industries, common, by_industry):
    groups = {}
    for code, name, inds, approval, validity, target, external in GROUPS:
        group, created = SkillGroup.objects.get_or_create(
            tenant=tenant,
            code=code,
            defaults={
                "name": name,
                "requires_approval": approval,
                "validity_days": validity,
                "target_headcount": target,
                "external_id": external,
                "reminder_days": 30,
            },
        )
        if created:
            group.industries.set([industries[i] for i in inds])
            for curriculum in common + [c for i in inds for c in by_industry[i]]:
                add_requirement(tenant=tenant, skill_group=group, curriculum=curriculum)
        groups[code] = group
    return groups


def _study(membership, group, when, *, partial=False):
    """The agent's training facts for a skill group, finished at ``when``."""
    reqs = list(group.requirements.select_related("curriculum"))
    for req in reqs[:1] if partial else reqs:
        lessons = list(req.curriculum.lessons.filter(kind=Lesson.Kind.LESSON))
        for lesson in lessons[:1] if partial else lessons:
            LessonCompletion.objects.get_or_create(
                tenant_id=membership.tenant_id, membership=membership, lesson=lesson
            )
        LessonCompletion.objects.filter(membership=membership, lesson__in=lessons).update(
            completed_at=when
        )
        if partial:
            continue
        for quiz in req.curriculum.quizzes.all():
            if Attempt.objects.filter(membership=membership, quiz=quiz, passed=True).exists():
                continue
            number = Attempt.objects.filter(membership=membership, quiz=quiz).count() + 1
            Attempt.objects.create(
                tenant_id=membership.tenant_id,
                quiz=quiz,
                membership=membership,
                number=number,
                state=Attempt.State.GRADED,
                started_at=when - timedelta(minutes=14),
                finished_at=when,
                score=Decimal(9),
                max_score=Decimal(10),
                percent=Decimal("90.00"),
                passed=True,
                curriculum_version=req.curriculum.version,
            )


def seed(ctx) -> None:
    tenant = ctx.tenant
    industries, common, by_industry = _curricula(tenant)
    groups = _groups(tenant, industries, common, by_industry)
    now = timezone.now()
    approver = {"blue": ctx.people["lead.blue"], "green": ctx.people["lead.green"]}
    for username, code, scenario in SCENARIOS:
        member = ctx.people[username]
        group = groups[code]
        if (
            Certification.objects.for_tenant(tenant)
            .filter(membership=member, skill_group=group)
            .exists()
        ):
            continue
        if scenario == "progress":
            _study(member, group, now - timedelta(days=2), partial=True)
            continue
        start = {
            "active": now - timedelta(days=40),
            "pending": now - timedelta(days=1),
            "expiring": now - timedelta(days=group.validity_days - 12),
            "expired": now - timedelta(days=group.validity_days + 20),
        }[scenario]
        _study(member, group, start - timedelta(hours=2))
        for cert in evaluate_agent(tenant=tenant, membership=member, now=start):
            if cert.skill_group_id != group.pk or cert.status != "pending":
                continue
            if scenario != "pending":
                lead = approver["green" if member.team_id == ctx.teams["green"].pk else "blue"]
                approve_certification(
                    tenant=tenant,
                    certification=cert,
                    actor=lead,
                    now=start,
                    comment="Demo: evidence reviewed",
                )
    expire_due_certifications(now=now)
    counts = {
        s: Certification.objects.for_tenant(tenant).filter(status=s).count()
        for s in ("active", "pending", "expired")
    }
    ctx.lines.append(
        "certification: {n} skill groups; {active} active, {pending} pending, {expired} expired "
        "certifications (approval queue: lead.blue / lead.green)".format(n=len(groups), **counts)
    )
