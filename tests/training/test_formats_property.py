"""Property: any question the bank can hold survives export → import in every format."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training.formats import FORMATS, export, parse
from training.formats.common import ParsedChoice, ParsedQuestion

# Letters, CJK, every GIFT/CSV/XML special character, spaces and line breaks.
ALPHABET = st.sampled_from(
    list("abcXYZ019 电信账单") + list("~=#{}:\\[]%'\"<>&,;@+-*/") + ["\n", "\t", "\u2028"]
)
TEXT = st.text(ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool)
OPTIONAL = st.one_of(st.just(""), TEXT)
PERCENT = st.integers(-100, 100).map(lambda p: Decimal(p) / 100)
POINTS = st.decimals(min_value="0.01", max_value="999", places=2)


@st.composite
def questions(draw):
    qtype = draw(st.sampled_from(["single", "multiple", "truefalse", "short", "numeric"]))
    q = ParsedQuestion(
        qtype=qtype,
        text=draw(TEXT),
        name=draw(OPTIONAL),
        points=draw(POINTS),
        explanation=draw(OPTIONAL),
        category=draw(st.one_of(st.none(), TEXT.filter(lambda t: "/" not in t and "\n" not in t))),
    )
    if qtype == "numeric":
        q.numeric_answer = draw(st.decimals(min_value=-1000, max_value=1000, places=3))
        q.tolerance = draw(st.decimals(min_value=0, max_value=10, places=2))
    elif qtype == "truefalse":
        answer = draw(st.booleans())
        q.choices = [
            ParsedChoice("True", Decimal(int(answer)), draw(OPTIONAL)),
            ParsedChoice("False", Decimal(int(not answer)), draw(OPTIONAL)),
        ]
    else:
        texts = draw(st.lists(TEXT, min_size=2, max_size=5, unique=True))
        q.choices = [ParsedChoice(t, draw(PERCENT), draw(OPTIONAL)) for t in texts]
        if qtype != "multiple":
            q.choices[0].fraction = Decimal(1)
        elif not any(c.fraction > 0 for c in q.choices):
            q.choices[0].fraction = Decimal("0.5")
        q.partial_credit = qtype == "multiple" and draw(st.booleans())
    return q


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(questions(), min_size=1, max_size=4))
def test_every_format_round_trips_any_question(bank):
    # Files group questions by category, as export_questions orders them.
    bank.sort(key=lambda q: q.category or "")
    for fmt in FORMATS:
        again = parse(export(bank, fmt), fmt)
        assert [q.key() for q in again] == [q.key() for q in bank], fmt


GIFTISH = st.text(st.sampled_from(list("ab 1.:~=#{}%\\-> TF\n/$[]电")), max_size=80)


@settings(max_examples=200, deadline=None)
@given(st.one_of(GIFTISH.map(str.encode), st.binary(max_size=80)), st.sampled_from(list(FORMATS)))
def test_parsers_never_crash_they_report(data, fmt):
    """Whatever the bytes, a parser returns questions and errors; it never raises."""
    module = FORMATS[fmt][1]
    questions, errors = module.parse(data)
    assert all(e.location and e.message for e in errors)
