"""Assigning curricula again for recertification: a completed enrolment really opens again and
counts only what is passed from then on; a curriculum with nothing to pass again is skipped."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tests.certification.factories import complete_lessons, make_curriculum, sit_quiz
from training import selectors
from training.models import Enrollment
from training.services import assign_for_recertification, enroll_agents


def _completed(world, curriculum, *, when):
    enroll_agents(
        tenant=world.tenant,
        curricula=[curriculum],
        memberships=[world.agent],
        assigned_by=world.lead,
        due_at=None,
    )
    complete_lessons(world.agent, curriculum, when=when)
    for quiz in curriculum.quizzes.all():
        sit_quiz(world.agent, quiz, percent=90, when=when)
    enrolment = Enrollment.objects.get(membership=world.agent, curriculum=curriculum)
    assert enrolment.completed_at is not None
    return enrolment


def test_a_completed_enrolment_opens_again_and_counts_new_passes_only(world, client_for):
    now = timezone.now()
    curriculum = make_curriculum(world.tenant, lessons=2, quizzes=2)
    enrolment = _completed(world, curriculum, when=now - timedelta(days=300))
    due = now + timedelta(days=30)
    open_pairs = assign_for_recertification(
        tenant_id=world.tenant.pk, wanted=[(world.agent.pk, curriculum.pk, due)], now=now
    )
    assert open_pairs == {(world.agent.pk, curriculum.pk)}
    enrolment.refresh_from_db()
    assert (enrolment.completed_at, enrolment.due_at, enrolment.passes_from) == (None, due, now)
    [row] = selectors.assignments(membership=world.agent)
    assert (row.lessons_done, row.quizzes_passed, row.percent) == (2, 0, 50)
    page = client_for(world.agent).get(reverse("training:curriculum", args=[curriculum.pk]))
    assert page.content.decode().count(">Passed<") == 0
    first, second = curriculum.quizzes.order_by("pk")
    sit_quiz(world.agent, first, percent=85, when=now + timedelta(hours=1))
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None  # one quiz of two passed again
    sit_quiz(world.agent, second, percent=85, when=now + timedelta(hours=2))
    enrolment.refresh_from_db()
    assert enrolment.completed_at == now + timedelta(hours=2)


def test_an_open_enrolment_gets_the_due_date_and_a_missing_one_is_created(world):
    now = timezone.now()
    started = make_curriculum(world.tenant, lessons=2, quizzes=1)
    fresh = make_curriculum(world.tenant, lessons=1, quizzes=1)
    enroll_agents(
        tenant=world.tenant,
        curricula=[started],
        memberships=[world.agent],
        assigned_by=None,
        due_at=None,
    )
    due = now + timedelta(days=7)
    wanted = [
        (world.agent.pk, started.pk, due),
        (world.agent.pk, fresh.pk, due + timedelta(days=1)),
        (world.agent.pk, fresh.pk, due),  # the earlier of two due dates wins
    ]
    assert assign_for_recertification(tenant_id=world.tenant.pk, wanted=wanted, now=now) == {
        (world.agent.pk, started.pk),
        (world.agent.pk, fresh.pk),
    }
    rows = {
        e.curriculum_id: (e.due_at, e.passes_from)
        for e in Enrollment.objects.filter(membership=world.agent)
    }
    assert rows == {started.pk: (due, None), fresh.pk: (due, now)}


def test_a_curriculum_without_a_quiz_is_not_assigned_again(world):
    now = timezone.now()
    reading = make_curriculum(world.tenant, lessons=2, quizzes=0)
    enrolment = _completed(world, reading, when=now - timedelta(days=300))
    wanted = [(world.agent.pk, reading.pk, now + timedelta(days=30))]
    assert assign_for_recertification(tenant_id=world.tenant.pk, wanted=wanted, now=now) == set()
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None and enrolment.passes_from is None
