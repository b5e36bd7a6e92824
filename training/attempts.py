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

Every function that judges or stamps time takes an optional ``now`` (default: the current time)
and uses that one instant throughout: deadlines, cool-downs, ``saved_at``, ``finished_at`` and the
enrollment completion of a passed quiz. Requests leave it out; sweeps and tests pass it to fix
the clock, demo data to build a consistent past.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput, NotFound
from tenants.models import Membership

from .grading import CENT, correct_response, grade_item
from .models import (
    Attempt,
    AttemptAnswer,
    Choice,
    Curriculum,
    Question,
    Quiz,
    QuizQuestion,
    QuizRandomRule,
)

MAX_TEXT_ANSWER = 2000
logger = logging.getLogger(__name__)

# --- dealing --------------------------------------------------------------------------------


class _QuestionRow(NamedTuple):
    """The columns of a question that a dealt item copies."""

    pk: int
    qtype: str
    text: str
    points: Decimal
    explanation: str
    partial_credit: bool
    numeric_answer: Decimal | None
    tolerance: Decimal | None


class _ChoiceRow(NamedTuple):
    pk: int
    text: str
    fraction: Decimal
    feedback: str


def _snapshot(
    question: _QuestionRow,
    choices: list[_ChoiceRow],
    *,
    rng: random.Random,
    shuffle_choices: bool,
) -> dict:
    """One dealt question. Choice questions (single, multiple, true/false) carry their choices
    in dealt order; short-answer questions carry their accepted patterns (their ``Choice`` rows);
    numeric questions carry answer and tolerance. Fractions and answers stay server-side: views
    render ``public_question`` only until the attempt is graded."""
    choices = list(choices)
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
    queries whatever the number of questions, read as plain rows: every trainee of an exam hall
    starts here, and building model instances cost more than the queries."""
    tenant_id = quiz.tenant_id
    fixed_ids = list(
        QuizQuestion.objects.for_tenant(tenant_id)
        .filter(quiz=quiz)
        .order_by("position", "pk")
        .values_list("question_id", flat=True)
    )
    rules = list(
        QuizRandomRule.objects.for_tenant(tenant_id)
        .filter(quiz=quiz)
        .order_by("pk")
        .values_list("category_id", "count")
    )
    chosen = list(dict.fromkeys(fixed_ids))
    if rules:
        pool: dict[int, list[int]] = {}
        for q_id, cat_id in (
            Question.objects.for_tenant(tenant_id)
            .filter(category_id__in={category_id for category_id, _count in rules})
            .order_by("pk")
            .values_list("pk", "category_id")
        ):
            pool.setdefault(cat_id, []).append(q_id)
        taken = set(chosen)
        for category_id, count in rules:
            candidates = [q for q in pool.get(category_id, []) if q not in taken]
            picked = rng.sample(candidates, min(count, len(candidates)))
            chosen.extend(picked)
            taken.update(picked)
    by_id = {
        row[0]: _QuestionRow(*row)
        for row in Question.objects.for_tenant(tenant_id)
        .filter(pk__in=chosen)
        .values_list(*_QuestionRow._fields)
    }
    choices: dict[int, list[_ChoiceRow]] = {}
    if by_id:
        for question_id, *row in (
            Choice.objects.for_tenant(tenant_id)
            .filter(question_id__in=by_id)
            .order_by("question_id", "position", "pk")
            .values_list("question_id", *_ChoiceRow._fields)
        ):
            choices.setdefault(question_id, []).append(_ChoiceRow(*row))
    questions = [by_id[q_id] for q_id in chosen if q_id in by_id]
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    return [
        _snapshot(q, choices.get(q.pk, []), rng=rng, shuffle_choices=quiz.shuffle_choices)
        for q in questions
    ]


def choice_text(item: dict, choice: dict) -> str:
    """True/false choices are stored as the words "True"/"False" (the import formats' own
    spelling); trainees read them in their language."""
    if item["type"] == "truefalse" and choice["text"] in ("True", "False"):
        return _("True") if choice["text"] == "True" else _("False")
    return choice["text"]


def public_question(item: dict) -> dict:
    """What a trainee may see of a dealt question before grading: no fractions, patterns,
    numeric answers, feedback or explanation."""
    return {
        "id": item["id"],
        "type": item["type"],
        "text": item["text"],
        "points": item["points"],
        "choices": [{"id": c["id"], "text": choice_text(item, c)} for c in item["choices"]],
    }


# --- the engine -----------------------------------------------------------------------------


def grace() -> timedelta:
    return timedelta(seconds=settings.ATTEMPT_GRACE_SECONDS)


def accepts_answers(attempt: Attempt, now: datetime) -> bool:
    """Answers count up to ``deadline + grace`` inclusive (judged when the request arrives)."""
    return attempt.deadline is None or now <= attempt.deadline + grace()


def dealt_item(attempt: Attempt, question_id) -> dict:
    for item in attempt.dealt:
        if str(item["id"]) == str(question_id):
            return item
    raise InvalidInput(
        _("This question is not part of the attempt."),
        code="question_not_dealt",
        details={"question": question_id},
    )


def _as_int(value, *, question_id) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            _("The choice is not valid."),
            code="invalid_choice",
            details={"question": question_id},
        ) from exc


def clean_response(item: dict, response) -> dict:
    """Check a response against its dealt question; returns the normalised response.
    Refuses choices that do not belong to the question."""
    if not isinstance(response, dict):
        raise InvalidInput(_("The answer is malformed."), code="invalid_response")
    qid = item["id"]
    choice_ids = {c["id"] for c in item["choices"]}
    qtype = item["type"]
    if qtype in ("single", "truefalse"):
        raw = response.get("choice")
        if raw in (None, ""):
            return {}
        choice = _as_int(raw, question_id=qid)
        if choice not in choice_ids:
            raise InvalidInput(
                _("This choice does not belong to the question."),
                code="choice_not_in_question",
                details={"question": qid, "choice": choice},
            )
        return {"choice": choice}
    if qtype == "multiple":
        raw = response.get("choices") or []
        if not isinstance(raw, list):
            raw = [raw]
        picked = sorted({_as_int(c, question_id=qid) for c in raw})
        foreign = [c for c in picked if c not in choice_ids]
        if foreign:
            raise InvalidInput(
                _("This choice does not belong to the question."),
                code="choice_not_in_question",
                details={"question": qid, "choice": foreign[0]},
            )
        return {"choices": picked}
    text = response.get("text" if qtype == "short" else "value")
    text = "" if text is None else str(text)
    if len(text) > MAX_TEXT_ANSWER:
        raise InvalidInput(
            _("The answer is too long (at most %(n)s characters).") % {"n": MAX_TEXT_ANSWER},
            code="answer_too_long",
            details={"question": qid},
        )
    return {"text": text} if qtype == "short" else {"value": text.strip()}


def _own_or_404(attempt: Attempt, membership: Membership) -> None:
    if attempt.membership_id != membership.pk or attempt.tenant_id != membership.tenant_id:
        raise NotFound(_("Not found."))


def attempts_status(*, quiz: Quiz, membership: Membership, now: datetime | None = None) -> dict:
    """What the start page shows and ``start_attempt`` enforces: attempts used and left, the
    open attempt if any, and when the cool-down ends. Two queries."""
    now = now or timezone.now()
    rows = list(
        Attempt.objects.for_tenant(membership.tenant_id)
        .filter(quiz=quiz, membership=membership)
        .order_by("-number")
        .only("pk", "number", "state", "finished_at", "deadline", "passed", "percent")
    )
    open_attempt = next((a for a in rows if a.state == Attempt.State.IN_PROGRESS), None)
    finished = [a for a in rows if a.state != Attempt.State.IN_PROGRESS]
    left = None if quiz.max_attempts is None else max(0, quiz.max_attempts - len(finished))
    cooldown_until = None
    last_finish = max((a.finished_at for a in finished), default=None)
    if quiz.cooldown_minutes and last_finish is not None:
        until = last_finish + timedelta(minutes=quiz.cooldown_minutes)
        cooldown_until = until if until > now else None
    return {
        "used": len(finished),
        "left": left,
        "open": open_attempt,
        "cooldown_until": cooldown_until,
        "last_number": rows[0].number if rows else 0,
        "passed": any(a.passed for a in finished),
        "best_percent": max((a.percent for a in finished if a.percent is not None), default=None),
    }


def start_attempt(
    *,
    quiz: Quiz,
    membership: Membership,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Start (or resume) the agent's sitting of ``quiz``.

    Returns the open attempt if there is one (another tab or device resumes it). Otherwise checks
    the attempt limit and cool-down, deals the questions outside any transaction and inserts the
    attempt in one short transaction. Concurrent starts: the database constraint
    ``attempt_one_in_progress`` lets one insert win; the others return the winner's attempt.
    ``now`` backdates the start: limit, cool-down and deadline are judged from it."""
    if quiz.tenant_id != membership.tenant_id:
        raise NotFound(_("Not found."))
    now = now or timezone.now()
    status = attempts_status(quiz=quiz, membership=membership, now=now)
    open_attempt = status["open"]
    if open_attempt is not None:
        if accepts_answers(open_attempt, now):
            return Attempt.objects.get(pk=open_attempt.pk)
        finish_expired(attempt_id=open_attempt.pk, now=now)
        status = attempts_status(quiz=quiz, membership=membership, now=now)
    if status["left"] == 0:
        raise Conflict(_("No attempts are left for this quiz."), code="attempt_limit")
    if status["cooldown_until"] is not None:
        raise Conflict(
            _("You can try again after %(time)s.")
            % {
                "time": date_format(
                    timezone.localtime(status["cooldown_until"]), "SHORT_DATETIME_FORMAT"
                )
            },
            code="cooldown",
            details={"until": status["cooldown_until"].isoformat()},
        )
    curriculum = Curriculum.objects.only("status", "version").get(pk=quiz.curriculum_id)
    if curriculum.status != Curriculum.Status.PUBLISHED:
        raise Conflict(_("This quiz is not open."), code="quiz_not_open")
    dealt = deal_questions(quiz=quiz, rng=rng or random.Random())
    if not dealt:
        raise Conflict(_("This quiz has no questions yet."), code="quiz_empty")
    deadline = now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    try:
        with transaction.atomic():
            return Attempt.objects.create(
                tenant_id=quiz.tenant_id,
                quiz=quiz,
                membership=membership,
                number=status["last_number"] + 1,
                dealt=dealt,
                started_at=now,
                deadline=deadline,
                curriculum_version=curriculum.version,
            )
    except IntegrityError:
        winner = (
            Attempt.objects.for_tenant(quiz.tenant_id)
            .filter(quiz=quiz, membership=membership, state=Attempt.State.IN_PROGRESS)
            .first()
        )
        if winner is None:
            raise Conflict(
                _("Another attempt was started at the same time. Please try again."),
                code="attempt_race",
            ) from None
        return winner


