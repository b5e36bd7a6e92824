"""Certification test data: published curricula, lessons, quizzes and skill groups; lesson
completions, graded attempts and certifications built through the services, as agents make
them."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from certification.models import Certification, Requirement, SkillGroup
from certification.services import evaluate_agent
from training.attempts import finish_expired, grace, save_answer, start_attempt, submit_attempt
from training.models import (
    Attempt,
    Choice,
    Curriculum,
    Industry,
    Lesson,
    Question,
    QuestionCategory,
    Quiz,
    QuizQuestion,
)
from training.services import complete_lesson

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
    reminder_schedule=(60, 30, 7),
    target=0,
    min_score=None,
):
    group = SkillGroup.objects.create(
        tenant=tenant,
        code=code or f"sg-{next(_seq)}",
        name=(code or "Skill group").title(),
        requires_approval=requires_approval,
        validity_days=validity_days,
        reminder_schedule=list(reminder_schedule),
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


def complete_lessons(membership, curriculum, *, count=None, when=None):
    """The agent finishes the first ``count`` lessons (all by default), through the service."""
    lessons = list(curriculum.lessons.all())[: count if count is not None else None]
    for lesson in lessons:
        complete_lesson(membership=membership, lesson=lesson, now=when)


def _percent_question(quiz) -> Question:
    """The quiz's one question (created on first use): worth one point, its choice at position N
    earns N%, so an agent scores any whole percent by picking one answer."""
    item = QuizQuestion.objects.filter(quiz=quiz).select_related("question").first()
    if item is not None:
        return item.question
    category, _ = QuestionCategory.objects.get_or_create(
        tenant_id=quiz.tenant_id, name="Certification test questions"
    )
    question = Question.objects.create(
        tenant_id=quiz.tenant_id, category=category, qtype="single", text="How well?", points=1
    )
    Choice.objects.bulk_create(
        Choice(
            tenant_id=quiz.tenant_id,
            question=question,
            position=n,
            text=f"{n}%",
            fraction=Decimal(n) / 100,
        )
        for n in range(101)
    )
    QuizQuestion.objects.create(tenant_id=quiz.tenant_id, quiz=quiz, question=question)
    return question


def begin_quiz(membership, quiz, *, now=None) -> Attempt:
    """The agent starts ``quiz`` (and leaves it open)."""
    _percent_question(quiz)
    return start_attempt(quiz=quiz, membership=membership, now=now)


def sit_quiz(membership, quiz, *, percent=90, expired=False, minutes=12, when=None) -> Attempt:
    """The agent sits ``quiz`` through the attempt engine and scores ``percent`` (a whole
    number): submitted at ``when`` (default now) after ``minutes``, or, with ``expired``, the
    answer autosaved and the attempt closed by the deadline at ``when``."""
    finished = when or timezone.now()
    question = _percent_question(quiz)
    choice = question.choices.get(position=percent)
    if expired:
        started = finished - timedelta(minutes=quiz.time_limit_minutes + 1) - grace()
    else:
        started = finished - timedelta(minutes=minutes)
    attempt = begin_quiz(membership, quiz, now=started)
    response = {"choice": choice.pk}
    if not expired:
        return submit_attempt(
            attempt=attempt, membership=membership, answers={question.pk: response}, now=finished
        )
    save_answer(
        attempt=attempt,
        membership=membership,
        question_id=question.pk,
        response=response,
        now=started + timedelta(minutes=1),
    )
    return finish_expired(attempt_id=attempt.pk, now=finished)


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
