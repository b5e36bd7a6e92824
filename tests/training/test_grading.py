"""The grading table: every question type, partial credit, negative fractions and tolerance."""

from decimal import Decimal

import pytest

from training.grading import grade_item, pattern_matches

SINGLE = {
    "type": "single",
    "points": "2",
    "choices": [
        {"id": 1, "fraction": "1"},
        {"id": 2, "fraction": "0"},
        {"id": 3, "fraction": "0.5"},
        {"id": 4, "fraction": "-0.5"},
    ],
}
TRUEFALSE = {
    "type": "truefalse",
    "points": "1",
    "choices": [{"id": 10, "fraction": "1"}, {"id": 11, "fraction": "0"}],
}
MULTI = {
    "type": "multiple",
    "points": "4",
    "partial_credit": False,
    "choices": [
        {"id": 1, "fraction": "0.5"},
        {"id": 2, "fraction": "0.5"},
        {"id": 3, "fraction": "-1"},
        {"id": 4, "fraction": "0"},
    ],
}
MULTI_PARTIAL = {**MULTI, "partial_credit": True}
SHORT = {
    "type": "short",
    "points": "3",
    "patterns": [
        {"text": "Customer first", "fraction": "1"},
        {"text": "*customer*", "fraction": "0.5"},
    ],
}
NUMERIC = {"type": "numeric", "points": "2", "numeric_answer": "3.5", "tolerance": "0.25"}
NUMERIC_EXACT = {**NUMERIC, "tolerance": "0"}

CASES = [
    # single choice
    (SINGLE, {"choice": 1}, "2.00"),
    (SINGLE, {"choice": 2}, "0.00"),
    (SINGLE, {"choice": 3}, "1.00"),
    (SINGLE, {"choice": 4}, "0.00"),  # negative fraction clamped at 0
    (SINGLE, {"choice": 999}, "0.00"),  # not a choice of the question
    (SINGLE, {}, "0.00"),
    (SINGLE, None, "0.00"),
    # true/false
    (TRUEFALSE, {"choice": 10}, "1.00"),
    (TRUEFALSE, {"choice": 11}, "0.00"),
    # multiple, all or nothing
    (MULTI, {"choices": [1, 2]}, "4.00"),
    (MULTI, {"choices": [2, 1]}, "4.00"),
    (MULTI, {"choices": [1]}, "0.00"),
    (MULTI, {"choices": [1, 2, 4]}, "0.00"),
    (MULTI, {"choices": []}, "0.00"),
    # multiple, partial credit with penalties, clamped to 0..1
    (MULTI_PARTIAL, {"choices": [1]}, "2.00"),
    (MULTI_PARTIAL, {"choices": [1, 2]}, "4.00"),
    (MULTI_PARTIAL, {"choices": [1, 2, 4]}, "4.00"),
    (MULTI_PARTIAL, {"choices": [1, 3]}, "0.00"),
    (MULTI_PARTIAL, {"choices": [3]}, "0.00"),
    (MULTI_PARTIAL, {"choices": [1, 2, 3]}, "0.00"),
    # short answer: case-insensitive exact, wildcard, best pattern wins
    (SHORT, {"text": "customer first"}, "3.00"),
    (SHORT, {"text": "  CUSTOMER FIRST  "}, "3.00"),
    (SHORT, {"text": "the customer matters"}, "1.50"),
    (SHORT, {"text": "client first"}, "0.00"),
    (SHORT, {"text": ""}, "0.00"),
    # numeric with tolerance (bounds inclusive)
    (NUMERIC, {"value": "3.5"}, "2.00"),
    (NUMERIC, {"value": "3.75"}, "2.00"),
    (NUMERIC, {"value": "3.25"}, "2.00"),
    (NUMERIC, {"value": "3.76"}, "0.00"),
    (NUMERIC, {"value": "3,6"}, "2.00"),
    (NUMERIC, {"value": "abc"}, "0.00"),
    (NUMERIC, {"value": "NaN"}, "0.00"),
    (NUMERIC_EXACT, {"value": "3.50"}, "2.00"),
    (NUMERIC_EXACT, {"value": "3.51"}, "0.00"),
]


@pytest.mark.parametrize(("item", "response", "expected"), CASES)
def test_grading_table(item, response, expected):
    assert grade_item(item, response) == Decimal(expected)


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("Refund", "refund", True),
        ("re*d", "REFUND", True),
        ("re*d", "refunds", False),
        ("a.b", "axb", False),  # regex characters are literal
        ("*", "anything", True),
    ],
)
def test_short_answer_patterns(pattern, text, matches):
    assert pattern_matches(pattern, text) is matches