def _lock(attempt_id: int) -> Attempt:
    return Attempt.objects.select_for_update().get(pk=attempt_id)


def _write_answers(attempt: Attempt, responses: dict[int, dict], now: datetime) -> None:
    """Save ``{question id: response}`` with one INSERT ... ON CONFLICT DO UPDATE, whatever the
    number: autosave is the hottest write of an exam hall (update_or_create would spend a
    savepoint, a locking SELECT and a second statement per answer), and a submit carries the
    whole page."""
    if not responses:
        return
    AttemptAnswer.objects.bulk_create(
        [
            AttemptAnswer(
                tenant_id=attempt.tenant_id,
                attempt=attempt,
                question_id=question_id,
                response=response,
                saved_at=now,
            )
            for question_id, response in responses.items()
        ],
        update_conflicts=True,
        unique_fields=["attempt", "question_id"],
        update_fields=["response", "saved_at"],
    )


def save_answer(
    *,
    attempt: Attempt,
    membership: Membership,
    question_id,
    response: dict,
    expected_revision: int | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Autosave one answer (saved at ``now``, judged against the deadline at ``now``); returns
    ``attempt`` itself with its new ``revision`` (and state and deadline as locked).

    Refused (nothing written): another agent's attempt (NotFound), a question not dealt or a
    choice not of the question (InvalidInput), a closed attempt (Conflict ``attempt_closed``) or
    an answer arriving after ``deadline + grace`` (Conflict ``deadline_passed``)."""
    _own_or_404(attempt, membership)
    item = dealt_item(attempt, question_id)
    cleaned = clean_response(item, response)
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the attempt and read only what can change under us; the dealt questions were
        # frozen when it started, so ``attempt``'s own are the ones to check against.
        locked = (
            Attempt.objects.select_for_update()
            .only("state", "deadline", "revision")
            .get(pk=attempt.pk)
        )
        _check_open(locked, now)
        _check_revision(locked, expected_revision)
        _write_answers(attempt, {item["id"]: cleaned}, now)
        locked.revision += 1
        locked.save(update_fields=["revision"])
    # The caller's instance with what the lock read, so a following save or submit starts there.
    attempt.state = locked.state
    attempt.deadline = locked.deadline
    attempt.revision = locked.revision
    return attempt


def _check_revision(locked: Attempt, expected_revision: int | None) -> None:
    if expected_revision is not None and int(expected_revision) != locked.revision:
        raise Conflict(
            _(
                "Your answers were changed in another window since this page was loaded. "
                "Reload the page, check your answers and submit again."
            ),
            code="stale_answers",
            details={"revision": locked.revision},
        )


def _check_open(locked: Attempt, now: datetime) -> None:
    if locked.state != Attempt.State.IN_PROGRESS:
        raise Conflict(
            _("This attempt is already finished; the answer was not saved."),
            code="attempt_closed",
        )
    if not accepts_answers(locked, now):
        raise Conflict(
            _("Time is up: the answer arrived after the deadline and was not saved."),
            code="deadline_passed",
        )


def submit_attempt(
    *,
    attempt: Attempt,
    membership: Membership,
    answers: dict | None = None,
    expected_revision: int | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Hand in an attempt, optionally with the page's answers, and grade it (finished at ``now``,
    judged against the deadline at ``now``).

    Idempotent: a second submit (double click, another tab) returns the already graded attempt.
    Stale pages: when ``expected_revision`` is given and answers were saved elsewhere since the
    page was rendered, nothing is applied and Conflict ``stale_answers`` is raised. After
    ``deadline + grace`` the submitted answers are ignored and the attempt is closed as EXPIRED,
    graded on what was saved before."""
    _own_or_404(attempt, membership)
    cleaned = {}
    for question_id, response in (answers or {}).items():
        item = dealt_item(attempt, question_id)
        cleaned[item["id"]] = clean_response(item, response)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(attempt.pk)
        if locked.state != Attempt.State.IN_PROGRESS:
            return locked
        if not accepts_answers(locked, now):
            _grade(locked, state=Attempt.State.EXPIRED, now=now)
            return locked
        _check_revision(locked, expected_revision)
        _write_answers(locked, cleaned, now)
        if cleaned:
            locked.revision += 1
        _grade(locked, state=Attempt.State.GRADED, now=now)
    return locked


def finish_expired(*, attempt_id: int, now: datetime | None = None) -> Attempt | None:
    """Close one attempt past ``deadline + grace`` as EXPIRED, graded on its saved answers.
    Safe to run twice or concurrently with a submit: the row lock decides, it grades once."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
        if locked is None or locked.state != Attempt.State.IN_PROGRESS:
            return locked
        if accepts_answers(locked, now):
            return locked
        _grade(locked, state=Attempt.State.EXPIRED, now=now)
        return locked


def close_overdue_attempts(*, now: datetime | None = None, batch: int = 200) -> int:
    """Periodic sweep: claim up to ``batch`` open attempts past ``deadline + grace`` (rows locked
    by another sweep or a submit are skipped) and grade them on their saved answers as EXPIRED.
    Two sweeps running at once grade every attempt once. Returns how many were closed."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = list(
            Attempt.objects.select_for_update(skip_locked=True)
            .filter(state=Attempt.State.IN_PROGRESS, deadline__lt=now - grace())
            .order_by("deadline")[:batch]
        )
        for attempt in claimed:
            _grade(attempt, state=Attempt.State.EXPIRED, now=now)
    return len(claimed)


