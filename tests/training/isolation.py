"""Tenant-isolation declarations of the training app (collected by tests/isolation_registry.py)."""

import random

from tests.isolation import LEAK, MISSING_INT, Case, IdProbe
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


LIST_URLS = {
    "training:mine": [{}],
    "training:search": [
        {},
        lambda ctx: {"q": ctx.own.lesson.title},
        lambda ctx: {"q": ctx.foreign.lesson.title},
        {"q": LEAK},
    ],
    "training:assign": [{}],
    "training:team": [{}],
}

OWN_ROWS_SHOWN = {
    "training:mine": lambda own: own.curriculum.title,
    "training:assign": lambda own: own.curriculum.title,
    "training:team": lambda own: own.agent.employee_id,
    "training:search": lambda own: own.curriculum.title,
}


def _assign(field):
    def request(ctx, value):
        data = {"curricula": str(ctx.own.curriculum.pk), "agents": str(ctx.own.agent.pk)}
        data[field] = value
        return {"data": data}

    return request


def _open_attempt(ctx):
    return {"pk": ctx.own.extra["open_attempt"].pk}


def _dealt_question(ctx) -> int:
    return ctx.own.extra["open_attempt"].dealt[0]["id"]


def _foreign_choice(ctx) -> str:
    return str(ctx.foreign.question.choices.order_by("pk").first().pk)


ID_PROBES = [
    IdProbe(
        f"assign: another tenant's {field}",
        "training:assign",
        inputs=(f"training.forms.AssignForm.{field}",),
        foreign=foreign,
        missing=str(MISSING_INT),
        request=_assign(field),
        clients=("lead", "admin"),
    )
    for field, foreign in (
        ("curricula", lambda ctx: str(ctx.foreign.curriculum.pk)),
        ("agents", lambda ctx: str(ctx.foreign.agent.pk)),
        ("teams", lambda ctx: str(ctx.foreign.team.pk)),
    )
] + [
    IdProbe(
        "autosave: another tenant's question",
        "training:attempt-save",
        inputs=("training.views:question",),
        foreign=lambda ctx: str(ctx.foreign.question.pk),
        missing=str(MISSING_INT),
        request=lambda ctx, value: {"json": {"question": int(value), "response": {"choice": 1}}},
        clients=("agent2",),
        url_kwargs=_open_attempt,
    ),
    IdProbe(
        "autosave: another tenant's choice",
        "training:attempt-save",
        inputs=("training.views:response",),
        foreign=_foreign_choice,
        missing=str(MISSING_INT),
        request=lambda ctx, value: {
            "json": {"question": _dealt_question(ctx), "response": {"choice": int(value)}}
        },
        clients=("agent2",),
        url_kwargs=_open_attempt,
    ),
    IdProbe(
        "submit: an answer to another tenant's question",
        "training:attempt-submit",
        inputs=("training.views:answers",),
        foreign=lambda ctx: str(ctx.foreign.question.pk),
        missing=str(MISSING_INT),
        request=lambda ctx, value: {"json": {"answers": {value: {"choice": 1}}}},
        clients=("agent2",),
        url_kwargs=_open_attempt,
    ),
    IdProbe(
        "attempt form: another tenant's question shown",
        "training:attempt",
        inputs=("training.views:shown",),
        foreign=lambda ctx: str(ctx.foreign.question.pk),
        missing=str(MISSING_INT),
        request=lambda ctx, value: {"data": {"shown": value, f"q{value}": "1", "goto": "0"}},
        clients=("agent2",),
        url_kwargs=_open_attempt,
    ),
]

NOT_IDS = {
    "training.views:q": "search text; the foreign tenant's titles are LIST_URLS queries",
    "training.views:page": "a question's index within the agent's own attempt",
    "training.views:goto": "a question's index within the agent's own attempt",
    "training.views:revision": "the attempt's answer counter (stale-answer check)",
    "training.views:action": "save or submit",
    "training.forms.AssignForm.due_date": "a date",
    "training.admin.ImportForm.file": "the uploaded question file",
    "training.admin.ImportForm.format": "one of the import formats",
    "training.admin.ImportForm.new_category": "a name for a category to create",
}
