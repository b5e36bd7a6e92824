"""CSV, one question per row, UTF-8 (a byte-order mark, as Excel writes it, is fine), comma
separated, first row a header:

``category,type,name,text,points,explanation,partial_credit,answer,tolerance,``
``choice_1,percent_1,feedback_1,choice_2,percent_2,feedback_2,…``

- ``type``: ``single``, ``multiple``, ``truefalse``, ``short`` or ``numeric``.
- ``points`` defaults to 1; ``partial_credit`` is ``yes``/``no`` (multiple choice only).
- ``answer``: the number of a numeric question (with ``tolerance``), or ``true``/``false`` for a
  true/false question.
- ``choice_N``/``percent_N``/``feedback_N``: choices (or accepted short answers, ``*`` wildcard)
  with the share of the points they earn in percent (-100…100; empty is 0). True/false questions
  may list ``True`` and ``False`` here to carry feedback.
- Up to 100 choice groups; trailing empty groups are ignored.
- Text cells starting with ``= + - @`` are written with a leading ``'`` so spreadsheets do not run
  them as formulas; one leading ``'`` of a text cell is dropped on import."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _

from .common import (
    FALSE_TEXT,
    MAX_ANSWERS,
    NUMERIC,
    TRUE_FALSE,
    TRUE_TEXT,
    TYPES,
    FormatError,
    ParsedChoice,
    ParsedQuestion,
    decode_text,
    fmt_decimal,
    line_label,
    parse_decimal,
    percent_to_fraction,
    true_false_answer,
    true_false_choices,
    validate,
)

BASE = [
    "category",
    "type",
    "name",
    "text",
    "points",
    "explanation",
    "partial_credit",
    "answer",
    "tolerance",
]
GROUP = ["choice", "percent", "feedback"]
TEXT_COLUMNS = {"category", "name", "text", "explanation"}
# Spreadsheets run cells starting with these as formulas: exports put a ' before them and
# imports drop one leading ' from text cells (so a text that starts with ' survives too).
FORMULA_START = ("=", "+", "-", "@", "'", "\t", "\r")


def _is_text_column(name: str) -> bool:
    return name in TEXT_COLUMNS or name.startswith(("choice_", "feedback_"))


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _unsafe(name: str, cell: str) -> str:
    return cell[1:] if _is_text_column(name) and cell.startswith("'") else cell


YES = {"yes", "y", "true", "1", "是"}
NO = {"no", "n", "false", "0", "否", ""}


def _header(count: int) -> list[str]:
    return BASE + [f"{g}_{n}" for n in range(1, count + 1) for g in GROUP]


def parse(data: bytes) -> tuple[list[ParsedQuestion], list[FormatError]]:
    text, errors = decode_text(data)
    if text is None:
        return [], errors
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = line_label
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return [], [FormatError(line(1), _("The file is empty."))]
    except csv.Error as exc:
        return [], [FormatError(line(1), _("Broken CSV: %(reason)s") % {"reason": exc})]
    groups = (len(header) - len(BASE)) // 3
    if header[: len(BASE)] != BASE or header != _header(groups)[: len(header)]:
        return [], [
            FormatError(
                line(1),
                _(
                    "The header must be “%(expected)s” followed by choice_N, percent_N, "
                    "feedback_N columns."
                )
                % {"expected": ",".join(BASE)},
            )
        ]
    if groups > MAX_ANSWERS:
        return [], [
            FormatError(line(1), _("At most %(max)d choice columns.") % {"max": MAX_ANSWERS})
        ]
    questions: list[ParsedQuestion] = []
    previous = reader.line_num
    while True:
        start = previous + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(FormatError(line(start), _("Broken CSV: %(reason)s") % {"reason": exc}))
            break
        previous = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            errors.append(
                FormatError(
                    line(start),
                    _("The row has %(count)d cells but the header only %(header)d.")
                    % {"count": len(row), "header": len(header)},
                )
            )
            continue
        cells = {name: _unsafe(name, cell.strip()) for name, cell in zip(header, row, strict=False)}
        question, problems = _row(cells, groups, line(start))
        errors.extend(problems)
        if question is not None:
            problems = validate(question)
            errors.extend(problems)
            if not problems:
                questions.append(question)
    if not questions and not errors:
        errors.append(FormatError(line(2), _("The file contains no questions.")))
    return questions, errors


def _row(cells: dict, groups: int, where: str):
    errors = []
    get = lambda key: cells.get(key, "")  # noqa: E731
    qtype = get("type").lower()
    if qtype not in TYPES:
        return None, [
            FormatError(where, _("Unknown question type “%(type)s”.") % {"type": get("type")})
        ]
    question = ParsedQuestion(
        qtype=qtype,
        text=get("text"),
        name=get("name"),
        explanation=get("explanation"),
        category=get("category") or None,
        location=where,
    )
    if get("points"):
        points = parse_decimal(get("points"))
        if points is None:
            errors.append(FormatError(where, _("Points must be a number.")))
        else:
            question.points = points
    partial = get("partial_credit").lower()
    if partial not in YES | NO:
        errors.append(FormatError(where, _("partial_credit must be yes or no.")))
    question.partial_credit = partial in YES
    for n in range(1, groups + 1):
        text, percent, feedback = (get(f"{g}_{n}") for g in GROUP)
        if not (text or percent or feedback):
            continue
        value = parse_decimal(percent) if percent else Decimal(0)
        if value is None:
            errors.append(FormatError(where, _("percent_%(n)d is not a number.") % {"n": n}))
            continue
        fraction = percent_to_fraction(value)
        question.choices.append(ParsedChoice(text, fraction, feedback))
    if qtype == NUMERIC:
        question.choices = []
        number = parse_decimal(get("answer")) if get("answer") else None
        tolerance = parse_decimal(get("tolerance") or "0")
        if get("answer") and number is None:
            errors.append(FormatError(where, _("The answer must be a number.")))
        if tolerance is None:
            errors.append(FormatError(where, _("The tolerance must be a number.")))
        question.numeric_answer, question.tolerance = number, tolerance or Decimal(0)
    elif qtype == TRUE_FALSE and not question.choices:
        answer = get("answer").lower()
        if answer in {"true", "t"} | YES - {"1"}:
            question.choices = true_false_choices(True)
        elif answer in {"false", "f"} | NO - {"", "0"}:
            question.choices = true_false_choices(False)
    elif qtype == TRUE_FALSE:
        texts = sorted(c.text.lower() for c in question.choices)
        if texts != ["false", "true"]:
            errors.append(FormatError(where, _("True/false choices must be True and False.")))
        for choice in question.choices:
            choice.text = TRUE_TEXT if choice.text.lower() == "true" else FALSE_TEXT
        question.choices.sort(key=lambda c: c.text != TRUE_TEXT)
    if qtype != "multiple":
        question.partial_credit = False
    return (None, errors) if errors else (question, [])


def export(questions: list[ParsedQuestion]) -> bytes:
    groups = max((len(q.choices) for q in questions if q.qtype != NUMERIC), default=1)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_header(groups))
    for q in questions:
        answer = ""
        if q.qtype == NUMERIC:
            answer = fmt_decimal(q.numeric_answer)
        elif q.qtype == TRUE_FALSE:
            answer = "true" if true_false_answer(q) else "false"
        row = [
            _safe(q.category or ""),
            q.qtype,
            _safe(q.name),
            _safe(q.text),
            fmt_decimal(q.points),
            _safe(q.explanation),
            "yes" if q.partial_credit else "no",
            answer,
            fmt_decimal(q.tolerance) if q.qtype == NUMERIC else "",
        ]
        if q.qtype != NUMERIC:
            for c in q.choices:
                row += [_safe(c.text), fmt_decimal(c.fraction * 100), _safe(c.feedback)]
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
