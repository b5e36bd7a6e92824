"""A bad file is rejected whole: every error with its line or element path, nothing written."""

import pytest
from django.test import override_settings

from training.imports import QuestionImportRejected, import_questions
from training.models import Choice, Question, QuestionCategory

XML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _xml(body: str) -> bytes:
    return XML_HEAD + f"<quiz>{body}</quiz>".encode()


def _mc(answers: str, qtype="multichoice", single="true") -> str:
    return (
        f'<question type="{qtype}"><name><text>n</text></name>'
        f"<questiontext><text>Text?</text></questiontext><single>{single}</single>"
        f"{answers}</question>"
    )


GOOD_MC = _mc('<answer fraction="100"><text>a</text></answer><answer><text>b</text></answer>')
CSV_HEAD = (
    "category,type,name,text,points,explanation,partial_credit,answer,tolerance,"
    "choice_1,percent_1,feedback_1,choice_2,percent_2,feedback_2\n"
)
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b"<quiz>&lol2;</quiz>"
)
MANY = "".join(f"~w{i} " for i in range(100))

CASES = [
    # (id, format, data, [(location, message fragment), ...])
    ("empty", "gift", b"", [("file", "empty")]),
    ("only-whitespace", "csv", b"\xef\xbb\xbf \r\n", [("file", "empty")]),
    (
        "gift-latin1",
        "gift",
        "::a:: ok {T}\n\n::b:: café {T}".encode("latin-1"),
        [("line 3", "not UTF-8")],
    ),
    ("gift-no-answer", "gift", b"Q1 {=a ~b}\n\nNo answer block here", [("line 3", "answer block")]),
    ("gift-unclosed", "gift", b"Q1 {=a ~b\n", [("line 1", "not closed")]),
    ("gift-no-correct", "gift", b"Q1 {~a ~b}\n\nQ2 {=x}", [("line 1", "no correct answer")]),
    ("gift-fraction-range", "gift", b"Q {=a ~%150%b}", [("line 1", "150%")]),
    ("gift-too-many", "gift", f"Q {{=right {MANY}}}".encode(), [("line 1", "101 answers")]),
    ("gift-essay", "gift", b"Q {=a ~b}\n\nEssay {}", [("line 3", "Essay")]),
    ("gift-matching", "gift", b"M {=a -> 1 =b -> 2}", [("line 1", "Matching")]),
    ("gift-bad-number", "gift", b"N {#abc}", [("line 1", "not a number")]),
    (
        "gift-every-error-listed",
        "gift",
        b"A {~x ~y}\n\nB {#zz}\n\nC {=a}\n\nD {}",
        [("line 1", "no correct"), ("line 3", "not a number"), ("line 7", "Essay")],
    ),
    (
        "gift-error-in-last-question",
        "gift",
        b"A {=a ~b}\n\nB {T}\n\nC {#1:2}\n\nD {~a ~b}",
        [("line 7", "no correct")],
    ),
    (
        "xml-malformed",
        "moodle_xml",
        XML_HEAD + b"<quiz><question>\n</quiz>",
        [("line 3, column 2", "not well-formed")],
    ),
    ("xml-bomb", "moodle_xml", BOMB, [("document", "DTD")]),
    (
        "xml-external-entity",
        "moodle_xml",
        b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]><quiz>&x;</quiz>',
        [("document", "DTD")],
    ),
    (
        "xml-wrong-encoding",
        "moodle_xml",
        XML_HEAD + "<quiz>é</quiz>".encode("latin-1"),
        [("line 2, column 6", "not well-formed")],
    ),
    ("xml-root", "moodle_xml", XML_HEAD + b"<questions/>", [("/questions", "<quiz>")]),
    (
        "xml-unknown-type",
        "moodle_xml",
        _xml(GOOD_MC + '<question type="essay"/>'),
        [("/quiz/question[2]", "Unknown question type “essay”")],
    ),
    (
        "xml-no-correct",
        "moodle_xml",
        _xml(_mc('<answer fraction="0"><text>a</text></answer><answer><text>b</text></answer>')),
        [("/quiz/question[1]", "no correct answer")],
    ),
    (
        "xml-fraction-range",
        "moodle_xml",
        _xml(
            GOOD_MC
            + _mc(
                '<answer fraction="100"><text>a</text></answer>'
                '<answer fraction="-120"><text>b</text></answer>'
            )
        ),
        [("/quiz/question[2]/answer[2]/@fraction", "-120%")],
    ),
    (
        "xml-fraction-not-number",
        "moodle_xml",
        _xml(_mc('<answer fraction="lots"><text>a</text></answer>')),
        [("/quiz/question[1]/answer[1]/@fraction", "not a percentage")],
    ),
    (
        "xml-too-many",
        "moodle_xml",
        _xml(
            _mc(
                '<answer fraction="100"><text>a</text></answer>'
                + '<answer fraction="0"><text>x</text></answer>' * 100
            )
        ),
        [("/quiz/question[1]", "101 answers")],
    ),
    (
        "xml-truefalse-word",
        "moodle_xml",
        _xml(
            '<question type="truefalse"><questiontext><text>T?</text></questiontext>'
            '<answer fraction="100"><text>yes</text></answer></question>'
        ),
        [("/quiz/question[1]/answer[1]/text", "“true” or “false”")],
    ),
    (
        "xml-numeric-missing",
        "moodle_xml",
        _xml(
            '<question type="numerical"><questiontext><text>N?</text></questiontext>'
            '<answer fraction="0"><text>*</text></answer></question>'
        ),
        [("/quiz/question[1]", "no correct answer")],
    ),
    ("csv-header", "csv", b"cat,type\nx,single\n", [("line 1", "header")]),
    (
        "csv-unknown-type",
        "csv",
        (CSV_HEAD + "C,essay,n,Text,,,,,,,,,,,\n").encode(),
        [("line 2", "Unknown question type “essay”")],
    ),
    (
        "csv-no-correct-in-last-row",
        "csv",
        (
            CSV_HEAD + 'C,single,n,Text,,,,,,a,100,,b,0,\nC,single,n,"Two\nlines",,,,,,a,0,,b,0,\n'
        ).encode(),
        [("line 3", "no correct answer")],
    ),
    (
        "csv-fraction-range",
        "csv",
        (CSV_HEAD + "C,single,n,Text,,,,,,a,100,,b,200,\n").encode(),
        [("line 2", "200%")],
    ),
    (
        "csv-bad-points",
        "csv",
        (CSV_HEAD + "C,single,n,Text,many,,,,,a,100,,b,0,\n").encode(),
        [("line 2", "Points must be a number")],
    ),
    (
        "csv-latin1",
        "csv",
        (CSV_HEAD + "C,single,n,Café,,,,,,a,100,,b,0,\n").encode("latin-1"),
        [("line 2", "not UTF-8")],
    ),
]


