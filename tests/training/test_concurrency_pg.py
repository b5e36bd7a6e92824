"""Races on PostgreSQL, each request in its own thread and connection."""

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from training.attempts import close_overdue_attempts, save_answer, start_attempt, submit_attempt
from training.models import Attempt, AttemptAnswer

from .factories import make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls):
    """Run the calls at the same moment in threads; returns results or exceptions in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def graded_log(caplog, attempt_id):
    return [
        r
        for r in caplog.records
        if r.getMessage().startswith(f"training.graded attempt={attempt_id} ")
    ]


def right(attempt, index):
    item = attempt.dealt[index]
    return item["id"], {"choice": next(c["id"] for c in item["choices"] if c["text"] == "right")}


def test_two_simultaneous_starts_make_one_attempt(world):
    for _ in range(3):
        quiz = make_quiz(world.tenant)
        results = run_together(
            lambda q=quiz: start_attempt(quiz=q, membership=world.agent),
            lambda q=quiz: start_attempt(quiz=q, membership=world.agent),
        )
        assert all(isinstance(r, Attempt) for r in results), results
        assert results[0].pk == results[1].pk
        assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_two_simultaneous_submits_grade_once(world, caplog):
    caplog.set_level(logging.INFO, logger="training.attempts")
    quiz = make_quiz(world.tenant)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    qid, response = right(attempt, 0)
    results = run_together(
        lambda: submit_attempt(attempt=attempt, membership=world.agent, answers={qid: response}),
        lambda: submit_attempt(attempt=attempt, membership=world.agent, answers={qid: response}),
    )
    assert all(isinstance(r, Attempt) for r in results), results
    assert results[0].finished_at == results[1].finished_at
    assert len(graded_log(caplog, attempt.pk)) == 1
    assert Attempt.objects.get(pk=attempt.pk).score == 1


def test_autosave_racing_submit_loses_nothing(world):
    for _ in range(4):
        quiz = make_quiz(world.tenant)
        attempt = start_attempt(quiz=quiz, membership=world.agent)
        qid, response = right(attempt, 0)
        saved, submitted = run_together(
            lambda a=attempt, q=qid, r=response: save_answer(
                attempt=a, membership=world.agent, question_id=q, response=r
            ),
            lambda a=attempt: submit_attempt(attempt=a, membership=world.agent),
        )
        assert isinstance(submitted, Attempt), submitted
        graded = Attempt.objects.get(pk=attempt.pk)
        assert graded.state == Attempt.State.GRADED
        if isinstance(saved, Attempt):
            # Accepted before grading: it is part of the grade.
            answer = AttemptAnswer.objects.get(attempt=graded, question_id=qid)
            assert answer.points == 1 and graded.score == 1
        else:
            # Refused after grading, with a reason; nothing half-written.
            assert getattr(saved, "code", None) == "attempt_closed", saved
            assert graded.score == 0 and not AttemptAnswer.objects.filter(attempt=graded).exists()


def test_two_overdue_sweeps_at_once_grade_each_attempt_once(world, caplog):
    caplog.set_level(logging.INFO, logger="training.attempts")
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False):
        opened = [
            start_attempt(quiz=make_quiz(world.tenant, time_limit_minutes=5), membership=m)
            for m in (world.agent, world.other_agent)
            for _ in range(3)
        ]
    with time_machine.travel(t0 + timedelta(hours=1)):
        counts = run_together(close_overdue_attempts, close_overdue_attempts)
    assert sum(counts) == len(opened)
    for attempt in opened:
        assert len(graded_log(caplog, attempt.pk)) == 1
        assert Attempt.objects.get(pk=attempt.pk).state == Attempt.State.EXPIRED
