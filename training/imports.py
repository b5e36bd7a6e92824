"""Import and export of the question bank (Moodle XML, GIFT, CSV).

A file is imported whole or not at all: it is parsed and checked completely before anything is
written, every problem is reported with its line (GIFT, CSV) or element path (XML), and the
writes run in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.errors import InvalidInput

from . import formats
from .formats import FormatError, ImportFileInvalid, ParsedChoice, ParsedQuestion
from .models import Choice, Question, QuestionCategory

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024


class QuestionImportRejected(InvalidInput):
    """The file was refused; ``details`` lists ``{"location", "message"}`` for every error."""

    code = "import_rejected"

    @property
    def errors(self) -> list[FormatError]:
        return [FormatError(d["location"], d["message"]) for d in self.details or []]


@dataclass
class ImportResult:
    created: int = 0
    categories: list[str] = field(default_factory=list)
    question_ids: list[int] = field(default_factory=list)


def _reject(errors: list[FormatError], *, code: str = "import_rejected") -> QuestionImportRejected:
    return QuestionImportRejected(
        _("The file was not imported: %(count)d error(s) found.") % {"count": len(errors)},
        code=code,
        details=[e.as_dict() for e in errors],
    )


def max_import_bytes() -> int:
    return int(getattr(settings, "QUESTION_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_size(size: int) -> None:
    """Refuses a file above ``QUESTION_IMPORT_MAX_BYTES`` (views call it before reading)."""
    limit = max_import_bytes()
    if size > limit:
        raise _reject(
            [
                FormatError(
                    _("file"),
                    _("The file is %(size)s KB; at most %(max)s KB can be imported at once.")
                    % {"size": (size + 1023) // 1024, "max": limit // 1024},
                )
            ],
            code="import_too_large",
        )


@transaction.atomic
def import_questions(
    *, tenant, data: bytes, fmt: str, category_name: str | None, actor
) -> ImportResult:
    """Adds every question of the file to ``tenant``'s bank, or nothing.

    ``category_name`` (if given) receives all questions; otherwise each goes to the category the
    file names (``$CATEGORY:``, Moodle category questions, the CSV column) and questions without
    one to "Imported questions". Categories are created as needed. Raises
    ``QuestionImportRejected`` (an ``InvalidInput``) listing every error; no row is written then.
    """
    if fmt not in formats.FORMATS:
        raise InvalidInput(
            _("Unknown import format “%(format)s”.") % {"format": fmt}, code="import_format"
        )
    check_size(len(data))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _reject([FormatError(_("file"), _("The file is empty."))], code="import_empty")
    try:
        parsed = formats.parse(data, fmt)
    except ImportFileInvalid as exc:
        raise _reject(exc.errors) from None
    if not parsed:
        raise _reject(
            [FormatError(_("file"), _("The file contains no questions."))], code="import_empty"
        )
    default = category_name.strip() if category_name else None
    names = []
    for question in parsed:
        name = default or question.category or str(_("Imported questions"))
        question.category = name
        if name not in names:
            names.append(name)
    categories = {}
    for name in names:
        categories[name], _created = QuestionCategory.objects.get_or_create(
            tenant=tenant, name=name
        )
    rows = Question.objects.bulk_create(
        [
            Question(
                tenant=tenant,
                category=categories[q.category],
                qtype=q.qtype,
                name=q.name,
                text=q.text,
                points=q.points,
                explanation=q.explanation,
                partial_credit=q.partial_credit,
                numeric_answer=q.numeric_answer,
                tolerance=q.tolerance,
            )
            for q in parsed
        ]
    )
    Choice.objects.bulk_create(
        [
            Choice(
                tenant=tenant,
                question=row,
                position=position,
                text=choice.text,
                fraction=choice.fraction,
                feedback=choice.feedback,
            )
            for row, q in zip(rows, parsed, strict=True)
            for position, choice in enumerate(q.choices)
        ]
    )
    logger.info(
        "training.questions_imported tenant=%s actor=%s format=%s count=%d",
        tenant.pk,
        getattr(actor, "pk", None),
        fmt,
        len(rows),
    )
    return ImportResult(created=len(rows), categories=names, question_ids=[row.pk for row in rows])


def _lines(text: str) -> str:
    # Browsers send \r\n; files carry \n (XML parsers normalise line ends anyway).
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parsed(row: dict, choices: list[tuple]) -> ParsedQuestion:
    return ParsedQuestion(
        qtype=row["qtype"],
        text=_lines(row["text"]),
        name=row["name"],
        points=Decimal(row["points"]),
        explanation=_lines(row["explanation"]),
        partial_credit=row["partial_credit"],
        numeric_answer=row["numeric_answer"],
        tolerance=Decimal(row["tolerance"] or 0),
        choices=[ParsedChoice(_lines(t), Decimal(f), _lines(fb)) for t, f, fb in choices],
        category=row["category__name"],
    )


def to_parsed(question: Question) -> ParsedQuestion:
    """The format-neutral form of a stored question (choices must be prefetched)."""
    row = {name: getattr(question, name) for name in QUESTION_FIELDS}
    row["category__name"] = question.category.name
    ordered = sorted(question.choices.all(), key=lambda c: (c.position, c.pk))
    return _parsed(row, [(c.text, c.fraction, c.feedback) for c in ordered])


EXPORT_CHUNK = 5000
QUESTION_FIELDS = [
    "pk",
    "qtype",
    "name",
    "text",
    "points",
    "explanation",
    "partial_credit",
    "numeric_answer",
    "tolerance",
]


def export_questions(*, tenant, questions, fmt: str) -> bytes:
    """The file of ``questions`` (only those of ``tenant``) in ``fmt``, grouped by category;
    importing it again gives equal questions."""
    if fmt not in formats.FORMATS:
        raise InvalidInput(
            _("Unknown export format “%(format)s”.") % {"format": fmt}, code="export_format"
        )
    # Plain values, read in chunks of ids: no model instances, and no parameter-count limit.
    ids = (
        list(questions.values_list("pk", flat=True))
        if isinstance(questions, QuerySet)
        else [q.pk for q in questions]
    )
    rows: list[dict] = []
    choices: dict[int, list[tuple]] = {}
    for start in range(0, len(ids), EXPORT_CHUNK):
        part = ids[start : start + EXPORT_CHUNK]
        rows += (
            Question.objects.for_tenant(tenant)
            .filter(pk__in=part)
            .values(*QUESTION_FIELDS, "category__name")
        )
        for question_id, *choice in (
            Choice.objects.for_tenant(tenant)
            .filter(question_id__in=part)
            .order_by("question_id", "position", "pk")
            .values_list("question_id", "text", "fraction", "feedback")
        ):
            choices.setdefault(question_id, []).append(choice)
    rows.sort(key=lambda row: (row["category__name"], row["pk"]))
    return formats.export([_parsed(row, choices.get(row["pk"], [])) for row in rows], fmt)