@pytest.mark.parametrize(
    ("fmt", "data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_file_lists_every_error_and_imports_nothing(fmt, data, expected, world):
    with pytest.raises(QuestionImportRejected) as caught:
        import_questions(tenant=world.tenant, data=data, fmt=fmt, category_name=None, actor=None)
    errors = caught.value.errors
    assert [e.location for e in errors] == [loc for loc, _m in expected], errors
    for error, (_loc, fragment) in zip(errors, expected, strict=True):
        assert fragment.lower() in error.message.lower(), error
    assert caught.value.details == [e.as_dict() for e in errors]
    assert not Question.objects.exists()
    assert not Choice.objects.exists()
    assert not QuestionCategory.objects.exists()


@override_settings(QUESTION_IMPORT_MAX_BYTES=1024)
def test_file_over_the_size_limit_is_refused_with_its_size(world):
    data = b"Q {=a ~b}\n\n" * 200
    with pytest.raises(QuestionImportRejected) as caught:
        import_questions(tenant=world.tenant, data=data, fmt="gift", category_name=None, actor=None)
    assert caught.value.code == "import_too_large"
    assert "at most 1 KB" in caught.value.errors[0].message
    assert not Question.objects.exists()


def test_error_message_is_translated(world):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(QuestionImportRejected) as caught:
        import_questions(
            tenant=world.tenant, data=b"Q {~a ~b}", fmt="gift", category_name=None, actor=None
        )
    assert caught.value.errors[0].location == "第 1 行"
