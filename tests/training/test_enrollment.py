import random
from datetime import timedelta

from django.utils import timezone

from tests.factories import MembershipFactory
from training.attempts import deal_questions, public_question
from training.models import Enrollment
from training.services import enroll_agents, enroll_team

from .factories import (
    CategoryFactory,
    CurriculumFactory,
    QuizFactory,
    add_fixed,
    add_rule,
    make_question,
)


def test_enroll_agents_creates_each_pair_once_and_moves_due_dates(world):
    c1, c2 = CurriculumFactory(tenant=world.tenant), CurriculumFactory(tenant=world.tenant)
    due = timezone.now() + timedelta(days=7)
    args = {"tenant": world.tenant, "curricula": [c1, c2], "assigned_by": world.lead}
    assert enroll_agents(memberships=[world.agent], due_at=due, **args) == 2
    later = due + timedelta(days=3)
    assert enroll_agents(memberships=[world.agent, world.other_agent], due_at=later, **args) == 2
    assert Enrollment.objects.count() == 4
    assert set(Enrollment.objects.values_list("due_at", flat=True)) == {later}
    assert enroll_agents(memberships=[world.agent], due_at=None, **args) == 0
    assert set(Enrollment.objects.values_list("due_at", flat=True)) == {later}


def test_enroll_team_assigns_active_agents_only(world):
    MembershipFactory(tenant=world.tenant, team=world.team, active=False)
    curriculum = CurriculumFactory(tenant=world.tenant)
    created = enroll_team(
        tenant=world.tenant, curricula=[curriculum], team=world.team, assigned_by=None, due_at=None
    )
    assert created == 2
    assert set(Enrollment.objects.values_list("membership_id", flat=True)) == {
        world.agent.pk,
        world.other_agent.pk,
    }


def test_enroll_refuses_objects_of_another_tenant(world):
    import pytest

    from core.errors import InvalidInput

    curriculum = CurriculumFactory(tenant=world.other_tenant)
    with pytest.raises(InvalidInput):
        enroll_agents(
            tenant=world.tenant,
            curricula=[curriculum],
            memberships=[world.agent],
            assigned_by=None,
            due_at=None,
        )


def test_deal_draws_fixed_then_random_without_repeats_and_hides_answers(world):
    quiz = QuizFactory(tenant=world.tenant, shuffle_questions=True, shuffle_choices=True)
    cat = CategoryFactory(tenant=world.tenant)
    fixed = make_question(cat, "single", choices=[("a", 1), ("b", 0), ("c", 0)])
    others = [
        make_question(cat, "truefalse", choices=[("True", 1), ("False", 0)]) for _ in range(5)
    ]
    add_fixed(quiz, fixed)
    add_rule(quiz, cat, 3)
    dealt = deal_questions(quiz=quiz, rng=random.Random(4))
    ids = [d["id"] for d in dealt]
    assert len(ids) == 4 == len(set(ids))
    assert fixed.pk in ids and set(ids) <= {fixed.pk, *(q.pk for q in others)}
    single = next(d for d in dealt if d["id"] == fixed.pk)
    assert sorted(c["text"] for c in single["choices"]) == ["a", "b", "c"]
    shown = public_question(single)
    assert "fraction" not in str(shown) and "explanation" not in shown
