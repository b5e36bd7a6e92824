"""Curriculum versions, lesson Markdown and knowledge search."""

import pytest

from core.errors import Conflict
from training.handoffs import AGENT_PROGRESSED, RECERTIFICATION_REQUIRED
from training.markdown import render_markdown
from training.models import Curriculum, Enrollment
from training.selectors import search_articles
from training.services import (
    complete_lesson,
    enroll_agents,
    new_curriculum_version,
    publish_curriculum,
)

from .factories import CurriculumFactory, LessonFactory, make_quiz


def queued(callbacks):
    return [(cb.func.__self__.name, cb.keywords) for cb in callbacks if getattr(cb, "func", None)]


def test_publishing_a_new_version_keeps_the_old_one_and_moves_open_enrollments(
    world, django_capture_on_commit_callbacks
):
    quiz = make_quiz(world.tenant)
    v1 = quiz.curriculum
    LessonFactory(tenant=world.tenant, curriculum=v1)
    enroll_agents(
        tenant=world.tenant,
        curricula=[v1],
        memberships=[world.agent],
        assigned_by=None,
        due_at=None,
    )
    v2 = new_curriculum_version(curriculum=v1, requires_recertification=True)
    assert (v2.version, v2.status) == (2, "draft")
    assert v2.lessons.count() == 1 and v2.quizzes.get().fixed_items.count() == 3
    with pytest.raises(Conflict):
        new_curriculum_version(curriculum=v1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_curriculum(curriculum=v2)
    v1.refresh_from_db()
    assert v1.status == Curriculum.Status.RETIRED
    assert Curriculum.objects.filter(code=v1.code, status="published").get().pk == v2.pk
    assert Enrollment.objects.get().curriculum_id == v2.pk
    assert queued(callbacks) == [
        (RECERTIFICATION_REQUIRED.name, {"tenant_id": world.tenant.pk, "curriculum_id": v2.pk})
    ]
    with django_capture_on_commit_callbacks(execute=False) as again:
        publish_curriculum(curriculum=v2)
    assert again == []


def test_a_version_without_recertification_enqueues_nothing(
    world, django_capture_on_commit_callbacks
):
    v1 = CurriculumFactory(tenant=world.tenant)
    v2 = new_curriculum_version(curriculum=v1, requires_recertification=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_curriculum(curriculum=v2)
    assert queued(callbacks) == []


def test_completing_a_curriculum_asks_certification_to_evaluate_the_agent(
    world, django_capture_on_commit_callbacks
):
    curriculum = CurriculumFactory(tenant=world.tenant)
    first, last = (LessonFactory(tenant=world.tenant, curriculum=curriculum) for _ in range(2))
    enroll_agents(
        tenant=world.tenant,
        curricula=[curriculum],
        memberships=[world.agent],
        assigned_by=None,
        due_at=None,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        complete_lesson(membership=world.agent, lesson=first)
    assert queued(callbacks) == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        complete_lesson(membership=world.agent, lesson=last)
    assert queued(callbacks) == [
        (AGENT_PROGRESSED.name, {"tenant_id": world.tenant.pk, "membership_id": world.agent.pk})
    ]


@pytest.mark.parametrize(
    ("source", "present", "absent"),
    [
        ("**bold**", "<strong>bold</strong>", None),
        ("<script>alert(1)</script>", "&lt;script&gt;", "<script>"),
        ("[x](javascript:alert(1))", None, 'href="javascript'),
        ('<img src=x onerror="alert(1)">', None, "<img"),
        ("[site](https://example.com)", 'rel="noopener noreferrer"', None),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<table>", None),
    ],
)
def test_lesson_markdown_is_rendered_and_sanitised(source, present, absent):
    html = str(render_markdown(source))
    if present:
        assert present in html
    if absent:
        assert absent not in html


def test_search_ranks_title_matches_and_ignores_drafts(world):
    published = CurriculumFactory(tenant=world.tenant)
    draft = CurriculumFactory(tenant=world.tenant, status="draft")
    title_hit = LessonFactory(
        tenant=world.tenant, curriculum=published, title="Refund rules", body="money back"
    )
    body_hit = LessonFactory(
        tenant=world.tenant, curriculum=published, title="Returns", body="A refund takes 3 days."
    )
    LessonFactory(tenant=world.tenant, curriculum=draft, title="Refund draft", body="refund")
    found = search_articles(tenant=world.tenant, query="refund")
    assert [lesson.pk for lesson in found][:1] == [title_hit.pk]
    assert {lesson.pk for lesson in found} == {title_hit.pk, body_hit.pk}
    assert search_articles(tenant=world.tenant, query="   ") == []


def test_postgres_search_can_use_the_gin_index(world):
    from django.contrib.postgres.search import SearchQuery, SearchVector
    from django.db import connection

    from training.models import Lesson

    LessonFactory(tenant=world.tenant, title="Refund rules", body="money back", kind="article")
    # No tenant filter here: with sequential scans off, only the GIN index can answer.
    qs = Lesson.objects.annotate(document=SearchVector("title", "body", config="simple")).filter(
        document=SearchQuery("refund", search_type="websearch", config="simple")
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = qs.order_by().explain()
    assert "lesson_search_simple" in plan
    found = search_articles(tenant=world.tenant, query="refund")
    assert [lesson.title for lesson in found] == ["Refund rules"]
