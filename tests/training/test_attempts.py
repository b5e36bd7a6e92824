"""The attempt engine on any database: start, autosave, submit, deadline and expiry."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.errors import Conflict, InvalidInput, NotFound
from training import attempts
from training.attempts import (
    close_overdue_attempts,
    save_answer,
    start_attempt,
    submit_attempt,
)
from training.models import Attempt, Enrollment
from training.services import complete_lesson, enroll_agents

from .factories import LessonFactory, make_quiz

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def right(attempt, index):
    item = attempt.dealt[index]
    return item["id"], {"choice": next(c["id"] for c in item["choices"] if c["text"] == "right")}


def wrong(attempt, index):
    item = attempt.dealt[index]
    return item["id"], {"choice": next(c["id"] for c in item["choices"] if c["text"] == "wrong")}


def test_start_resumes_the_open_attempt(world):
    quiz = make_quiz(world.tenant)
    first = start_attempt(quiz=quiz, membership=world.agent)
    again = start_attempt(quiz=quiz, membership=world.agent)
    assert first.pk == again.pk
    assert Attempt.objects.count() == 1
    assert len(first.dealt) == 3


def test_attempt_limit_and_cooldown_are_enforced(world):
    quiz = make_quiz(world.tenant, max_attempts=2, cooldown_minutes=10)
    with time_machine.travel(T0, tick=False):
        a1 = start_attempt(quiz=quiz, membership=world.agent)
        submit_attempt(attempt=a1, membership=world.agent)
        with pytest.raises(Conflict) as exc:
            start_attempt(quiz=quiz, membership=world.agent)
        assert exc.value.code == "cooldown"
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        a2 = start_attempt(quiz=quiz, membership=world.agent)
        assert a2.number == 2
        submit_attempt(attempt=a2, membership=world.agent)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        with pytest.raises(Conflict) as exc:
            start_attempt(quiz=quiz, membership=world.agent)
        assert exc.value.code == "attempt_limit"


def test_autosave_refuses_foreign_questions_choices_and_attempts(world):
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    qid, response = right(attempt, 0)
    with pytest.raises(InvalidInput) as exc:
        save_answer(attempt=attempt, membership=world.agent, question_id=999999, response=response)
    assert exc.value.code == "question_not_dealt"
    other_qid, _ = right(attempt, 1)
    with pytest.raises(InvalidInput) as exc:
        save_answer(
            attempt=attempt, membership=world.agent, question_id=other_qid, response=response
        )
    assert exc.value.code == "choice_not_in_question"
    with pytest.raises(NotFound):
        save_answer(
            attempt=attempt, membership=world.other_agent, question_id=qid, response=response
        )
    assert attempt.answers.count() == 0


def test_autosave_then_submit_grades_saved_answers_and_bumps_revision(world):
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    for i in range(3):
        qid, response = right(attempt, i) if i < 2 else wrong(attempt, i)
        attempt = save_answer(
            attempt=attempt, membership=world.agent, question_id=qid, response=response
        )
    assert attempt.revision == 3
    graded = submit_attempt(attempt=attempt, membership=world.agent, expected_revision=3)
    assert graded.state == Attempt.State.GRADED
    assert (graded.score, graded.max_score, graded.passed) == (2, 3, True)
    assert str(graded.percent) == "66.67"


def test_double_submit_grades_once(world):
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    qid, response = right(attempt, 0)
    first = submit_attempt(attempt=attempt, membership=world.agent, answers={qid: response})
    second = submit_attempt(attempt=attempt, membership=world.agent, answers={})
    assert first.finished_at == second.finished_at
    assert second.score == 1
    with pytest.raises(Conflict) as exc:
        save_answer(attempt=attempt, membership=world.agent, question_id=qid, response=response)
    assert exc.value.code == "attempt_closed"


def test_stale_submit_is_refused_and_changes_nothing(world):
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    qid, response = right(attempt, 0)
    save_answer(attempt=attempt, membership=world.agent, question_id=qid, response=response)
    _, bad = wrong(attempt, 0)
    with pytest.raises(Conflict) as exc:
        submit_attempt(
            attempt=attempt, membership=world.agent, answers={qid: bad}, expected_revision=0
        )
    assert exc.value.code == "stale_answers"
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS
    assert attempt.answers.get().response == response


@pytest.mark.parametrize(
    ("after_deadline", "accepted"),
    [
        (timedelta(seconds=-1), True),  # just before the deadline
        (timedelta(0), True),  # at the deadline
        (timedelta(seconds=30), True),  # at the end of the grace period (inclusive)
        (timedelta(seconds=31), False),  # after it
    ],
)
def test_deadline_is_judged_on_the_server(world, settings, after_deadline, accepted):
    settings.ATTEMPT_GRACE_SECONDS = 30
    quiz = make_quiz(world.tenant, time_limit_minutes=10)
    with time_machine.travel(T0, tick=False):
        attempt = start_attempt(quiz=quiz, membership=world.agent)
        q0, r0 = right(attempt, 0)
        save_answer(attempt=attempt, membership=world.agent, question_id=q0, response=r0)
    assert attempt.deadline == T0 + timedelta(minutes=10)
    q1, r1 = right(attempt, 1)
    with time_machine.travel(attempt.deadline + after_deadline, tick=False):
        if accepted:
            save_answer(attempt=attempt, membership=world.agent, question_id=q1, response=r1)
        else:
            with pytest.raises(Conflict) as exc:
                save_answer(attempt=attempt, membership=world.agent, question_id=q1, response=r1)
            assert exc.value.code == "deadline_passed"
            assert "Time is up" in exc.value.message
        result = submit_attempt(attempt=attempt, membership=world.agent, answers={})
    expected_state = Attempt.State.GRADED if accepted else Attempt.State.EXPIRED
    assert result.state == expected_state
    assert result.score == (2 if accepted else 1)


def test_late_submit_ignores_its_answers_and_grades_saved_ones(world):
    quiz = make_quiz(world.tenant, time_limit_minutes=5)
    with time_machine.travel(T0, tick=False):
        attempt = start_attempt(quiz=quiz, membership=world.agent)
        q0, r0 = right(attempt, 0)
        save_answer(attempt=attempt, membership=world.agent, question_id=q0, response=r0)
    q1, r1 = right(attempt, 1)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        result = submit_attempt(attempt=attempt, membership=world.agent, answers={q1: r1})
    assert result.state == Attempt.State.EXPIRED
    assert result.score == 1
    assert result.answers.count() == 1


def test_overdue_sweep_grades_saved_answers_once(world):
    quiz = make_quiz(world.tenant, time_limit_minutes=5)
    with time_machine.travel(T0, tick=False):
        attempt = start_attempt(quiz=quiz, membership=world.agent)
        q0, r0 = right(attempt, 0)
        save_answer(attempt=attempt, membership=world.agent, question_id=q0, response=r0)
        open_one = start_attempt(quiz=make_quiz(world.tenant), membership=world.agent)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert close_overdue_attempts() == 0  # still inside the grace period
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert close_overdue_attempts() == 1
        assert close_overdue_attempts() == 0
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    assert attempt.score == 1
    assert Attempt.objects.get(pk=open_one.pk).state == Attempt.State.IN_PROGRESS


def test_start_after_an_expired_open_attempt_closes_it_first(world):
    quiz = make_quiz(world.tenant, time_limit_minutes=5)
    with time_machine.travel(T0, tick=False):
        first = start_attempt(quiz=quiz, membership=world.agent)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        second = start_attempt(quiz=quiz, membership=world.agent)
    assert second.pk != first.pk and second.number == 2
    first.refresh_from_db()
    assert first.state == Attempt.State.EXPIRED


def test_passing_the_quiz_and_lessons_completes_the_enrollment(world):
    quiz = make_quiz(world.tenant)
    lesson = LessonFactory(tenant=world.tenant, curriculum=quiz.curriculum)
    enroll_agents(
        tenant=world.tenant,
        curricula=[quiz.curriculum],
        memberships=[world.agent],
        assigned_by=None,
        due_at=None,
    )
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    answers = dict(right(attempt, i) for i in range(3))
    assert submit_attempt(attempt=attempt, membership=world.agent, answers=answers).passed
    enrollment = Enrollment.objects.get()
    assert enrollment.completed_at is None
    assert complete_lesson(membership=world.agent, lesson=lesson) is True
    assert complete_lesson(membership=world.agent, lesson=lesson) is False
    enrollment.refresh_from_db()
    assert enrollment.completed_at is not None


def test_editing_the_bank_later_changes_no_past_attempt(world):
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    answers = dict(right(attempt, i) for i in range(3))
    from training.models import Choice

    Choice.objects.update(fraction=0)
    graded = submit_attempt(attempt=attempt, membership=world.agent, answers=answers)
    assert graded.score == 3


def test_grace_setting_is_read_at_call_time(settings):
    settings.ATTEMPT_GRACE_SECONDS = 5
    assert attempts.grace() == timedelta(seconds=5)


def test_periodic_task_closes_overdue_attempts(world):
    from training.tasks import close_overdue_attempts as task

    quiz = make_quiz(world.tenant, time_limit_minutes=5)
    with time_machine.travel(T0, tick=False):
        attempt = start_attempt(quiz=quiz, membership=world.agent)
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert task.delay().get() == 1
        assert task.delay().get() == 0
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
