"""The demo question bank (training/demo_data/*.gift) imports cleanly and is really bilingual."""

import re
from pathlib import Path

import pytest

from training.imports import import_questions
from training.models import Question

DEMO = Path(__file__).resolve().parents[2] / "training" / "demo_data"
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize(
    ("name", "at_least"), [("telecom", 15), ("ecommerce", 15), ("finance", 15), ("common", 10)]
)
def test_demo_bank_imports_with_mixed_bilingual_questions(name, at_least, world):
    result = import_questions(
        tenant=world.tenant,
        data=(DEMO / f"{name}.gift").read_bytes(),
        fmt="gift",
        category_name=None,
        actor=None,
    )
    assert result.created >= at_least
    questions = Question.objects.filter(pk__in=result.question_ids)
    assert set(questions.values_list("qtype", flat=True)) == {
        "single",
        "multiple",
        "truefalse",
        "short",
        "numeric",
    }
    for question in questions:
        assert CJK.search(question.text) and LATIN.search(question.text), question.text
