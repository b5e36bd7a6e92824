"""Rule evaluation: which combinations of training facts meet a skill group."""

import pytest

from certification.models import Certification
from certification.rules import Catalog
from certification.services import evaluate_agent
from training.models import Attempt, Curriculum
from training.services import publish_curriculum

from .factories import (
    begin_quiz,
    complete_lessons,
    finish_curriculum,
    make_curriculum,
    make_group,
    make_industry,
    sit_quiz,
)


def _result(world, group):
    catalog = Catalog(world.tenant)
    facts = catalog.load_facts(world.tenant, [world.agent.pk])[world.agent.pk]
    return catalog.evaluate(next(g for g in catalog.skill_groups if g.pk == group.pk), facts)


# (lessons done of 2, quiz percent or None, quiz state, min score) -> met?
CURRICULUM_TABLE = [
    (2, 90, Attempt.State.GRADED, None, True),
    (1, 90, Attempt.State.GRADED, None, False),  # a lesson missing
    (2, None, None, None, False),  # quiz never taken
    (2, 70, Attempt.State.GRADED, None, False),  # below the pass mark (80)
    (2, 85, Attempt.State.GRADED, 90, False),  # passed, but below the requirement's minimum
    (2, 95, Attempt.State.GRADED, 90, True),
    (2, 90, Attempt.State.EXPIRED, None, True),  # expired attempts are graded on saved answers
    (2, 90, Attempt.State.IN_PROGRESS, None, False),  # not finished
]


@pytest.mark.parametrize("lessons,percent,state,min_score,met", CURRICULUM_TABLE)
def test_curriculum_requirement_table(world, lessons, percent, state, min_score, met):
    curriculum = make_curriculum(world.tenant, code="telco")
    group = make_group(world.tenant, curricula=[curriculum], min_score=min_score)
    complete_lessons(world.agent, curriculum, count=lessons)
    if percent is not None:
        quiz = curriculum.quizzes.get()
        if state == Attempt.State.IN_PROGRESS:
            begin_quiz(world.agent, quiz)
        else:
            attempt = sit_quiz(
                world.agent, quiz, percent=percent, expired=state == Attempt.State.EXPIRED
            )
            assert (attempt.state, attempt.percent) == (state, percent)
    assert _result(world, group).met is met


# (quiz percent, the quiz's pass mark, the requirement's minimum) -> met?
QUIZ_TABLE = [
    (85, 80, None, True),
    (85, 90, None, False),  # graded as failed
    (85, 80, 90, False),
    (90, 80, 90, True),
]


@pytest.mark.parametrize("percent,pass_mark,min_score,met", QUIZ_TABLE)
def test_quiz_requirement_table(world, percent, pass_mark, min_score, met):
    curriculum = make_curriculum(world.tenant, pass_mark=pass_mark)
    quiz = curriculum.quizzes.get()
    group = make_group(world.tenant, quizzes=[quiz], min_score=min_score)
    sit_quiz(world.agent, quiz, percent=percent)
    assert _result(world, group).met is met


def test_every_requirement_must_be_met(world):
    a = make_curriculum(world.tenant)
    b = make_curriculum(world.tenant)
    group = make_group(world.tenant, curricula=[a, b])
    finish_curriculum(world.agent, a)
    result = _result(world, group)
    assert not result.met
    assert [i.met for i in result.items] == [True, False]
    assert result.percent == 50
    assert result.minutes_missing == 10 + 10 + 20  # two lessons and a 20-minute quiz


def test_common_curriculum_counts_for_every_skill_group(world):
    common = make_curriculum(world.tenant, code="etiquette")
    telecom = make_curriculum(
        world.tenant, code="telecom", industry=make_industry(world.tenant, "tel")
    )
    shop = make_curriculum(world.tenant, code="shop", industry=make_industry(world.tenant, "ecom"))
    g_tel = make_group(
        world.tenant, code="tel", curricula=[common, telecom], requires_approval=False
    )
    g_shop = make_group(
        world.tenant, code="shop", curricula=[common, shop], requires_approval=False
    )
    finish_curriculum(world.agent, common)
    finish_curriculum(world.agent, telecom)
    evaluate_agent(tenant=world.tenant, membership=world.agent)
    assert Certification.objects.get(skill_group=g_tel).status == "active"
    # Moving to e-commerce asks only for what is new.
    shop_result = _result(world, g_shop)
    assert [i.met for i in shop_result.items] == [True, False]
    assert shop_result.minutes_missing == 40
    finish_curriculum(world.agent, shop)
    evaluate_agent(tenant=world.tenant, membership=world.agent)
    assert Certification.objects.get(skill_group=g_shop).status == "active"


