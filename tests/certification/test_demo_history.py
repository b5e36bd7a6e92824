"""The demo's training history is built through training's services, so it holds every
invariant real use holds: graded attempts carry their answers and the score grading gives them,
times follow one another, and no certification rests on evidence newer than itself."""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from certification.models import Certification, CertificationEvent
from tenants.demo import seed_demo
from training.attempts import grace
from training.grading import CENT, grade_item
from training.models import Attempt, AttemptAnswer, Enrollment, LessonCompletion

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return seed_demo()


def test_every_finished_attempt_was_answered_and_graded_as_grading_says(demo):
    finished = Attempt.objects.for_tenant(demo.tenant).exclude(state=Attempt.State.IN_PROGRESS)
    assert finished.filter(passed=True).count() > 20
    for attempt in finished.select_related("quiz"):
        answers = {a.question_id: a for a in AttemptAnswer.objects.filter(attempt=attempt)}
        assert attempt.dealt and answers, attempt
        assert set(answers) <= {item["id"] for item in attempt.dealt}
        score = Decimal(0)
        for item in attempt.dealt:
            answer = answers.get(item["id"])
            points = grade_item(item, answer.response if answer else None)
            if answer is not None:
                assert answer.points == points, (attempt, item["id"])
                assert attempt.started_at < answer.saved_at <= attempt.finished_at
            score += points
        max_score = sum(Decimal(item["points"]) for item in attempt.dealt)
        percent = (score * 100 / max_score).quantize(CENT)
        assert (attempt.score, attempt.max_score, attempt.percent) == (score, max_score, percent)
        assert attempt.passed == (percent >= attempt.quiz.pass_mark_percent)
        assert attempt.started_at < attempt.finished_at <= attempt.deadline + grace()


def test_attempts_are_numbered_in_the_order_they_were_sat(demo):
    sittings = defaultdict(list)
    for attempt in Attempt.objects.for_tenant(demo.tenant).order_by("number"):
        sittings[attempt.membership_id, attempt.quiz_id].append(attempt)
    for attempts in sittings.values():
        assert [a.number for a in attempts] == list(range(1, len(attempts) + 1))
        for before, after in zip(attempts, attempts[1:], strict=False):
            assert before.finished_at is not None and before.finished_at <= after.started_at


def test_enrollments_complete_when_their_last_piece_was_done(demo):
    lessons = defaultdict(list)
    for c in LessonCompletion.objects.for_tenant(demo.tenant).select_related("lesson"):
        lessons[c.membership_id, c.lesson.curriculum_id].append(c.completed_at)
    first_pass = {}
    for a in Attempt.objects.for_tenant(demo.tenant).filter(passed=True).select_related("quiz"):
        key = (a.membership_id, a.quiz.curriculum_id, a.quiz_id)
        first_pass[key] = min(first_pass.get(key, a.finished_at), a.finished_at)
    passes = defaultdict(list)
    for (membership_id, curriculum_id, _quiz), at in first_pass.items():
        passes[membership_id, curriculum_id].append(at)
    completed = Enrollment.objects.for_tenant(demo.tenant).filter(completed_at__isnull=False)
    assert completed.count() > 20
    for enrollment in completed:
        key = (enrollment.membership_id, enrollment.curriculum_id)
        assert enrollment.completed_at == max(lessons[key] + passes[key]), enrollment


def _evidence_times(cert) -> list[datetime]:
    times = []
    for item in cert.evidence["requirements"]:
        times.append(item["completed_at"] if item["kind"] == "curriculum" else item["finished_at"])
        times += [q["finished_at"] for q in item.get("quizzes", [])]
    return [datetime.fromisoformat(t) for t in times]


def test_no_certification_rests_on_evidence_newer_than_itself(demo):
    certs = Certification.objects.for_tenant(demo.tenant)
    assert set(certs.values_list("status", flat=True)) == {"active", "pending", "expired"}
    for cert in certs:
        created = CertificationEvent.objects.get(certification=cert, old_status="").at
        times = _evidence_times(cert)
        assert times and max(times) <= created, cert
        if cert.valid_from is not None:
            assert created <= cert.valid_from, cert
        for item in cert.evidence["requirements"]:
            for quiz in item.get("quizzes", []):
                attempt = Attempt.objects.get(pk=quiz["attempt_id"])
                assert (attempt.membership_id, attempt.passed) == (cert.membership_id, True)
                assert attempt.finished_at.isoformat() == quiz["finished_at"]


def test_the_demo_has_real_dates_in_the_past(demo):
    now = timezone.now()
    certs = Certification.objects.for_tenant(demo.tenant)
    active = certs.filter(status="active")
    # Active for weeks, expiring within the reminder window, expired a while ago, pending.
    assert active.filter(valid_from__lte=now - timedelta(days=30)).exists()
    assert active.filter(valid_until__lte=now + timedelta(days=30)).exists()
    assert certs.filter(status="expired", valid_until__lte=now - timedelta(days=7)).exists()
    assert certs.filter(status="pending").exists()
    assert not LessonCompletion.objects.filter(completed_at__gt=now).exists()
    assert not Attempt.objects.filter(started_at__gt=now).exists()
    # The oldest history is over a year old: the expired certification's training.
    oldest = Attempt.objects.for_tenant(demo.tenant).order_by("started_at").first()
    assert oldest.started_at < now - timedelta(days=365)