def _grade(locked: Attempt, *, state: str, now: datetime) -> None:
    """Grade a locked, open attempt from its saved answers and the dealt snapshot."""
    answers = {a.question_id: a for a in AttemptAnswer.objects.filter(attempt_id=locked.pk)}
    score = Decimal(0)
    max_score = Decimal(0)
    for item in locked.dealt:
        answer = answers.get(item["id"])
        points = grade_item(item, answer.response if answer else None)
        max_score += Decimal(item["points"])
        score += points
        if answer is not None:
            answer.points = points
    AttemptAnswer.objects.bulk_update(list(answers.values()), ["points"])
    pass_mark = Quiz.objects.values_list("pass_mark_percent", flat=True).get(pk=locked.quiz_id)
    percent = (score * 100 / max_score).quantize(CENT) if max_score else Decimal(0)
    locked.state = state
    locked.finished_at = now
    locked.score = score
    locked.max_score = max_score
    locked.percent = percent
    locked.passed = percent >= pass_mark
    locked.save(
        update_fields=[
            "state",
            "finished_at",
            "score",
            "max_score",
            "percent",
            "passed",
            "revision",
        ]
    )
    logger.info("training.graded attempt=%s state=%s percent=%s", locked.pk, state, locked.percent)
    if locked.passed:
        from .services import after_quiz_passed

        after_quiz_passed(attempt=locked)


def review_items(attempt: Attempt) -> list[dict]:
    """The graded attempt question by question, for the result page: the dealt question, the
    saved response, points, the expected answer and explanation (the view applies the quiz's
    review policy)."""
    answers = {a.question_id: a for a in attempt.answers.all()}
    items = []
    for item in attempt.dealt:
        answer = answers.get(item["id"])
        response = answer.response if answer else {}
        picked = set(response.get("choices") or []) | (
            {response["choice"]} if response.get("choice") is not None else set()
        )
        expected = correct_response(item)
        right_ids = set(expected.get("choices") or []) | (
            {expected["choice"]} if expected.get("choice") is not None else set()
        )
        items.append(
            {
                "item": item,
                "response": response,
                "text_answer": response.get("text", response.get("value", "")),
                "choices": [
                    {
                        **c,
                        "text": choice_text(item, c),
                        "picked": c["id"] in picked,
                        "right": c["id"] in right_ids,
                    }
                    for c in item["choices"]
                ],
                "expected": expected,
                "points": answer.points if answer and answer.points is not None else Decimal(0),
                "max_points": Decimal(item["points"]),
            }
        )
    return items
