"""The attempt engine: dealing questions, starting, autosaving, submitting and expiring attempts.

Rules that hold whatever the interleaving of requests:

- ``Attempt.dealt`` is a frozen snapshot of the questions and choice order handed out; grading
  reads only the snapshot, so editing the bank later changes no past attempt.
- At most one attempt in progress per agent and quiz (database constraint
  ``attempt_one_in_progress``); concurrent starts return the same attempt.
- Every write to an open attempt locks its row first (``select_for_update``), so an autosave and a
  submit are serialised: the autosave either lands before grading (and is graded) or is refused
  because the attempt is closed. Nothing accepted is lost.
- Time is judged on the server when a request arrives: answers are accepted up to
  ``deadline + ATTEMPT_GRACE_SECONDS`` inclusive, refused after.
"""

from __future__ import annotations

import random
from decimal import Decimal

from .models import Choice, Question, Quiz, QuizQuestion, QuizRandomRule

# --- dealing --------------------------------------------------------------------------------


def _snapshot(question: Question, *, rng: random.Random, shuffle_choices: bool) -> dict:
    """One dealt question. Choice questions (single, multiple, true/false) carry their choices
    in dealt order; short-answer questions carry their accepted patterns (their ``Choice`` rows);
    numeric questions carry answer and tolerance. Fractions and answers stay server-side: views
    render ``public_question`` only until the attempt is graded."""
    choices = list(question.choices.all())
    item = {
        "id": question.pk,
        "type": question.qtype,
        "text": question.text,
        "points": str(question.points),
        "explanation": question.explanation,
        "partial_credit": question.partial_credit,
        "choices": [],
        "patterns": [],
        "numeric_answer": None,
        "tolerance": "0",
    }
    if question.qtype == Question.Type.SHORT:
        item["patterns"] = [{"text": c.text, "fraction": str(c.fraction)} for c in choices]
    elif question.qtype == Question.Type.NUMERIC:
        item["numeric_answer"] = (
            str(question.numeric_answer) if question.numeric_answer is not None else None
        )
        item["tolerance"] = str(question.tolerance or Decimal(0))
    else:
        if shuffle_choices and question.qtype != Question.Type.TRUE_FALSE:
            rng.shuffle(choices)
        item["choices"] = [
            {"id": c.pk, "text": c.text, "fraction": str(c.fraction), "feedback": c.feedback}
            for c in choices
        ]
    return item


def deal_questions(*, quiz: Quiz, rng: random.Random) -> list[dict]:
    """Draw the questions of one sitting: the quiz's fixed questions in their order, then for
    each random rule ``count`` distinct questions of its category not already drawn; shuffled
    (questions and choices) as the quiz says. Pure read: writes nothing. A constant number of
    queries whatever the number of questions."""
    fixed_ids = list(
        QuizQuestion.objects.for_tenant(quiz.tenant_id)
        .filter(quiz=quiz)
        .order_by("position", "pk")
        .values_list("question_id", flat=True)
    )
    rules = list(QuizRandomRule.objects.for_tenant(quiz.tenant_id).filter(quiz=quiz).order_by("pk"))
    chosen = list(dict.fromkeys(fixed_ids))
    if rules:
        pool: dict[int, list[int]] = {}
        for q_id, cat_id in (
            Question.objects.for_tenant(quiz.tenant_id)
            .filter(category_id__in={r.category_id for r in rules})
            .order_by("pk")
            .values_list("pk", "category_id")
        ):
            pool.setdefault(cat_id, []).append(q_id)
        taken = set(chosen)
        for rule in rules:
            candidates = [q for q in pool.get(rule.category_id, []) if q not in taken]
            picked = rng.sample(candidates, min(rule.count, len(candidates)))
            chosen.extend(picked)
            taken.update(picked)
    by_id = {
        q.pk: q
        for q in Question.objects.for_tenant(quiz.tenant_id)
        .filter(pk__in=chosen)
        .prefetch_related(
            _choices_prefetch(),
        )
    }
    questions = [by_id[q_id] for q_id in chosen if q_id in by_id]
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    return [_snapshot(q, rng=rng, shuffle_choices=quiz.shuffle_choices) for q in questions]


def _choices_prefetch():
    from django.db.models import Prefetch

    return Prefetch("choices", queryset=Choice.objects.order_by("position", "pk"))


def public_question(item: dict) -> dict:
    """What a trainee may see of a dealt question before grading: no fractions, patterns,
    numeric answers, feedback or explanation."""
    return {
        "id": item["id"],
        "type": item["type"],
        "text": item["text"],
        "points": item["points"],
        "choices": [{"id": c["id"], "text": c["text"]} for c in item["choices"]],
    }
