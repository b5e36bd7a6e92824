"""GIFT, Moodle's plain-text question format.

Supported: single choice (``=right ~wrong``), multiple choice with weights (``~%50%a ~%-100%b``,
no ``=``), true/false (``{T}``, ``{FALSE}``, optional ``#wrong#right`` feedback), short answer
(``{=a =b*}``), numeric (``{#3.14:0.01}``, ``{#1..5}``, ``{#=3:0.1 ~%0%4}``), titles ``::t::``,
general feedback ``####``, ``$CATEGORY:`` lines, ``//`` comments, text formats ``[html]``,
``[plain]``, ``[markdown]`` and the escapes ``\\~ \\= \\# \\{ \\} \\: \\n \\\\``.

GIFT cannot say how many points a question is worth nor that a multiple-choice question is
all-or-nothing; two comment lines carry them (other GIFT readers ignore comments):
``// @points 2`` and ``// @all-or-nothing``."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext as _

from .common import (
    MULTIPLE,
    NUMERIC,
    SHORT,
    SINGLE,
    TRUE_FALSE,
    FormatError,
    ParsedChoice,
    ParsedQuestion,
    choice_feedback,
    decode_text,
    fmt_decimal,
    html_to_text,
    normalise_category,
    parse_decimal,
    percent_to_fraction,
    true_false_answer,
    true_false_choices,
    validate,
)

SPECIAL = "~=#{}:"
_WEIGHT = re.compile(r"^%(-?[0-9]+(?:\.[0-9]+)?)%")
_FORMAT = re.compile(r"^\[(html|plain|markdown|moodle)\]")


class _Block:
    """Consecutive non-blank lines; maps a character offset back to its file line."""

    def __init__(self, lines: list[tuple[int, str]], label: str = "line %(line)d"):
        self.lines = lines
        self.label = label
        self.text = "\n".join(text for _n, text in lines)

    def line_at(self, offset: int) -> int:
        seen = 0
        for number, text in self.lines:
            seen += len(text) + 1
            if offset < seen:
                return number
        return self.lines[-1][0]

    def where(self, offset: int = 0) -> str:
        return self.label % {"line": self.line_at(offset)}


_ESCAPED = r"\\."  # a backslash and the character it escapes


@lru_cache(maxsize=64)
def _pattern(alternative: str) -> re.Pattern:
    return re.compile(f"{_ESCAPED}|{alternative}", re.DOTALL)


def _unescaped(text: str, chars: str, start: int = 0) -> list[int]:
    """Offsets of the characters of ``chars`` in ``text`` that are not backslash-escaped."""
    pattern = _pattern(f"[{re.escape(chars)}]")
    return [m.start() for m in pattern.finditer(text, start) if m.group()[0] != "\\"]


def _find(text: str, needle: str, start: int = 0) -> int:
    """Offset of the first ``needle`` at or after ``start`` that is not escaped, or -1."""
    for match in _pattern(re.escape(needle)).finditer(text, start):
        if match.group()[0] != "\\":
            return match.start()
    return -1


_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), text).strip()


def escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in SPECIAL:
        text = text.replace(char, "\\" + char)
    # "->" would make the answers look like a matching question.
    text = text.replace("->", "-\\>")
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _percent(value: str) -> Decimal:
    return percent_to_fraction(Decimal(value))


def _blocks(text: str) -> list[_Block]:
    blocks, current = [], []
    # Only \n ends a line: other separators (\u2028, \x0c, …) are part of the text.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        current.append((number, line))
    if current:
        blocks.append(current)
    return [_Block(b) for b in blocks]


def parse(data: bytes) -> tuple[list[ParsedQuestion], list[FormatError]]:
    text, errors = decode_text(data)
    if text is None:
        return [], errors
    questions: list[ParsedQuestion] = []
    category: str | None = None
    label = _("line %(line)d")  # looked up once, used for every location
    for block in _blocks(text):
        directives: list[str] = []
        content: list[tuple[int, str]] = []
        for number, line in block.lines:
            stripped = line.strip()
            if stripped.startswith("//"):
                directive = stripped[2:].strip()
                if directive.startswith("@"):
                    directives.append(directive[1:].strip())
                continue
            if not content and stripped.upper().startswith("$CATEGORY:"):
                category = normalise_category(stripped[len("$CATEGORY:") :]) or None
                continue
            content.append((number, line))
        if not content:
            continue
        question, problems = _parse_question(_Block(content, label), directives)
        errors.extend(problems)
        if question is not None:
            question.category = category
            problems = validate(question)
            errors.extend(problems)
            if not problems:
                questions.append(question)
    return questions, errors


def _parse_question(block: _Block, directives: list[str]):
    raw = block.text
    error = lambda offset, message: (None, [FormatError(block.where(offset), message)])  # noqa: E731
    question = ParsedQuestion(qtype="", text="", location=block.where(0))
    for directive in directives:
        name, _sep, value = directive.partition(" ")
        if name == "points":
            points = parse_decimal(value)
            if points is None:
                return error(0, _("“@points” needs a number."))
            question.points = points
        elif name == "all-or-nothing":
            question.partial_credit = None  # decided below, once the type is known
    pos = 0
    stripped = raw.lstrip()
    pos = len(raw) - len(stripped)
    if raw.startswith("::", pos):
        end = _find(raw, "::", pos + 2)
        if end < 0:
            return error(pos, _("The title is not closed with “::”."))
        question.name = unescape(raw[pos + 2 : end])
        pos = end + 2
    opening = _unescaped(raw, "{", pos)
    if not opening:
        return error(pos, _("The question has no answer block “{…}”."))
    start = opening[0]
    closing = _unescaped(raw, "}", start)
    if not closing:
        return error(start, _("The answer block is not closed with “}”."))
    end = closing[0]
    before, after = raw[pos:start], raw[end + 1 :]
    text_format = "moodle"
    match = _FORMAT.match(before.strip())
    if match:
        text_format = match.group(1)
        before = before.strip()[match.end() :]
    text = unescape(before)
    if unescape(after):
        text = f"{text} _____ {unescape(after)}"
    question.text = html_to_text(text) if text_format == "html" else text
    all_or_nothing = question.partial_credit is None
    question.partial_credit = False
    problems = _parse_answers(question, block, raw[start + 1 : end], start + 1)
    if problems:
        return None, problems
    if question.qtype == MULTIPLE:
        question.partial_credit = not all_or_nothing
    return question, []


def _parse_answers(question: ParsedQuestion, block: _Block, body: str, offset: int):
    general = _find(body, "####")
    if general >= 0:
        question.explanation = unescape(body[general + 4 :])
        body = body[:general]
    content = body.strip()
    lead = offset + len(body) - len(body.lstrip())
    where = block.where(lead)
    if not content:
        return [FormatError(where, _("Essay questions (empty answer block) are not supported."))]
    if content.startswith("#"):
        return _numeric(question, block, body, lead + 1)
    if _unescaped(content, "~"):
        return _choices(question, block, body, offset)
    if _find(content, "->") >= 0:
        return [FormatError(where, _("Matching questions are not supported."))]
    tf = [unescape(p) for p in _split_feedback(content)]
    if tf[0].upper() in {"T", "TRUE", "F", "FALSE"}:
        if len(tf) > 3:
            return [FormatError(where, _("A true/false answer takes at most two feedbacks."))]
        answer = tf[0].upper().startswith("T")
        wrong_fb = tf[1] if len(tf) > 1 else ""
        right_fb = tf[2] if len(tf) > 2 else ""
        question.qtype = TRUE_FALSE
        question.choices = true_false_choices(
            answer,
            true_feedback=right_fb if answer else wrong_fb,
            false_feedback=wrong_fb if answer else right_fb,
        )
        return []
    question.qtype = SHORT
    return _choices(question, block, body, offset)


def _split_feedback(text: str) -> list[str]:
    parts, last = [], 0
    for i in _unescaped(text, "#"):
        parts.append(text[last:i])
        last = i + 1
    parts.append(text[last:])
    return parts


def _tokens(body: str, markers: str):
    """(offset, marker, text) for every answer introduced by an unescaped marker."""
    marks = _unescaped(body, markers)
    out = []
    for n, i in enumerate(marks):
        end = marks[n + 1] if n + 1 < len(marks) else len(body)
        out.append((i, body[i], body[i + 1 : end]))
    return out, (body[: marks[0]] if marks else body)


def _weighted(text: str):
    text = text.lstrip()
    match = _WEIGHT.match(text)
    if match:
        return _percent(match.group(1)), text[match.end() :]
    return None, text


def _choices(question: ParsedQuestion, block: _Block, body: str, offset: int):
    tokens, stray = _tokens(body, "=~")
    errors = []
    if stray.strip():
        errors.append(
            FormatError(
                block.where(offset),
                _("Unexpected text “%(text)s” before the first answer.")
                % {"text": stray.strip()[:40]},
            )
        )
    if question.qtype != SHORT:
        question.qtype = SINGLE if any(m == "=" for _i, m, _t in tokens) else MULTIPLE
    for i, marker, text in tokens:
        weight, text = _weighted(text)
        if marker == "~" and question.qtype == SHORT:
            weight = weight or Decimal(0)
        fraction = weight if weight is not None else Decimal(1 if marker == "=" else 0)
        answer, feedback = _answer_feedback(text)
        if not answer:
            errors.append(FormatError(block.where(offset + i), _("An answer has no text.")))
            continue
        question.choices.append(ParsedChoice(answer, fraction, feedback))
    return errors


def _answer_feedback(text: str):
    parts = _split_feedback(text)
    return unescape(parts[0]), unescape("#".join(parts[1:]))


def _number_and_tolerance(text: str):
    text = text.strip()
    if ".." in text:
        low, _sep, high = text.partition("..")
        low_v, high_v = parse_decimal(low), parse_decimal(high)
        if low_v is None or high_v is None or low_v > high_v:
            return None
        return (low_v + high_v) / 2, (high_v - low_v) / 2
    value, _sep, tolerance = text.partition(":")
    number = parse_decimal(value)
    tol = parse_decimal(tolerance) if tolerance else Decimal(0)
    if number is None or tol is None:
        return None
    return number, tol


def _numeric(question: ParsedQuestion, block: _Block, body: str, offset: int):
    question.qtype = NUMERIC
    inner = body.strip()[1:]

    def bad(i, t):
        return FormatError(
            block.where(offset + i),
            _("“%(text)s” is not a number, a number:tolerance or a min..max range.")
            % {"text": unescape(t)[:40]},
        )

    if not _unescaped(inner, "=~"):
        parts = _split_feedback(inner)
        parsed = _number_and_tolerance(unescape(parts[0]))
        if parsed is None:
            return [bad(0, parts[0])]
        question.numeric_answer, question.tolerance = parsed
        return []
    tokens, _stray = _tokens(inner, "=~")
    errors = []
    for i, marker, text in tokens:
        weight, text = _weighted(text)
        fraction = weight if weight is not None else Decimal(1 if marker == "=" else 0)
        value = unescape(_split_feedback(text)[0])
        if fraction == 0:
            continue  # a wrong-answer feedback entry; nothing to store
        if fraction != 1:
            errors.append(
                FormatError(
                    block.where(offset + i),
                    _("Partial credit for numeric answers is not supported."),
                )
            )
            continue
        parsed = _number_and_tolerance(value)
        if parsed is None:
            errors.append(bad(i, value))
            continue
        if question.numeric_answer is not None:
            errors.append(
                FormatError(block.where(offset + i), _("Only one correct number is supported."))
            )
            continue
        question.numeric_answer, question.tolerance = parsed
    return errors


def export(questions: list[ParsedQuestion]) -> bytes:
    out: list[str] = []
    category = object()
    for q in questions:
        if q.category != category and q.category:
            out.append(f"$CATEGORY: $course$/top/{q.category}\n")
        category = q.category
        if q.points != 1:
            out.append(f"// @points {fmt_decimal(q.points)}")
        if q.qtype == MULTIPLE and not q.partial_credit:
            out.append("// @all-or-nothing")
        head = f"::{escape(q.name)}::" if q.name else ""
        # A text that starts with "[" would be read as a format marker ("[html]…"): say "plain".
        marker = "[plain]" if q.text.startswith("[") else ""
        body = escape(q.text)
        if not (head or marker) and body.startswith("//"):
            body = "\\" + body  # not a comment line
        out.append(f"{head}{marker}{body} {{")
        out.extend(_export_answers(q))
        if q.explanation:
            out.append(f"\t####{escape(q.explanation)}")
        out.append("}\n")
    return "\n".join(out).encode("utf-8")


def _fb(text: str) -> str:
    return f"#{escape(text)}" if text else ""


def _export_answers(q: ParsedQuestion) -> list[str]:
    if q.qtype == TRUE_FALSE:
        answer = true_false_answer(q)
        right = choice_feedback(q, "True" if answer else "False")
        wrong = choice_feedback(q, "False" if answer else "True")
        fb = f"#{escape(wrong)}#{escape(right)}" if (wrong or right) else ""
        return [f"\t{'TRUE' if answer else 'FALSE'}{fb}"]
    if q.qtype == NUMERIC:
        return [f"\t#{fmt_decimal(q.numeric_answer)}:{fmt_decimal(q.tolerance)}"]
    lines = []
    first_right = next((c for c in q.choices if c.fraction == 1), None)
    for c in q.choices:
        pct = fmt_decimal(c.fraction * 100)
        if q.qtype == SHORT:
            marker = "=" if c.fraction == 1 else f"=%{pct}%"
        elif q.qtype == SINGLE and c.fraction == 1 and c is first_right:
            marker = "="  # exactly one "=" (and a "~" for any other) reads back as single choice
        elif c.fraction == 0:
            marker = "~"
        else:
            marker = f"~%{pct}%"
        lines.append(f"\t{marker}{escape(c.text)}{_fb(c.feedback)}")
    return lines
