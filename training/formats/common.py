"""The format-neutral shape of an imported question, its checks and the import error list.

Every parser turns a file into ``ParsedQuestion`` objects (or a list of ``FormatError``), and every
exporter turns ``ParsedQuestion`` objects back into a file, so the checks below apply to all
formats alike and a round trip compares like with like."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html.parser import HTMLParser

from django.utils.translation import get_language
from django.utils.translation import gettext as _

MAX_ANSWERS = 100
MAX_NAME = 200
MAX_CATEGORY = 120
MAX_POINTS = Decimal("9999.99")
MAX_NUMBER = Decimal("999999999999")

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "truefalse"
SHORT = "short"
NUMERIC = "numeric"
TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERIC)
TRUE_TEXT = "True"
FALSE_TEXT = "False"


@dataclass
class FormatError:
    """One problem in an import file: where (``line 12``, ``/quiz/question[3]/answer[2]``) and
    why (translated)."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"

    def as_dict(self) -> dict:
        return {"location": self.location, "message": self.message}


class ImportFileInvalid(Exception):
    """The file is rejected as a whole; ``errors`` lists every problem found."""

    def __init__(self, errors: list[FormatError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class ParsedChoice:
    text: str
    fraction: Decimal = Decimal(0)
    feedback: str = ""


@dataclass
class ParsedQuestion:
    qtype: str
    text: str
    name: str = ""
    points: Decimal = Decimal(1)
    explanation: str = ""
    partial_credit: bool = False
    numeric_answer: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    choices: list[ParsedChoice] = field(default_factory=list)
    category: str | None = None
    location: str = ""

    def key(self) -> tuple:
        """What must survive a round trip (used by tests and duplicate checks)."""
        return (
            self.qtype,
            self.name,
            self.text,
            norm_decimal(self.points),
            self.explanation,
            self.partial_credit,
            None if self.numeric_answer is None else norm_decimal(self.numeric_answer),
            norm_decimal(self.tolerance),
            tuple((c.text, norm_decimal(c.fraction), c.feedback) for c in self.choices),
            self.category,
        )


def norm_decimal(value: Decimal) -> Decimal:
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def fmt_decimal(value: Decimal) -> str:
    """Shortest plain notation: 2, 0.5, 33.333 (never 1E+1)."""
    value = norm_decimal(Decimal(value))
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


FRACTION_QUANT = Decimal("0.00001")


def percent_to_fraction(percent: Decimal) -> Decimal:
    """``50`` (%) → ``0.5``, kept to the five decimals a ``Choice.fraction`` stores."""
    return (Decimal(percent) / 100).quantize(FRACTION_QUANT, rounding=ROUND_HALF_UP)


def parse_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


_LINE_LABELS: dict[str | None, str] = {}


def line_label(number: int) -> str:
    """ "line 12", translated (the translation is looked up once per language)."""
    language = get_language()
    if language not in _LINE_LABELS:
        _LINE_LABELS[language] = _("line %(line)d")
    return _LINE_LABELS[language] % {"line": number}


def decode_text(data: bytes) -> tuple[str | None, list[FormatError]]:
    """UTF-8 with an optional byte-order mark; a wrong encoding names the first bad line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            FormatError(
                line_label(line),
                _("The file is not UTF-8 text (save it as UTF-8 and try again)."),
            )
        ]


def normalise_category(path: str) -> str:
    """Moodle category paths (``$course$/top/Telecom/Billing``) become ``Telecom/Billing``."""
    parts = [p.strip() for p in re.split(r"(?<!/)/(?!/)", path.strip()) if p.strip()]
    if parts and parts[0].startswith("$") and parts[0].endswith("$"):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(parts)


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCK and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Questions are stored as plain text: HTML from Moodle keeps its words and line breaks and
    loses its markup (images, styles and scripts do not travel)."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _texts(question: ParsedQuestion) -> list[str]:
    return [
        question.text,
        question.name,
        question.explanation,
        question.category or "",
        *(text for choice in question.choices for text in (choice.text, choice.feedback)),
    ]


def validate(question: ParsedQuestion) -> list[FormatError]:
    """The checks every format shares; each problem is reported at the question's location."""
    loc = question.location
    errors: list[str] = []
    if question.qtype not in TYPES:
        return [FormatError(loc, _("Unknown question type “%(type)s”.") % {"type": question.qtype})]
    if not question.text.strip():
        errors.append(_("The question has no text."))
    if any("\x00" in text for text in _texts(question)):
        # PostgreSQL text cannot hold it: refused here with its place, not by the database.
        errors.append(
            _("The question contains a NUL character (U+0000), which is never valid text.")
        )
    if len(question.name) > MAX_NAME:
        errors.append(_("The name is longer than %(max)d characters.") % {"max": MAX_NAME})
    if question.category is not None and len(question.category) > MAX_CATEGORY:
        errors.append(
            _("The category name is longer than %(max)d characters.") % {"max": MAX_CATEGORY}
        )
    if not (Decimal(0) < question.points <= MAX_POINTS):
        errors.append(_("Points must be greater than 0 and at most %(max)s.") % {"max": MAX_POINTS})
    if len(question.choices) > MAX_ANSWERS:
        errors.append(
            _("The question has %(count)d answers; at most %(max)d are allowed.")
            % {"count": len(question.choices), "max": MAX_ANSWERS}
        )
    for choice in question.choices:
        if not (Decimal(-1) <= choice.fraction <= Decimal(1)):
            errors.append(
                _(
                    "The answer “%(text)s” has a fraction of %(percent)s%%; it must be between "
                    "-100%% and 100%%."
                )
                % {"text": choice.text[:40], "percent": fmt_decimal(choice.fraction * 100)}
            )
        if not choice.text.strip():
            errors.append(_("An answer has no text."))
    positive = [c for c in question.choices if c.fraction > 0]
    if question.qtype in (SINGLE, MULTIPLE, SHORT):
        if question.qtype != SHORT and len(question.choices) < 2:
            errors.append(_("A choice question needs at least two choices."))
        if question.qtype == SINGLE and not any(c.fraction == 1 for c in question.choices):
            errors.append(_("There is no correct answer (one answer must be worth 100%)."))
        elif not positive:
            errors.append(_("There is no correct answer."))
    elif question.qtype == TRUE_FALSE:
        if sorted(c.fraction for c in question.choices) != [0, 1]:
            errors.append(_("There is no correct answer (true or false)."))
    elif question.qtype == NUMERIC:
        if question.numeric_answer is None:
            errors.append(_("There is no correct answer (a number)."))
        elif abs(question.numeric_answer) > MAX_NUMBER:
            errors.append(_("The answer is too large."))
        if question.tolerance < 0:
            errors.append(_("The tolerance must not be negative."))
        elif question.tolerance > MAX_NUMBER:
            errors.append(_("The tolerance is too large."))
    return [FormatError(loc, message) for message in errors]


def true_false_choices(answer: bool, *, true_feedback: str = "", false_feedback: str = ""):
    return [
        ParsedChoice(TRUE_TEXT, Decimal(1 if answer else 0), true_feedback),
        ParsedChoice(FALSE_TEXT, Decimal(0 if answer else 1), false_feedback),
    ]


def true_false_answer(question: ParsedQuestion) -> bool:
    return any(c.text == TRUE_TEXT and c.fraction == 1 for c in question.choices)


def choice_feedback(question: ParsedQuestion, text: str) -> str:
    return next((c.feedback for c in question.choices if c.text == text), "")
