"""Demo data: four skill groups (one covering telecom and e-commerce) and active, pending,
expiring and expired certifications, built through the certification services on a past built
through training's services (``training.demo.study`` / ``sit`` with backdated times).

Runs after training's demo and uses its published curricula; where an industry has none yet, a
minimal curriculum (lessons only) is created so the demo stands on its own. Scenarios are played
oldest first, so each agent's history is recorded in the order it happened. Idempotent: a
scenario is played only for an agent who has no certification for that skill group yet."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from training.demo import sit, study
from training.models import Curriculum, Industry, Lesson

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
# No scenario gives a backdated past in a curriculum where the training demo has the same agent
# active today (agent03's telecom quiz in progress, agent05's common content): a certificate of
# months ago would rest on today's evidence (tests/certification/test_demo_history.py).
SCENARIOS = [
    ("agent01", "telecom-billing", "active"),
    ("agent01", "retail-multi", "active"),
    ("agent02", "telecom-billing", "active"),
    ("agent02", "ecommerce-orders", "pending"),
    ("agent04", "telecom-billing", "pending"),
    ("agent04", "finance-basic", "active"),
    ("agent08", "finance-basic", "expired"),
    ("agent06", "ecommerce-orders", "active"),
    ("agent06", "retail-multi", "pending"),
    ("agent07", "ecommerce-orders", "expiring"),
    ("agent08", "telecom-billing", "pending"),
    ("agent09", "finance-basic", "active"),
    ("agent09", "telecom-billing", "progress"),
    ("agent10", "telecom-billing", "expiring"),
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
                "reminder_schedule": [60, 30, 7],
            },
        )
        if created:
            group.industries.set([industries[i] for i in inds])
            for curriculum in common + [c for i in inds for c in by_industry[i]]:
                add_requirement(tenant=tenant, skill_group=group, curriculum=curriculum)
        groups[code] = group
    return groups


def _study(membership, group, when, *, partial=False):
    """The agent's training for a skill group, through training's services, in the hours before
    ``when``: one hour per required curriculum, its lessons then its quizzes (all answered
    right). ``partial``: only the first lesson of each. What the agent has done already stays
    as it was (a lesson's first completion, a quiz sat before)."""
    curricula = [
        req.curriculum
        for req in group.requirements.select_related("curriculum").order_by("pk")
        if req.curriculum_id
    ]
    for i, curriculum in enumerate(curricula):
        at = when - timedelta(hours=len(curricula) - i)
        at = study(membership, curriculum, lessons=1 if partial else None, at=at)
        if partial:
            continue
        for quiz in curriculum.quizzes.order_by("pk"):
            at += timedelta(minutes=5)
            sit(membership, quiz, seed=membership.pk, at=at)
            at += timedelta(minutes=14)


def _start(scenario, group, now):
    """When the scenario's certification was evaluated (for "progress": when study stopped)."""
    return {
        "active": now - timedelta(days=40),
        "pending": now - timedelta(days=1),
        "expiring": now - timedelta(days=group.validity_days - 12),
        "expired": now - timedelta(days=group.validity_days + 20),
        "progress": now - timedelta(days=2),
    }[scenario]


# Atomic even when run alone: the evaluations training's services queue for after commit (at
# the real time) then find the backdated certifications already there and add nothing.
@transaction.atomic
def seed(ctx) -> None:
    tenant = ctx.tenant
    industries, common, by_industry = _curricula(tenant)
    groups = _groups(tenant, industries, common, by_industry)
    now = timezone.now()
    approver = {"blue": ctx.people["lead.blue"], "green": ctx.people["lead.green"]}
    plays = sorted(
        (
            (_start(scenario, groups[code], now), ctx.people[username], groups[code], scenario)
            for username, code, scenario in SCENARIOS
        ),
        key=lambda play: play[0],
    )
    for start, member, group, scenario in plays:
        if (
            Certification.objects.for_tenant(tenant)
            .filter(membership=member, skill_group=group)
            .exists()
        ):
            continue
        if scenario == "progress":
            _study(member, group, start, partial=True)
            continue
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
