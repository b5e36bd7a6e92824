"""Training content built for tests; every object takes its tenant from its parent."""

from __future__ import annotations

from decimal import Decimal

import factory

from training.models import (
    Choice,
    Curriculum,
    Industry,
    Lesson,
    Question,
    QuestionCategory,
    Quiz,
    QuizQuestion,
    QuizRandomRule,
)


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry

    code = factory.Sequence(lambda n: f"industry-{n}")
    name = factory.Sequence(lambda n: f"Industry {n}")


class CurriculumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Curriculum

    code = factory.Sequence(lambda n: f"curriculum-{n}")
    title = factory.Sequence(lambda n: f"Curriculum {n}")
    status = Curriculum.Status.PUBLISHED
    industry = None


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    curriculum = factory.SubFactory(CurriculumFactory, tenant=factory.SelfAttribute("..tenant"))
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body = "Some **text**."


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionCategory

    name = factory.Sequence(lambda n: f"Category {n}")


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    curriculum = factory.SubFactory(CurriculumFactory, tenant=factory.SelfAttribute("..tenant"))
    title = factory.Sequence(lambda n: f"Quiz {n}")
    pass_mark_percent = 50
    shuffle_questions = False
    shuffle_choices = False


def make_question(category, qtype="single", *, points="1", choices=(), **fields) -> Question:
    """``choices``: (text, fraction) pairs (patterns for short answers)."""
    question = Question.objects.create(
        tenant_id=category.tenant_id,
        category=category,
        qtype=qtype,
        text=fields.pop("text", f"A {qtype} question?"),
        points=Decimal(points),
        **fields,
    )
    Choice.objects.bulk_create(
        [
            Choice(
                tenant_id=category.tenant_id,
                question=question,
                position=i,
                text=text,
                fraction=Decimal(str(fraction)),
            )
            for i, (text, fraction) in enumerate(choices)
        ]
    )
    return question


def add_fixed(quiz, *questions) -> None:
    for i, q in enumerate(questions):
        QuizQuestion.objects.create(tenant_id=quiz.tenant_id, quiz=quiz, question=q, position=i)


def add_rule(quiz, category, count) -> QuizRandomRule:
    return QuizRandomRule.objects.create(
        tenant_id=quiz.tenant_id, quiz=quiz, category=category, count=count
    )


def make_quiz(tenant, *, n_questions=3, **fields) -> Quiz:
    """A published curriculum's quiz of ``n_questions`` single-choice questions (first choice
    right)."""
    curriculum = fields.pop("curriculum", None) or CurriculumFactory(tenant=tenant)
    quiz = QuizFactory(tenant=tenant, curriculum=curriculum, **fields)
    category = CategoryFactory(tenant=tenant)
    questions = [
        make_question(category, "single", text=f"Q{i}?", choices=[("right", 1), ("wrong", 0)])
        for i in range(n_questions)
    ]
    add_fixed(quiz, *questions)
    return quiz
