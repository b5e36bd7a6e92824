"""Training's services take ``now=``: one instant stamps and judges everything a call does, and
leaving it out is the current time (demo data builds its past through these services)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.errors import Conflict
from training.attempts import save_answer, start_attempt, submit_attempt
from training.models import Attempt, AttemptAnswer, Enrollment, LessonCompletion
from training.services import complete_lesson, enroll_agents

from .factories import CurriculumFactory, LessonFactory, make_quiz

T = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)  # "the past": a year before the tests' own clock
TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _right(item):
    return {"choice": next(c["id"] for c in item["choices"] if c["text"] == "right")}


def _wrong(item):
    return {"choice": next(c["id"] for c in item["choices"] if c["text"] == "wrong")}


def _enroll(world, curriculum):
    enroll_agents(
        tenant=world.tenant,
        curricula=[curriculum],
        memberships=[world.agent],
        assigned_by=None,
        due_at=None,
    )
    return Enrollment.objects.get(membership=world.agent, curriculum=curriculum)


@time_machine.travel(TODAY, tick=False)
def test_a_backdated_lesson_and_the_enrollment_it_completes_carry_that_time(world):
    curriculum = CurriculumFactory(tenant=world.tenant)
    first, last = (LessonFactory(tenant=world.tenant, curriculum=curriculum) for _ in range(2))
    enrollment = _enroll(world, curriculum)

    assert complete_lesson(membership=world.agent, lesson=first, now=T)
    assert complete_lesson(membership=world.agent, lesson=last, now=T + timedelta(minutes=9))

    times = dict(
        LessonCompletion.objects.filter(membership=world.agent).values_list(
            "lesson_id", "completed_at"
        )
    )
    assert times == {first.pk: T, last.pk: T + timedelta(minutes=9)}
    enrollment.refresh_from_db()
    assert enrollment.completed_at == T + timedelta(minutes=9)
    # Idempotent: completing again (at any time) keeps the first completion.
    assert not complete_lesson(membership=world.agent, lesson=first, now=TODAY)
    assert LessonCompletion.objects.get(lesson=first).completed_at == T


@time_machine.travel(TODAY, tick=False)
def test_without_now_a_lesson_and_its_enrollment_complete_at_the_current_time(world):
    curriculum = CurriculumFactory(tenant=world.tenant)
    lesson = LessonFactory(tenant=world.tenant, curriculum=curriculum)
    enrollment = _enroll(world, curriculum)

    assert complete_lesson(membership=world.agent, lesson=lesson)

    assert LessonCompletion.objects.get(lesson=lesson).completed_at == TODAY
    enrollment.refresh_from_db()
    assert enrollment.completed_at == TODAY


@time_machine.travel(TODAY, tick=False)
def test_a_backdated_sitting_is_started_saved_graded_and_completes_at_its_own_times(world):
    quiz = make_quiz(world.tenant, n_questions=2, time_limit_minutes=20, pass_mark_percent=50)
    enrollment = _enroll(world, quiz.curriculum)

    attempt = start_attempt(quiz=quiz, membership=world.agent, now=T)
    assert (attempt.started_at, attempt.deadline) == (T, T + timedelta(minutes=20))
    for i, item in enumerate(attempt.dealt):
        save_answer(
            attempt=attempt,
            membership=world.agent,
            question_id=item["id"],
            response=_right(item) if i == 0 else _wrong(item),
            now=T + timedelta(minutes=3 + i),
        )
    graded = submit_attempt(attempt=attempt, membership=world.agent, now=T + timedelta(minutes=7))

    assert graded.state == Attempt.State.GRADED
    assert graded.finished_at == T + timedelta(minutes=7)
    assert (graded.score, graded.max_score, graded.passed) == (1, 2, True)
    saved = AttemptAnswer.objects.filter(attempt=graded).order_by("saved_at")
    assert list(saved.values_list("saved_at", flat=True)) == [
        T + timedelta(minutes=3),
        T + timedelta(minutes=4),
    ]
    enrollment.refresh_from_db()
    assert enrollment.completed_at == T + timedelta(minutes=7)


@time_machine.travel(TODAY, tick=False)
def test_cool_down_and_attempt_limit_are_judged_at_now(world):
    quiz = make_quiz(world.tenant, n_questions=1, cooldown_minutes=10, max_attempts=2)
    failed = start_attempt(quiz=quiz, membership=world.agent, now=T)
    item = failed.dealt[0]
    submit_attempt(
        attempt=failed,
        membership=world.agent,
        answers={item["id"]: _wrong(item)},
        now=T + timedelta(minutes=5),
    )

    with pytest.raises(Conflict) as exc:
        start_attempt(quiz=quiz, membership=world.agent, now=T + timedelta(minutes=14))
    assert exc.value.code == "cooldown"
    assert exc.value.details["until"] == (T + timedelta(minutes=15)).isoformat()
    # The real clock is a year later, far beyond the cool-down: only ``now`` counts.
    second = start_attempt(quiz=quiz, membership=world.agent, now=T + timedelta(minutes=15))
    assert (second.number, second.started_at) == (2, T + timedelta(minutes=15))


@time_machine.travel(TODAY, tick=False)
def test_the_deadline_is_judged_at_now(world, settings):
    settings.ATTEMPT_GRACE_SECONDS = 30
    quiz = make_quiz(world.tenant, n_questions=2, time_limit_minutes=10)
    attempt = start_attempt(quiz=quiz, membership=world.agent, now=T)
    first, second = attempt.dealt
    last_moment = T + timedelta(minutes=10, seconds=30)

    save_answer(
        attempt=attempt,
        membership=world.agent,
        question_id=first["id"],
        response=_right(first),
        now=last_moment,
    )
    with pytest.raises(Conflict) as exc:
        save_answer(
            attempt=attempt,
            membership=world.agent,
            question_id=second["id"],
            response=_right(second),
            now=last_moment + timedelta(seconds=1),
        )
    assert exc.value.code == "deadline_passed"
    late = submit_attempt(
        attempt=attempt,
        membership=world.agent,
        answers={second["id"]: _right(second)},
        now=T + timedelta(minutes=12),
    )
    assert late.state == Attempt.State.EXPIRED
    assert late.finished_at == T + timedelta(minutes=12)
    assert late.score == 1  # graded on what was saved in time


@time_machine.travel(TODAY, tick=False)
def test_starting_at_now_closes_an_attempt_overdue_at_now_and_deals_a_new_one(world):
    quiz = make_quiz(world.tenant, n_questions=1, time_limit_minutes=10)
    stale = start_attempt(quiz=quiz, membership=world.agent, now=T)
    later = T + timedelta(hours=1)

    fresh = start_attempt(quiz=quiz, membership=world.agent, now=later)

    stale.refresh_from_db()
    assert (stale.state, stale.finished_at) == (Attempt.State.EXPIRED, later)
    assert (fresh.number, fresh.started_at, fresh.deadline) == (
        2,
        later,
        later + timedelta(minutes=10),
    )
