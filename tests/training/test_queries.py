"""Constant query counts: the dashboard, my-training and team pages do not grow with the number of
lessons, quizzes and assignments."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory
from training import selectors
from training.attempts import start_attempt, submit_attempt
from training.services import complete_lesson, enroll_agents

from .factories import CurriculumFactory, LessonFactory, make_quiz


def build(world, n):
    """n curricula, each with n lessons (half completed) and a quiz (passed), all assigned to the
    agent and to n more agents of the team."""
    members = [world.agent] + [
        MembershipFactory(tenant=world.tenant, team=world.team) for _ in range(n)
    ]
    curricula = []
    for _ in range(n):
        curriculum = CurriculumFactory(tenant=world.tenant)
        lessons = [LessonFactory(tenant=world.tenant, curriculum=curriculum) for _ in range(n)]
        for lesson in lessons[: n // 2]:
            complete_lesson(membership=world.agent, lesson=lesson)
        quiz = make_quiz(world.tenant, curriculum=curriculum, n_questions=1)
        attempt = start_attempt(quiz=quiz, membership=world.agent)
        item = attempt.dealt[0]
        submit_attempt(
            attempt=attempt,
            membership=world.agent,
            answers={item["id"]: {"choice": item["choices"][0]["id"]}},
        )
        curricula.append(curriculum)
    enroll_agents(
        tenant=world.tenant,
        curricula=curricula,
        memberships=members,
        assigned_by=None,
        due_at=None,
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_pages_use_a_constant_number_of_queries(world, client_for):
    build(world, 2)
    agent, lead = client_for(world.agent), client_for(world.lead)
    urls = [(agent, "/"), (agent, reverse("training:mine")), (lead, reverse("training:team"))]
    small = [count_queries(c, u) for c, u in urls]
    build(world, 18)
    large = [count_queries(c, u) for c, u in urls]
    assert small == large


def test_progress_selectors_take_one_query_each(world, django_assert_num_queries):
    build(world, 3)
    with django_assert_num_queries(1):
        rows = selectors.assignments(membership=world.agent)
    assert len(rows) == 3
    assert {(r.lessons_done, r.lessons_total, r.quizzes_passed, r.quizzes_total) for r in rows} == {
        (1, 3, 1, 1)
    }
    with django_assert_num_queries(1):
        team = selectors.team_progress(membership=world.lead)
    assert len(team) == 3 * 4


def test_starting_an_attempt_is_a_fixed_handful_of_queries(world, django_assert_num_queries):
    from training.models import Attempt

    from .factories import CategoryFactory, add_rule

    quiz = make_quiz(world.tenant, n_questions=10)
    add_rule(quiz, CategoryFactory(tenant=world.tenant), 5)
    quiz = type(quiz).objects.get(pk=quiz.pk)
    # status, curriculum, fixed ids, rules, pool, questions, choices, savepoint+insert+release
    with django_assert_num_queries(10):
        attempt = start_attempt(quiz=quiz, membership=world.agent)
    assert Attempt.objects.get().pk == attempt.pk


def test_autosave_is_one_lock_one_upsert_and_one_revision_bump(world, django_assert_num_queries):
    from training.attempts import save_answer
    from training.models import AttemptAnswer

    quiz = make_quiz(world.tenant, n_questions=2)
    attempt = start_attempt(quiz=quiz, membership=world.agent)
    item = attempt.dealt[0]
    first, second = (item["choices"][0]["id"], item["choices"][1]["id"])
    before = attempt.revision
    # savepoint, SELECT ... FOR UPDATE, INSERT ... ON CONFLICT DO UPDATE, UPDATE, release
    for choice in (first, second):  # the first save inserts, the second overwrites
        with django_assert_num_queries(5):
            saved = save_answer(
                attempt=attempt,
                membership=world.agent,
                question_id=item["id"],
                response={"choice": choice},
            )
    answer = AttemptAnswer.objects.get(attempt=attempt, question_id=item["id"])
    assert str(answer.response["choice"]) == str(second)
    assert saved.revision == before + 2
    attempt.refresh_from_db()
    assert attempt.revision == before + 2


def test_submitting_a_page_of_answers_costs_the_same_queries_as_one(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from training.models import AttemptAnswer

    quiz = make_quiz(world.tenant, n_questions=6)
    counts = []
    for member, n in ((world.agent, 1), (world.other_agent, 6)):
        attempt = start_attempt(quiz=quiz, membership=member)
        # Wrong answers both times, so both sittings fail and grade alike.
        answers = {
            i["id"]: {"choice": next(c["id"] for c in i["choices"] if not float(c["fraction"]))}
            for i in attempt.dealt[:n]
        }
        with CaptureQueriesContext(connection) as ctx:
            submit_attempt(attempt=attempt, membership=member, answers=answers)
        counts.append(len(ctx.captured_queries))
        assert AttemptAnswer.objects.filter(attempt=attempt).count() == n
    assert counts[0] == counts[1]
