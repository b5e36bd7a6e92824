"""A past built through training's services with ``now=`` is evidence like any other: a later
(backdated) evaluation certifies on it, from the evaluation's time, and an expired certification
needs evidence newer than its start."""

from datetime import UTC, datetime, timedelta

import time_machine

from certification.models import Certification, CertificationEvent
from certification.services import evaluate_agent, expire_due_certifications
from tests.training.factories import make_quiz
from training.attempts import start_attempt, submit_attempt
from training.services import complete_lesson

from .factories import make_curriculum, make_group

T = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _all_right(attempt):
    return {
        item["id"]: {"choice": next(c["id"] for c in item["choices"] if c["text"] == "right")}
        for item in attempt.dealt
    }


def _train(membership, curriculum, quiz, at):
    """Both lessons, then the quiz passed, between ``at`` and ``at`` + 32 minutes."""
    for i, lesson in enumerate(curriculum.lessons.order_by("position")):
        complete_lesson(membership=membership, lesson=lesson, now=at + timedelta(minutes=10 * i))
    attempt = start_attempt(quiz=quiz, membership=membership, now=at + timedelta(minutes=20))
    return submit_attempt(
        attempt=attempt,
        membership=membership,
        answers=_all_right(attempt),
        now=at + timedelta(minutes=32),
    )


@time_machine.travel(TODAY, tick=False)
def test_a_backdated_evaluation_certifies_on_backdated_evidence(world):
    tenant, agent = world.tenant, world.agent
    curriculum = make_curriculum(tenant, lessons=2, quizzes=0)
    quiz = make_quiz(tenant, n_questions=2, curriculum=curriculum, pass_mark_percent=80)
    group = make_group(tenant, curricula=[curriculum], requires_approval=False, validity_days=180)
    attempt = _train(agent, curriculum, quiz, T)

    (cert,) = evaluate_agent(tenant=tenant, membership=agent, now=T + timedelta(hours=1))

    assert cert.skill_group == group and cert.status == Certification.Status.ACTIVE
    assert cert.valid_from == T + timedelta(hours=1)
    assert cert.valid_until == T + timedelta(hours=1, days=180)
    (evidence,) = cert.evidence["requirements"]
    assert evidence["completed_at"] == (T + timedelta(minutes=32)).isoformat()
    (passed,) = evidence["quizzes"]
    assert passed["attempt_id"] == attempt.pk
    assert passed["finished_at"] == (T + timedelta(minutes=32)).isoformat()
    assert passed["seconds"] == 12 * 60
    assert CertificationEvent.objects.get(certification=cert).at == T + timedelta(hours=1)


@time_machine.travel(TODAY, tick=False)
def test_an_expired_certification_comes_back_only_on_evidence_newer_than_its_start(world):
    tenant, agent = world.tenant, world.agent
    curriculum = make_curriculum(tenant, lessons=2, quizzes=0)
    quiz = make_quiz(tenant, n_questions=2, curriculum=curriculum, pass_mark_percent=80)
    make_group(tenant, curricula=[curriculum], requires_approval=False, validity_days=180)
    _train(agent, curriculum, quiz, T)
    (old,) = evaluate_agent(tenant=tenant, membership=agent, now=T + timedelta(hours=1))
    expire_due_certifications(now=T + timedelta(days=200))

    # Today's evaluation finds only the year-old evidence, older than the expired window.
    assert evaluate_agent(tenant=tenant, membership=agent) == []
    # A retake (backdated too) after the old window's start is fresh evidence.
    retake_at = T + timedelta(days=210)
    attempt = start_attempt(quiz=quiz, membership=agent, now=retake_at)
    submit_attempt(
        attempt=attempt,
        membership=agent,
        answers=_all_right(attempt),
        now=retake_at + timedelta(minutes=10),
    )
    (new,) = evaluate_agent(tenant=tenant, membership=agent)

    old.refresh_from_db()
    assert old.status == Certification.Status.EXPIRED
    assert (new.status, new.valid_from) == (Certification.Status.ACTIVE, TODAY)
    assert (
        new.evidence["requirements"][0]["completed_at"]
        == (retake_at + timedelta(minutes=10)).isoformat()
    )
