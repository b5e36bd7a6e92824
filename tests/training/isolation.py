"""Tenant-isolation declarations of the training app (collected by tests/isolation_registry.py)."""

import random

from tests.isolation import Case
from tests.training.factories import (
    CategoryFactory,
    CurriculumFactory,
    IndustryFactory,
    LessonFactory,
    make_question,
    make_quiz,
)
from training.attempts import start_attempt, submit_attempt
from training.models import (
    Attempt,
    Curriculum,
    Enrollment,
    Industry,
    Question,
    QuestionCategory,
    Quiz,
)
from training.services import enroll_agents

CASES: list = []
MAKERS: dict = {}
GLOBAL_URLS: dict = {}


def _enrollment(w):
    curriculum = CurriculumFactory(tenant=w.tenant)
    enroll_agents(
        tenant=w.tenant,
        curricula=[curriculum],
        memberships=[w.agent],
        assigned_by=None,
        due_at=None,
    )
    return Enrollment.objects.get(curriculum=curriculum, membership=w.agent)


def _attempt(w):
    return start_attempt(quiz=make_quiz(w.tenant), membership=w.agent, rng=random.Random(1))


MAKERS[Industry] = lambda w: IndustryFactory(tenant=w.tenant)
MAKERS[Curriculum] = lambda w: CurriculumFactory(tenant=w.tenant)
MAKERS[QuestionCategory] = lambda w: CategoryFactory(tenant=w.tenant)
MAKERS[Question] = lambda w: make_question(CategoryFactory(tenant=w.tenant), choices=[("a", 1)])
MAKERS[Quiz] = lambda w: make_quiz(w.tenant)
MAKERS[Enrollment] = _enrollment
MAKERS[Attempt] = _attempt


def _graded_attempt(w):
    return submit_attempt(attempt=_attempt(w), membership=w.agent)


# Trainee pages: a foreign tenant's object answers exactly like a missing one.
CASES += [
    Case("training:curriculum", make=lambda w: make_quiz(w.tenant).curriculum),
    Case("training:lesson", make=lambda w: LessonFactory(tenant=w.tenant)),
    Case("training:quiz", make=lambda w: make_quiz(w.tenant), persona="agent"),
    Case("training:attempt", make=_attempt, persona="agent"),
    Case("training:attempt-save", make=_attempt, persona="agent"),
    Case("training:attempt-submit", make=_attempt, persona="agent"),
    Case("training:result", make=_graded_attempt, persona="agent"),
]
