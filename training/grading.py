"""Grading of one dealt question (see ``training.attempts._snapshot``) against one response.

Responses, as saved in ``AttemptAnswer.response``:

- single choice, true/false: ``{"choice": <choice id>}``
- multiple choice: ``{"choices": [<choice id>, ...]}``
- short answer: ``{"text": "..."}``
- numeric: ``{"value": "3.14"}``

Rules:

- single / true/false: the chosen choice's fraction of the points, never below 0.
- multiple, all-or-nothing (default): full points when exactly the choices with a positive
  fraction are picked, else 0.
- multiple with partial credit: the sum of the picked choices' fractions (negative fractions
  penalise wrong picks), clamped to 0..1, times the points.
- short answer: compared after trimming, case-insensitively, with each accepted pattern; ``*`` in
  a pattern matches any run of characters. The best matching pattern's fraction counts.
- numeric: full points when ``|value - answer| <= tolerance``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")


def _clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(ONE, value))


def pattern_matches(pattern: str, text: str) -> bool:
    """Case-insensitive full match; ``*`` is a wildcard for any characters."""
    regex = ".*".join(re.escape(part) for part in pattern.strip().split("*"))
    return re.fullmatch(regex, text.strip(), flags=re.IGNORECASE | re.DOTALL) is not None


def parse_number(raw) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def fraction_for(item: dict, response: dict | None) -> Decimal:
    """Share of the question's points (0..1) that ``response`` earns."""
    if not response:
        return ZERO
    qtype = item["type"]
    fractions = {c["id"]: Decimal(c["fraction"]) for c in item.get("choices", [])}
    if qtype in ("single", "truefalse"):
        return _clamp(fractions.get(response.get("choice"), ZERO))
    if qtype == "multiple":
        picked = set(response.get("choices") or [])
        if item.get("partial_credit"):
            return _clamp(sum((fractions.get(c, ZERO) for c in picked), ZERO))
        correct = {cid for cid, f in fractions.items() if f > 0}
        return ONE if picked and picked == correct else ZERO
    if qtype == "short":
        text = str(response.get("text") or "")
        if not text.strip():
            return ZERO
        best = ZERO
        for pattern in item.get("patterns", []):
            if pattern_matches(pattern["text"], text):
                best = max(best, Decimal(pattern["fraction"]))
        return _clamp(best)
    if qtype == "numeric":
        value = parse_number(response.get("value"))
        if value is None or item.get("numeric_answer") is None:
            return ZERO
        answer = Decimal(item["numeric_answer"])
        tolerance = Decimal(item.get("tolerance") or "0")
        return ONE if abs(value - answer) <= tolerance else ZERO
    return ZERO


def grade_item(item: dict, response: dict | None) -> Decimal:
    """Points earned, rounded to cents."""
    points = Decimal(item["points"])
    return (points * fraction_for(item, response)).quantize(CENT, rounding=ROUND_HALF_UP)


def correct_response(item: dict) -> dict:
    """The expected answer, for the review page after grading."""
    qtype = item["type"]
    if qtype in ("single", "truefalse"):
        best = max(item["choices"], key=lambda c: Decimal(c["fraction"]), default=None)
        return {"choice": best["id"] if best else None}
    if qtype == "multiple":
        return {"choices": [c["id"] for c in item["choices"] if Decimal(c["fraction"]) > 0]}
    if qtype == "short":
        best = max(item["patterns"], key=lambda p: Decimal(p["fraction"]), default=None)
        return {"text": best["text"] if best else ""}
    if qtype == "numeric":
        return {"value": item["numeric_answer"], "tolerance": item["tolerance"]}
    return {}