def test_later_version_meets_a_requirement_on_an_earlier_one(world):
    v1 = make_curriculum(world.tenant, code="billing", version=1, status=Curriculum.Status.RETIRED)
    v2 = make_curriculum(world.tenant, code="billing", version=2)
    group = make_group(world.tenant, curricula=[v1])
    finish_curriculum(world.agent, v2)
    result = _result(world, group)
    assert result.met
    assert result.items[0].evidence["version"] == 2


def test_earlier_version_does_not_meet_a_requirement_on_a_later_one(world):
    v1 = make_curriculum(world.tenant, code="billing", version=1)
    finish_curriculum(world.agent, v1)
    v2 = make_curriculum(world.tenant, code="billing", version=2, status=Curriculum.Status.DRAFT)
    publish_curriculum(curriculum=v2)  # retires v1
    group = make_group(world.tenant, curricula=[v2])
    result = _result(world, group)
    assert not result.met
    assert result.minutes_missing == 40  # all of v2 still to do


def test_draft_versions_do_not_count(world):
    v1 = make_curriculum(world.tenant, code="billing", version=1, quizzes=0)
    # A draft has no quiz anyone can sit; its lessons can be opened (a trainer's preview link).
    draft = make_curriculum(
        world.tenant, code="billing", version=2, status=Curriculum.Status.DRAFT, quizzes=0
    )
    group = make_group(world.tenant, curricula=[v1])
    complete_lessons(world.agent, draft)
    assert not _result(world, group).met


def test_requirement_on_a_retired_curriculum_without_successor_is_unmeetable(world):
    retired = make_curriculum(world.tenant, code="old", status=Curriculum.Status.RETIRED)
    group = make_group(world.tenant, curricula=[retired])
    result = _result(world, group)
    assert result.unmeetable and not result.met


def test_evaluation_is_idempotent(world):
    curriculum = make_curriculum(world.tenant)
    make_group(world.tenant, curricula=[curriculum])
    finish_curriculum(world.agent, curriculum)
    first = evaluate_agent(tenant=world.tenant, membership=world.agent)
    second = evaluate_agent(tenant=world.tenant, membership=world.agent)
    assert len(first) == 1 and second == []
    assert Certification.objects.filter(membership=world.agent).count() == 1
    assert first[0].status == "pending"


def test_certification_records_the_evidence_it_rests_on(world):
    curriculum = make_curriculum(world.tenant, code="telco")
    quiz_group = make_group(world.tenant, curricula=[curriculum], requires_approval=False)
    finish_curriculum(world.agent, curriculum, percent=88)
    cert = evaluate_agent(tenant=world.tenant, membership=world.agent)[0]
    assert cert.skill_group == quiz_group
    evidence = cert.evidence["requirements"][0]
    assert evidence["code"] == "telco" and evidence["version"] == 1
    assert evidence["quizzes"][0]["percent"] == "88.00"
    assert evidence["quizzes"][0]["seconds"] == 12 * 60
    assert (cert.valid_until - cert.valid_from).days == 365
    assert cert.status == "active"


def test_inactive_skill_groups_are_not_certified(world):
    curriculum = make_curriculum(world.tenant)
    group = make_group(world.tenant, curricula=[curriculum])
    group.active = False
    group.save()
    finish_curriculum(world.agent, curriculum)
    assert evaluate_agent(tenant=world.tenant, membership=world.agent) == []


def test_rejected_certification_comes_back_only_with_fresh_evidence(world):
    from datetime import timedelta

    from certification.services import reject_certification

    curriculum = make_curriculum(world.tenant, lessons=1, quizzes=1)
    make_group(world.tenant, curricula=[curriculum])
    finish_curriculum(world.agent, curriculum)
    cert = evaluate_agent(tenant=world.tenant, membership=world.agent)[0]
    reject_certification(
        tenant=world.tenant, certification=cert, actor=world.lead, comment="Retake the quiz"
    )
    assert evaluate_agent(tenant=world.tenant, membership=world.agent) == []
    cert.refresh_from_db()
    sit_quiz(
        world.agent,
        curriculum.quizzes.get(),
        percent=97,
        when=cert.decided_at + timedelta(minutes=5),
    )
    again = evaluate_agent(tenant=world.tenant, membership=world.agent)
    assert [c.status for c in again] == ["pending"]
    assert again[0].evidence["requirements"][0]["quizzes"][0]["percent"] == "97.00"
