"""Moodle XML, read with defusedxml (no DTDs, entities or external references: XML bombs are
refused) and written with the standard library.

Supported question types: ``multichoice`` (``<single>`` true or false, fractions per answer),
``multichoiceset`` (all-or-nothing multiple choice, a common Moodle plugin), ``truefalse``,
``shortanswer``, ``numerical`` (one 100 % answer with its tolerance; 0 % answers are feedback and
are skipped) and ``category`` pseudo-questions that set the category of the questions after them.
Text in ``html`` (or ``moodle_auto_format``) is stored as plain text: the words and line breaks are
kept, markup and images are dropped. Exports use ``plain_text``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - writing only; reading goes through defusedxml
from decimal import Decimal

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

from .common import (
    FALSE_TEXT,
    MULTIPLE,
    NUMERIC,
    SHORT,
    SINGLE,
    TRUE_FALSE,
    TRUE_TEXT,
    FormatError,
    ParsedChoice,
    ParsedQuestion,
    fmt_decimal,
    html_to_text,
    normalise_category,
    parse_decimal,
    percent_to_fraction,
    validate,
)

HTML_FORMATS = {"html", "moodle_auto_format"}
SUPPORTED = {"multichoice", "multichoiceset", "truefalse", "shortanswer", "numerical"}


def _text(element, path: str = "text", *, html_default: bool = False) -> str:
    """The ``<text>`` of ``element`` as plain text, decoding HTML if the format says so."""
    if element is None:
        return ""
    node = element.find(path) if path else element
    raw = (node.text or "") if node is not None else ""
    text_format = element.get("format", "html" if html_default else "plain_text")
    return html_to_text(raw) if text_format in HTML_FORMATS else raw.strip()


def parse(data: bytes) -> tuple[list[ParsedQuestion], list[FormatError]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        return [], [
            FormatError(
                _("document"),
                _("The XML declares a DTD or entities, which are not allowed in imports."),
            )
        ]
    except ET.ParseError as exc:
        line, column = exc.position
        return [], [
            FormatError(
                _("line %(line)d, column %(column)d") % {"line": line, "column": column},
                _("The file is not well-formed XML (%(reason)s).")
                % {"reason": str(exc).split(":")[0]},
            )
        ]
    if root.tag != "quiz":
        return [], [FormatError(f"/{root.tag}", _("The root element must be <quiz>."))]
    questions, errors = [], []
    category: str | None = None
    for index, element in enumerate(root.findall("question"), start=1):
        path = f"/quiz/question[{index}]"
        qtype = element.get("type", "")
        if qtype == "category":
            category = normalise_category(_text(element.find("category"))) or None
            continue
        if qtype not in SUPPORTED:
            errors.append(
                FormatError(path, _("Unknown question type “%(type)s”.") % {"type": qtype})
            )
            continue
        question, problems = _question(element, qtype, path)
        errors.extend(problems)
        if question is None:
            continue
        question.category = category
        problems = validate(question)
        errors.extend(problems)
        if not problems:
            questions.append(question)
    return questions, errors


def _fraction(answer, path: str, errors: list[FormatError]) -> Decimal | None:
    raw = answer.get("fraction", "0")
    value = parse_decimal(raw)
    if value is None:
        errors.append(
            FormatError(f"{path}/@fraction", _("“%(value)s” is not a percentage.") % {"value": raw})
        )
        return None
    fraction = percent_to_fraction(value)
    if not Decimal(-1) <= fraction <= Decimal(1):
        errors.append(
            FormatError(
                f"{path}/@fraction",
                _("The fraction %(value)s%% is outside -100%%…100%%.") % {"value": raw},
            )
        )
        return None
    return fraction


def _question(element, qtype: str, path: str):
    errors: list[FormatError] = []
    question = ParsedQuestion(qtype="", text="", location=path)
    question.name = _text(element.find("name"))
    question.text = _text(element.find("questiontext"), html_default=True)
    question.explanation = _text(element.find("generalfeedback"), html_default=True)
    grade = element.findtext("defaultgrade")
    if grade is not None:
        points = parse_decimal(grade)
        if points is None:
            errors.append(
                FormatError(
                    f"{path}/defaultgrade",
                    _("“%(value)s” is not a number.") % {"value": grade.strip()},
                )
            )
        else:
            question.points = points
    answers = element.findall("answer")
    parsed = []
    for index, answer in enumerate(answers, start=1):
        answer_path = f"{path}/answer[{index}]"
        fraction = _fraction(answer, answer_path, errors)
        if fraction is None:
            continue
        raw_text = answer.find("text")
        text = (raw_text.text or "").strip() if raw_text is not None else ""
        if answer.get("format", "plain_text") in HTML_FORMATS:
            text = html_to_text(text)
        feedback = _text(answer.find("feedback"), html_default=True)
        parsed.append((answer_path, answer, ParsedChoice(text, fraction, feedback)))
    if qtype in {"multichoice", "multichoiceset"}:
        single = (element.findtext("single") or "true").strip().lower() in {"true", "1"}
        if qtype == "multichoiceset":
            question.qtype, question.partial_credit = MULTIPLE, False
        elif single:
            question.qtype = SINGLE
        else:
            question.qtype, question.partial_credit = MULTIPLE, True
        question.choices = [choice for _p, _a, choice in parsed]
    elif qtype == "shortanswer":
        question.qtype = SHORT
        question.choices = [choice for _p, _a, choice in parsed]
    elif qtype == "truefalse":
        question.qtype = TRUE_FALSE
        for answer_path, _a, choice in parsed:
            word = choice.text.strip().lower()
            if word not in {"true", "false"}:
                errors.append(
                    FormatError(
                        f"{answer_path}/text", _("A true/false answer must be “true” or “false”.")
                    )
                )
                continue
            choice.text = TRUE_TEXT if word == "true" else FALSE_TEXT
            question.choices.append(choice)
        question.choices.sort(key=lambda c: c.text != TRUE_TEXT)
    elif qtype == "numerical":
        question.qtype = NUMERIC
        for answer_path, answer, choice in parsed:
            if choice.fraction == 0:
                continue  # feedback for wrong numbers; nothing to store
            if choice.fraction != 1:
                errors.append(
                    FormatError(
                        f"{answer_path}/@fraction",
                        _("Partial credit for numeric answers is not supported."),
                    )
                )
                continue
            number = parse_decimal(choice.text)
            tolerance = parse_decimal(answer.findtext("tolerance") or "0")
            if number is None or tolerance is None:
                errors.append(
                    FormatError(answer_path, _("The answer or its tolerance is not a number."))
                )
                continue
            if question.numeric_answer is not None:
                errors.append(FormatError(answer_path, _("Only one correct number is supported.")))
                continue
            question.numeric_answer, question.tolerance = number, tolerance
    return (None, errors) if errors else (question, [])


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """XML 1.0 cannot carry most control characters; they are dropped from exports."""
    return _NOT_XML.sub("", text)


def _sub_text(parent, tag: str, text: str, text_format: str | None = "plain_text"):
    node = ET.SubElement(parent, tag)
    if text_format:
        node.set("format", text_format)
    ET.SubElement(node, "text").text = _xml_text(text)
    return node


def export(questions: list[ParsedQuestion]) -> bytes:
    root = ET.Element("quiz")
    category = object()
    for q in questions:
        if q.category != category and q.category:
            holder = ET.SubElement(root, "question", type="category")
            _sub_text(holder, "category", f"$course$/top/{q.category}", None)
        category = q.category
        qtype = {
            SINGLE: "multichoice",
            MULTIPLE: "multichoice" if q.partial_credit else "multichoiceset",
            TRUE_FALSE: "truefalse",
            SHORT: "shortanswer",
            NUMERIC: "numerical",
        }[q.qtype]
        element = ET.SubElement(root, "question", type=qtype)
        _sub_text(element, "name", q.name, None)
        _sub_text(element, "questiontext", q.text)
        _sub_text(element, "generalfeedback", q.explanation)
        ET.SubElement(element, "defaultgrade").text = fmt_decimal(q.points)
        if q.qtype in (SINGLE, MULTIPLE):
            ET.SubElement(element, "single").text = "true" if q.qtype == SINGLE else "false"
            ET.SubElement(element, "shuffleanswers").text = "true"
        if q.qtype == SHORT:
            ET.SubElement(element, "usecase").text = "0"
        if q.qtype == NUMERIC:
            answer = ET.SubElement(element, "answer", fraction="100", format="plain_text")
            ET.SubElement(answer, "text").text = fmt_decimal(q.numeric_answer)
            ET.SubElement(answer, "tolerance").text = fmt_decimal(q.tolerance)
            continue
        for choice in q.choices:
            answer = ET.SubElement(
                element,
                "answer",
                fraction=fmt_decimal(choice.fraction * 100),
                format="plain_text",
            )
            text = choice.text.lower() if q.qtype == TRUE_FALSE else choice.text
            ET.SubElement(answer, "text").text = _xml_text(text)
            _sub_text(answer, "feedback", choice.feedback)
    ET.indent(root)
    # Serialising to str and encoding once is several times faster than encoding="utf-8".
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()
