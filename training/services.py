"""State changes of training content, enrollment and progress.

Every function is keyword-only, transactional, scoped to one tenant, and schedules its side
effects (tasks of higher apps) with ``transaction.on_commit``. The attempt engine lives in
``training.attempts``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput
from tenants.models import Membership, Role, Team, Tenant

from .handoffs import AGENT_PROGRESSED, RECERTIFICATION_REQUIRED
from .models import (
    Attempt,
    Curriculum,
    Enrollment,
    Lesson,
    LessonCompletion,
    Quiz,
    QuizQuestion,
    QuizRandomRule,
)

logger = logging.getLogger(__name__)


def _check_tenant(tenant: Tenant, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.tenant_id != tenant.pk:
            raise InvalidInput(_("Everything must belong to the same tenant."), code="wrong_tenant")


def _enqueue_evaluation(tenant_id: int, membership_id: int) -> None:
    transaction.on_commit(
        partial(AGENT_PROGRESSED.send, tenant_id=tenant_id, membership_id=membership_id)
    )


# --- enrollment -----------------------------------------------------------------------------


@transaction.atomic
def enroll_agents(
    *,
    tenant: Tenant,
    curricula: list[Curriculum],
    memberships: list[Membership],
    assigned_by: Membership | None,
    due_at: datetime | None,
) -> int:
    """Assign every curriculum to every membership; returns how many enrollments were created.

    Idempotent: an existing enrollment is kept (its assignment time and completion stay); when a
    due date is given, the due date of existing, not yet completed enrollments is moved to it.
    Set-based: a constant number of queries whatever the number of agents and curricula, and safe
    against a concurrent assignment (the unique constraint decides, conflicts are ignored)."""
    _check_tenant(tenant, assigned_by, *curricula, *memberships)
    curriculum_ids = {c.pk for c in curricula}
    membership_ids = {m.pk for m in memberships}
    if not curriculum_ids or not membership_ids:
        return 0
    existing = set(
        Enrollment.objects.for_tenant(tenant)
        .filter(curriculum_id__in=curriculum_ids, membership_id__any_of=membership_ids)
        .values_list("membership_id", "curriculum_id")
    )
    wanted = [
        Enrollment(
            tenant=tenant,
            membership_id=m_id,
            curriculum_id=c_id,
            assigned_by=assigned_by,
            due_at=due_at,
        )
        for m_id in sorted(membership_ids)
        for c_id in sorted(curriculum_ids)
        if (m_id, c_id) not in existing
    ]
    Enrollment.objects.bulk_create(wanted, ignore_conflicts=True)
    if due_at is not None and existing:
        Enrollment.objects.for_tenant(tenant).filter(
            curriculum_id__in=curriculum_ids,
            membership_id__any_of=membership_ids,
            completed_at__isnull=True,
        ).exclude(due_at=due_at).update(due_at=due_at)
    logger.info(
        "training.enrolled tenant=%s created=%s by=%s",
        tenant.pk,
        len(wanted),
        assigned_by.pk if assigned_by else None,
    )
    return len(wanted)


@transaction.atomic
def enroll_team(
    *,
    tenant: Tenant,
    curricula: list[Curriculum],
    team: Team,
    assigned_by: Membership | None,
    due_at: datetime | None,
) -> int:
    """Assign curricula to every active agent of a team (see ``enroll_agents``)."""
    _check_tenant(tenant, team)
    members = list(
        Membership.objects.for_tenant(tenant).filter(team=team, active=True, role=Role.AGENT)
    )
    return enroll_agents(
        tenant=tenant,
        curricula=curricula,
        memberships=members,
        assigned_by=assigned_by,
        due_at=due_at,
    )


@transaction.atomic
def assign_for_recertification(
    *, tenant_id: int, wanted: list[tuple[int, int, datetime]], now: datetime
) -> set[tuple[int, int]]:
    """Assign curricula again to agents who must recertify: ``wanted`` holds (membership id,
    curriculum id, due date). A missing enrolment is created, an open one is given the due
    date, and a completed one is opened again; the created and reopened ones count only the quiz
    passes from ``now`` (``passes_from``), so the agent has something real to do. A curriculum
    without a quiz is skipped: lessons read once stay read, nothing could be done again.

    Returns the (membership id, curriculum id) pairs that are open assignments afterwards.
    Set-based: four statements whatever the number of agents."""
    due: dict[tuple[int, int], datetime] = {}
    for membership_id, curriculum_id, due_at in wanted:
        key = (membership_id, curriculum_id)
        due[key] = min(due_at, due.get(key, due_at))
    if not due:
        return set()
    curriculum_ids = {c for _m, c in due}
    with_quiz = set(
        Quiz.objects.for_tenant(tenant_id)
        .filter(curriculum_id__in=curriculum_ids)
        .values_list("curriculum_id", flat=True)
        .distinct()
    )
    due = {key: at for key, at in due.items() if key[1] in with_quiz}
    if not due:
        return set()
    existing = {
        (m, c): pk
        for pk, m, c in Enrollment.objects.for_tenant(tenant_id)
        .filter(membership_id__any_of={m for m, _c in due}, curriculum_id__in=with_quiz)
        .values_list("pk", "membership_id", "curriculum_id")
    }
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                tenant_id=tenant_id,
                membership_id=m,
                curriculum_id=c,
                due_at=at,
                passes_from=now,
            )
            for (m, c), at in sorted(due.items())
            if (m, c) not in existing
        ],
        ignore_conflicts=True,
    )
    again = sorted((pk, due[key]) for key, pk in existing.items() if key in due)
    if again:
        with connection.cursor() as cursor:
            # One UPDATE for every agent, each with its own due date.
            cursor.execute(
                "UPDATE training_enrollment e"
                "   SET due_at = v.due_at,"
                "       passes_from = CASE WHEN e.completed_at IS NULL THEN e.passes_from"
                "                          ELSE %s END,"
                "       completed_at = NULL"
                "  FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, due_at)"
                " WHERE e.id = v.id AND e.tenant_id = %s",
                [now, [pk for pk, _d in again], [d for _pk, d in again], tenant_id],
            )
    logger.info("training.reassigned tenant=%s count=%s", tenant_id, len(due))
    return set(due)


# --- progress -------------------------------------------------------------------------------


def _curriculum_complete(
    *, tenant_id: int, membership_id: int, curriculum_id: int, passes_from: datetime | None
) -> bool:
    """Every lesson (not knowledge articles) completed and every quiz passed (from
    ``passes_from`` on, for an enrolment assigned again to recertify)."""
    lessons_left = (
        Lesson.objects.for_tenant(tenant_id)
        .filter(curriculum_id=curriculum_id, kind=Lesson.Kind.LESSON)
        .exclude(
            Exists(
                LessonCompletion.objects.filter(
                    tenant_id=tenant_id, membership_id=membership_id, lesson_id=OuterRef("pk")
                )
            )
        )
        .exists()
    )
    if lessons_left:
        return False
    passed = Attempt.objects.filter(
        tenant_id=tenant_id, membership_id=membership_id, quiz_id=OuterRef("pk"), passed=True
    )
    if passes_from is not None:
        passed = passed.filter(finished_at__gte=passes_from)
    return (
        not Quiz.objects.for_tenant(tenant_id)
        .filter(curriculum_id=curriculum_id)
        .exclude(Exists(passed))
        .exists()
    )


def _refresh_completion(
    *, tenant_id: int, membership_id: int, curriculum_id: int, now: datetime
) -> bool:
    """Mark the agent's open enrollment complete (at ``now``) when the curriculum is; True if it
    just became so."""
    open_enrollment = (
        Enrollment.objects.for_tenant(tenant_id)
        .filter(membership_id=membership_id, curriculum_id=curriculum_id, completed_at=None)
        .values_list("pk", "passes_from")
        .first()
    )
    if open_enrollment is None:
        return False
    pk, passes_from = open_enrollment
    if not _curriculum_complete(
        tenant_id=tenant_id,
        membership_id=membership_id,
        curriculum_id=curriculum_id,
        passes_from=passes_from,
    ):
        return False
    return bool(
        Enrollment.objects.for_tenant(tenant_id)
        .filter(pk=pk, completed_at=None)
        .update(completed_at=now)
    )


def after_quiz_passed(*, attempt: Attempt) -> None:
    """Called inside the grading transaction of a passed attempt: completes the enrollment (when
    the attempt finished) if the curriculum is now complete, and asks certification to evaluate
    the agent after commit."""
    curriculum_id = Quiz.objects.values_list("curriculum_id", flat=True).get(pk=attempt.quiz_id)
    _refresh_completion(
        tenant_id=attempt.tenant_id,
        membership_id=attempt.membership_id,
        curriculum_id=curriculum_id,
        now=attempt.finished_at,
    )
    _enqueue_evaluation(attempt.tenant_id, attempt.membership_id)


@transaction.atomic
def complete_lesson(*, membership: Membership, lesson: Lesson, now: datetime | None = None) -> bool:
    """Record that the agent finished a lesson; idempotent (returns False if already recorded,
    and the first completion time stays). Completing the last piece of a curriculum completes the
    enrollment and asks certification to evaluate the agent after commit.

    ``now`` backdates the completion (demo data and imports only): the lesson and, if it was the
    last piece, the enrollment are completed at that time. The evaluation after commit still runs
    at the real time; a caller building past certifications evaluates with its own ``now``
    first (``certification.services.evaluate_agent``)."""
    _check_tenant(membership.tenant, lesson)
    completion, created = LessonCompletion.objects.get_or_create(
        tenant_id=membership.tenant_id, membership=membership, lesson=lesson
    )
    if not created:
        return False
    if now is None:
        now = completion.completed_at  # auto_now_add: timezone.now() of this insert
    else:
        # auto_now_add overrides any value given on insert, so a backdated one is set after it.
        LessonCompletion.objects.filter(pk=completion.pk).update(completed_at=now)
    if _refresh_completion(
        tenant_id=membership.tenant_id,
        membership_id=membership.pk,
        curriculum_id=lesson.curriculum_id,
        now=now,
    ):
        _enqueue_evaluation(membership.tenant_id, membership.pk)
    return True


# --- content versions -----------------------------------------------------------------------


@transaction.atomic
def publish_curriculum(*, curriculum: Curriculum) -> Curriculum:
    """Publish one version of a curriculum: the previously published version of the same code is
    retired (kept, with its attempts, for the records), open enrollments move to this version,
    and, if this version requires recertification, certification is told after commit.
    Idempotent: publishing the published version changes nothing."""
    locked = Curriculum.objects.select_for_update().get(pk=curriculum.pk)
    if locked.status == Curriculum.Status.PUBLISHED:
        return locked
    previous = list(
        Curriculum.objects.for_tenant(locked.tenant_id)
        .select_for_update()
        .filter(code=locked.code, status=Curriculum.Status.PUBLISHED)
        .exclude(pk=locked.pk)
    )
    if previous:
        Curriculum.objects.filter(pk__in=[p.pk for p in previous]).update(
            status=Curriculum.Status.RETIRED
        )
        already = Enrollment.objects.filter(
            tenant_id=locked.tenant_id, curriculum=locked, membership_id=OuterRef("membership_id")
        )
        Enrollment.objects.for_tenant(locked.tenant_id).filter(
            curriculum_id__in=[p.pk for p in previous], completed_at=None
        ).exclude(Exists(already)).update(curriculum=locked)
    locked.status = Curriculum.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at"])
    if locked.requires_recertification and previous:
        transaction.on_commit(
            partial(
                RECERTIFICATION_REQUIRED.send, tenant_id=locked.tenant_id, curriculum_id=locked.pk
            )
        )
    logger.info("training.published curriculum=%s v%s", locked.code, locked.version)
    return locked


@transaction.atomic
def new_curriculum_version(
    *, curriculum: Curriculum, requires_recertification: bool = False
) -> Curriculum:
    """A draft copy of ``curriculum`` with the next version number: lessons, quizzes, their fixed
    questions and random rules are copied; questions are shared (attempts keep their own
    snapshot)."""
    latest = (
        Curriculum.objects.for_tenant(curriculum.tenant_id)
        .filter(code=curriculum.code)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if (
        Curriculum.objects.for_tenant(curriculum.tenant_id)
        .filter(code=curriculum.code, status=Curriculum.Status.DRAFT)
        .exists()
    ):
        raise Conflict(_("A draft version of this curriculum already exists."), code="draft_exists")
    draft = Curriculum.objects.create(
        tenant_id=curriculum.tenant_id,
        industry_id=curriculum.industry_id,
        code=curriculum.code,
        version=(latest or 0) + 1,
        title=curriculum.title,
        description=curriculum.description,
        estimated_minutes=curriculum.estimated_minutes,
        status=Curriculum.Status.DRAFT,
        requires_recertification=requires_recertification,
    )
    Lesson.objects.bulk_create(
        [
            Lesson(
                tenant_id=draft.tenant_id,
                curriculum=draft,
                position=lesson.position,
                title=lesson.title,
                body=lesson.body,
                estimated_minutes=lesson.estimated_minutes,
                kind=lesson.kind,
            )
            for lesson in curriculum.lessons.all()
        ]
    )
    for quiz in curriculum.quizzes.prefetch_related("fixed_items", "random_rules"):
        fixed, rules = list(quiz.fixed_items.all()), list(quiz.random_rules.all())
        quiz.pk = None
        quiz.curriculum = draft
        quiz.save()
        QuizQuestion.objects.bulk_create(
            [
                QuizQuestion(
                    tenant_id=draft.tenant_id,
                    quiz=quiz,
                    question_id=f.question_id,
                    position=f.position,
                )
                for f in fixed
            ]
        )
        QuizRandomRule.objects.bulk_create(
            [
                QuizRandomRule(
                    tenant_id=draft.tenant_id, quiz=quiz, category_id=r.category_id, count=r.count
                )
                for r in rules
            ]
        )
    return draft
