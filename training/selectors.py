"""Read queries of the training app: constant query counts, always scoped to one tenant."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenants.models import Membership, Role, Tenant

from .models import Attempt, Curriculum, Enrollment, Lesson, LessonCompletion, Quiz

# Before any attempt: what an enrolment without ``passes_from`` counts from.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _count(qs: QuerySet, group: str):
    return Coalesce(
        Subquery(
            qs.order_by().values(group).annotate(c=Count("pk")).values("c")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def with_progress(enrollments: QuerySet) -> QuerySet:
    """Annotate enrollments with lessons_total/lessons_done/quizzes_total/quizzes_passed, all in
    the same single query (correlated subqueries), whatever the number of lessons."""
    # An enrolment assigned again to recertify counts the passes from then on only.
    passed = Attempt.objects.filter(
        quiz_id=OuterRef("pk"),
        membership_id=OuterRef(OuterRef("membership_id")),
        passed=True,
        finished_at__gte=Coalesce(OuterRef(OuterRef("passes_from")), Value(EPOCH)),
    )
    return enrollments.select_related("curriculum", "curriculum__industry").annotate(
        lessons_total=_count(
            Lesson.objects.filter(curriculum_id=OuterRef("curriculum_id"), kind=Lesson.Kind.LESSON),
            "curriculum_id",
        ),
        lessons_done=_count(
            LessonCompletion.objects.filter(
                membership_id=OuterRef("membership_id"),
                lesson__curriculum_id=OuterRef("curriculum_id"),
                lesson__kind=Lesson.Kind.LESSON,
            ),
            "membership_id",
        ),
        quizzes_total=_count(
            Quiz.objects.filter(curriculum_id=OuterRef("curriculum_id")), "curriculum_id"
        ),
        quizzes_passed=_count(
            Quiz.objects.filter(curriculum_id=OuterRef("curriculum_id")).filter(Exists(passed)),
            "curriculum_id",
        ),
    )


def decorate(enrollment: Enrollment, now) -> Enrollment:
    steps = enrollment.lessons_total + enrollment.quizzes_total
    done = enrollment.lessons_done + enrollment.quizzes_passed
    enrollment.percent = (
        100 if enrollment.completed_at else (round(100 * done / steps) if steps else 0)
    )
    enrollment.is_overdue = bool(
        enrollment.completed_at is None and enrollment.due_at and enrollment.due_at < now
    )
    return enrollment


def assignments(*, membership: Membership) -> list[Enrollment]:
    """The agent's enrollments with progress and overdue flags: one query."""
    now = timezone.now()
    qs = with_progress(
        Enrollment.objects.for_tenant(membership.tenant_id).filter(membership=membership)
    ).order_by("completed_at", "due_at", "pk")
    return [decorate(e, now) for e in qs]


def recent_results(*, membership: Membership, limit: int = 5) -> list[Attempt]:
    return list(
        Attempt.objects.for_tenant(membership.tenant_id)
        .filter(membership=membership)
        .exclude(state=Attempt.State.IN_PROGRESS)
        .select_related("quiz")
        .defer("dealt")
        .order_by("-finished_at")[:limit]
    )


def open_attempts(*, membership: Membership) -> list[Attempt]:
    return list(
        Attempt.objects.for_tenant(membership.tenant_id)
        .filter(membership=membership, state=Attempt.State.IN_PROGRESS)
        .select_related("quiz")
        .defer("dealt")
    )


def visible_curricula(tenant: Tenant) -> QuerySet:
    """What trainees may open: published versions, and retired ones for the records."""
    return Curriculum.objects.for_tenant(tenant).exclude(status=Curriculum.Status.DRAFT)


def curriculum_page(*, curriculum: Curriculum, membership: Membership) -> dict:
    """Lessons with a done flag and quizzes with a passed flag: three queries."""
    lessons = list(
        Lesson.objects.for_tenant(curriculum.tenant_id)
        .filter(curriculum=curriculum)
        .defer("body")
        .annotate(
            done=Exists(
                LessonCompletion.objects.filter(membership=membership, lesson_id=OuterRef("pk"))
            )
        )
        .order_by("position", "pk")
    )
    enrollment = (
        Enrollment.objects.for_tenant(curriculum.tenant_id)
        .filter(membership=membership, curriculum=curriculum)
        .first()
    )
    passed = Attempt.objects.filter(membership=membership, quiz_id=OuterRef("pk"), passed=True)
    if enrollment is not None and enrollment.completed_at is None and enrollment.passes_from:
        # Assigned again to recertify: a quiz passed before then is to be passed again.
        passed = passed.filter(finished_at__gte=enrollment.passes_from)
    quizzes = list(
        Quiz.objects.for_tenant(curriculum.tenant_id)
        .filter(curriculum=curriculum)
        .annotate(passed=Exists(passed))
    )
    return {"lessons": lessons, "quizzes": quizzes, "enrollment": enrollment}


_CJK = re.compile(r"[\u3400-\u9fff]")


def search_articles(*, tenant: Tenant, query: str, limit: int = 30) -> list[Lesson]:
    """Knowledge search within the tenant's visible curricula: full-text search (``simple``
    configuration, ranked); Chinese text (no word breaks for the parser): case-insensitive
    substring match on title and body."""
    query = (query or "").strip()[:200]
    if not query:
        return []
    qs = (
        Lesson.objects.for_tenant(tenant)
        .filter(curriculum__in=visible_curricula(tenant))
        .select_related("curriculum")
    )
    if not _CJK.search(query):
        # The filter expression is the one indexed by migration 0002 (GIN); the weighted
        # vector only ranks the matches.
        search = SearchQuery(query, search_type="websearch", config="simple")
        weighted = SearchVector("title", weight="A", config="simple") + SearchVector(
            "body", weight="B", config="simple"
        )
        qs = (
            qs.annotate(document=SearchVector("title", "body", config="simple"))
            .filter(document=search)
            .annotate(rank=SearchRank(weighted, search))
            .order_by("-rank", "pk")
        )
    else:
        words = query.split()
        for word in words:
            qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
        qs = qs.order_by("kind", "title", "pk")
    return list(qs[:limit])


def team_members(*, membership: Membership) -> QuerySet:
    """Agents a lead may assign to and watch: their own teams; trainers and admins: everyone."""
    qs = Membership.objects.for_tenant(membership.tenant_id).filter(active=True, role=Role.AGENT)
    if membership.role == Role.TEAM_LEAD:
        qs = qs.filter(team__lead=membership)
    return qs.select_related("user", "team").order_by("team__name", "employee_id")


def team_progress(*, membership: Membership) -> list[Enrollment]:
    """Every enrollment of the visible agents with progress: one query."""
    now = timezone.now()
    qs = with_progress(
        Enrollment.objects.for_tenant(membership.tenant_id).filter(
            membership__in=team_members(membership=membership).values("pk")
        )
    ).select_related("membership__user", "membership__team")
    return [
        decorate(e, now)
        for e in qs.order_by("membership__team__name", "membership__employee_id", "due_at")
    ]


def lesson_with_curriculum(lessons_qs: QuerySet) -> QuerySet:
    return lessons_qs.select_related("curriculum")


def quiz_prefetch() -> Prefetch:
    return Prefetch("quizzes", queryset=Quiz.objects.order_by("pk"))
