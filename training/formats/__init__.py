"""Question import/export formats: Moodle XML, GIFT and CSV, all mapped to ``ParsedQuestion``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import csv_format, gift, moodle_xml
from .common import FormatError, ImportFileInvalid, ParsedChoice, ParsedQuestion

FORMATS = {
    "moodle_xml": (_("Moodle XML"), moodle_xml, "xml", "application/xml"),
    "gift": (_("GIFT"), gift, "gift.txt", "text/plain; charset=utf-8"),
    "csv": (_("CSV"), csv_format, "csv", "text/csv; charset=utf-8"),
}
FORMAT_CHOICES = [(key, label) for key, (label, *_rest) in FORMATS.items()]


def parse(data: bytes, fmt: str) -> list[ParsedQuestion]:
    """Every question of the file, or ``ImportFileInvalid`` listing every error found."""
    questions, errors = FORMATS[fmt][1].parse(data)
    if errors:
        raise ImportFileInvalid(errors)
    return questions


def export(questions: list[ParsedQuestion], fmt: str) -> bytes:
    return FORMATS[fmt][1].export(questions)


__all__ = [
    "FORMATS",
    "FORMAT_CHOICES",
    "FormatError",
    "ImportFileInvalid",
    "ParsedChoice",
    "ParsedQuestion",
    "export",
    "parse",
]
