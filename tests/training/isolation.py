"""Tenant-isolation declarations of the training app (collected by tests/isolation_registry.py)."""

import random

from tests.training.factories import (
    CategoryFactory,
    CurriculumFactory,
    IndustryFactory,
    make_question,
    make_quiz,
)
from training.attempts import start_attempt
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
