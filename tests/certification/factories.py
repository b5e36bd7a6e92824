"""Certification test data: training facts (published curricula, lessons, quizzes, lesson
completions, graded attempts) and skill groups, with certifications built through services."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from certification.models import Certification, Requirement, SkillGroup
from certification.services import evaluate_agent
from training.models import (
    Attempt,
    Curriculum,
    Industry,
    Lesson,
    LessonCompletion,
    Quiz,
)

_seq = itertools.count(1)


def make_curriculum(
    tenant,
    *,
    code=None,
    version=1,
    industry=None,
    lessons=2,
    quizzes=1,
    status=Curriculum.Status.PUBLISHED,
    minutes=10,
    pass_mark=80,
):
    curriculum = Curriculum.objects.create(
        tenant=tenant,
        code=code or f"cur-{next(_seq)}",
        version=version,
        title=f"Curriculum {code or ''} v{version}",
        industry=industry,
        status=status,
        published_at=timezone.now() if status == Curriculum.Status.PUBLISHED else None,
    )
    for i in range(lessons):
        Lesson.objects.create(
            tenant=tenant,
            curriculum=curriculum,
            position=i,
            title=f"Lesson {i}",
            estimated_minutes=minutes,
        )
    for i in range(quizzes):
        Quiz.objects.create(
            tenant=tenant,
            curriculum=curriculum,
            title=f"Quiz {i} of {curriculum.code}",
            pass_mark_percent=pass_mark,
            time_limit_minutes=20,
        )
    return curriculum


def make_industry(tenant, code):
    return Industry.objects.get_or_create(tenant=tenant, code=code, defaults={"name": code})[0]


def make_group(
    tenant,
    *,
    code=None,
    requires_approval=True,
    curricula=(),
    quizzes=(),
    industries=(),
    validity_days=365,
    reminder_days=30,
    target=0,
    min_score=None,
):
    group = SkillGroup.objects.create(
        tenant=tenant,
        code=code or f"sg-{next(_seq)}",
        name=(code or "Skill group").title(),
        requires_approval=requires_approval,
        validity_days=validity_days,
        reminder_days=reminder_days,
        target_headcount=target,
        external_id=f"EXT-{code or next(_seq)}",
    )
    group.industries.set(industries)
    for c in curricula:
        Requirement.objects.create(
            tenant=tenant, skill_group=group, curriculum=c, min_score_percent=min_score
        )
    for q in quizzes:
        Requirement.objects.create(
            tenant=tenant, skill_group=group, quiz=q, min_score_percent=min_score
        )
    return group


def complete_lessons(membership, curriculum, *, count=None):
    lessons = list(curriculum.lessons.all())[: count if count is not None else None]
    for lesson in lessons:
        LessonCompletion.objects.get_or_create(
            tenant_id=membership.tenant_id, membership=membership, lesson=lesson
        )


def sit_quiz(
    membership, quiz, *, percent=90, passed=None, state=Attempt.State.GRADED, minutes=12, when=None
):
    finished = when or timezone.now()
    number = Attempt.objects.filter(membership=membership, quiz=quiz).count() + 1
    return Attempt.objects.create(
        tenant_id=membership.tenant_id,
        quiz=quiz,
        membership=membership,
        number=number,
        state=state,
        started_at=finished - timedelta(minutes=minutes),
        finished_at=finished,
        score=Decimal(percent),
        max_score=Decimal(100),
        percent=Decimal(percent),
        passed=(percent >= quiz.pass_mark_percent) if passed is None else passed,
        curriculum_version=quiz.curriculum.version,
    )


def finish_curriculum(membership, curriculum, *, percent=90):
    complete_lessons(membership, curriculum)
    for quiz in curriculum.quizzes.all():
        sit_quiz(membership, quiz, percent=percent)


def certify(membership, *, group=None, approve_by=None, requires_approval=None):
    """A certification built through the services: the agent finishes the group's curricula,
    gets evaluated, and (if pending and approve_by is given) approved."""
    from certification.services import approve_certification

    tenant = membership.tenant
    if group is None:
        curriculum = make_curriculum(tenant)
        group = make_group(
            tenant,
            curricula=[curriculum],
            requires_approval=True if requires_approval is None else requires_approval,
        )
    for req in group.requirements.select_related("curriculum", "quiz"):
        if req.curriculum:
            finish_curriculum(membership, req.curriculum)
        else:
            sit_quiz(membership, req.quiz, percent=100)
    evaluate_agent(tenant=tenant, membership=membership)
    cert = Certification.objects.get(
        membership=membership, skill_group=group, status__in=["pending", "active"]
    )
    if approve_by is not None and cert.status == "pending":
        cert = approve_certification(tenant=tenant, certification=cert, actor=approve_by)
    return cert
