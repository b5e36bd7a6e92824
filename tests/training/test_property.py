"""Two tabs of one attempt interleaving autosaves, page submits, finishes and replayed stale
forms: always exactly one graded attempt, graded once, with the last accepted answers."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import Conflict
from training.attempts import save_answer, start_attempt, submit_attempt
from training.models import Attempt

from .factories import make_quiz

N_QUESTIONS = 3

op = st.one_of(
    st.tuples(
        st.just("autosave"), st.integers(0, 1), st.integers(0, N_QUESTIONS - 1), st.integers(0, 1)
    ),
    st.tuples(st.just("reload"), st.integers(0, 1)),
    st.tuples(
        st.just("edit"), st.integers(0, 1), st.integers(0, N_QUESTIONS - 1), st.integers(0, 1)
    ),
    st.tuples(st.just("page_submit"), st.integers(0, 1)),
    st.tuples(st.just("finish"), st.integers(0, 1)),
    st.tuples(st.just("replay"), st.integers(0, 1)),
)


class Tab:
    def __init__(self, revision, answers):
        self.revision = revision
        self.form = dict(answers)
        self.history = [(revision, dict(answers))]  # forms it has shown, for replays


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, max_size=14))
def test_two_tabs_always_end_with_one_attempt_graded_on_the_last_accepted_answers(world, ops):
    quiz = make_quiz(world.tenant, n_questions=N_QUESTIONS)
    agent = world.agent
    attempt = start_attempt(quiz=quiz, membership=agent)
    qids = [item["id"] for item in attempt.dealt]
    choice = {
        (i, k): {"choice": attempt.dealt[i]["choices"][k]["id"]}
        for i in range(N_QUESTIONS)
        for k in range(2)
    }
    accepted: dict[int, dict] = {}  # the model: last accepted answer per question
    revision = 0
    graded_at = None
    tabs = [Tab(0, {}), Tab(0, {})]

    def submit(tab_index, answers, expected):
        nonlocal revision, graded_at
        was_open = graded_at is None
        try:
            result = submit_attempt(
                attempt=attempt, membership=agent, answers=answers, expected_revision=expected
            )
        except Conflict as exc:
            assert exc.code == "stale_answers"
            assert was_open and expected != revision
            return
        if was_open:
            assert expected is None or expected == revision
            accepted.update(answers)
            graded_at = result.finished_at
        else:
            assert result.finished_at == graded_at  # graded once, never again

    for step in ops:
        kind, t = step[0], tabs[step[1]]
        if kind == "autosave":
            q, k = step[2], step[3]
            t.form[qids[q]] = choice[(q, k)]
            try:
                saved = save_answer(
                    attempt=attempt, membership=agent, question_id=qids[q], response=choice[(q, k)]
                )
            except Conflict as exc:
                assert exc.code == "attempt_closed" and graded_at is not None
                continue
            assert graded_at is None
            accepted[qids[q]] = choice[(q, k)]
            revision += 1
            assert saved.revision == revision
            t.revision = revision
        elif kind == "edit":  # changed on the page, not yet saved (no JavaScript)
            t.form[qids[step[2]]] = choice[(step[2], step[3])]
        elif kind == "reload":
            t.revision, t.form = revision, dict(accepted)
            t.history.append((t.revision, dict(t.form)))
        elif kind == "page_submit":
            submit(step[1], dict(t.form), t.revision)
        elif kind == "finish":
            submit(step[1], {}, t.revision)
        elif kind == "replay":
            old_revision, old_form = t.history[0]
            submit(step[1], old_form, old_revision)

    if graded_at is None:  # someone finally hands in from a fresh page
        submit(0, dict(accepted), revision)

    rows = Attempt.objects.filter(quiz=quiz, membership=agent)
    assert rows.count() == 1
    final = rows.get()
    assert final.state == Attempt.State.GRADED and final.finished_at == graded_at
    saved = {a.question_id: a.response for a in final.answers.all()}
    assert saved == accepted
    right = sum(1 for i, q in enumerate(qids) if accepted.get(q) == choice[(i, 0)])
    assert final.score == right
