"""The question import is the one file upload: whatever the uploaded file is called (NUL
bytes, control characters, path separators, a name of thousands of characters, no name at
all) or holds (NUL and control characters in the text), the page answers a clear form error
or imports, never a 500 or a database error, and writes nothing when it refuses."""

from __future__ import annotations

import pytest

from tests.fuzzing import multipart
from training.models import Question, QuestionCategory

from .test_admin import GOOD_GIFT, IMPORT_URL

pytestmark = pytest.mark.django_db

# Names Django's upload parser keeps (after dropping path parts and unprintable characters): the
# name is never stored, so the import goes ahead.
KEPT_NAMES = {
    "nul-inside": b"bank\x00.gift",
    "control-characters": b"bank\x01\x07\x1b[31m\x7f.gift",
    "unix-path": b"../../../etc/passwd",
    "windows-path": b"..\\..\\Windows\\system.ini",
    "absolute": b"/tmp/bank.gift",
    "long": "汉".encode() * 300 + b".gift",  # under the parser's 1 KB of part headers
    "newline-header-injection": b"bank.gift\r\nContent-Type: text/html",
    "quotes": b'"bank".gift',
}
# Names Django's parser drops the file for (nothing left once cleaned, or not text): the form
# asks for a file.
DROPPED_NAMES = {
    "invalid-utf8": b"\xed\xa0\x80\xff.gift",
    "only-nul": b"\x00",
    "dot-dot": b"..",
    "only-separators": b"///",
    "only-control": b"\x01\x02\x03",
}


def _upload(client, filename: bytes, content: bytes, **fields):
    body, content_type = multipart(
        [("format", "gift"), *fields.items()], [("file", filename, content)]
    )
    return client.generic("POST", IMPORT_URL, body, content_type)


@pytest.mark.parametrize("name", list(KEPT_NAMES), ids=list(KEPT_NAMES))
def test_any_file_name_django_keeps_imports_the_file(name, world, client_for):
    response = _upload(client_for(world.trainer), KEPT_NAMES[name], GOOD_GIFT)
    assert response.status_code == 302, (response.status_code, response.content[-800:])
    assert response["Location"] == "/admin/training/question/"
    assert Question.objects.filter(tenant=world.tenant).count() == 2


@pytest.mark.parametrize("name", list(DROPPED_NAMES), ids=list(DROPPED_NAMES))
def test_a_file_name_that_is_no_name_is_a_missing_file(name, world, client_for):
    response = _upload(client_for(world.trainer), DROPPED_NAMES[name], GOOD_GIFT)
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not Question.objects.exists()


def test_a_file_name_longer_than_the_header_limit_is_a_bad_request(world, client_for):
    response = _upload(client_for(world.trainer), "汉".encode() * 5_000, GOOD_GIFT)
    assert response.status_code == 400
    assert not Question.objects.exists()


def test_a_nul_in_a_field_beside_the_file_is_refused_before_the_import(world, client_for):
    response = _upload(client_for(world.trainer), b"bank.gift", GOOD_GIFT, new_category="Week\x001")
    assert response.status_code == 400
    assert not Question.objects.exists() and not QuestionCategory.objects.exists()


CSV_HEAD = (
    b"category,type,name,text,points,explanation,partial_credit,answer,tolerance,"
    b"choice_1,percent_1,feedback_1,choice_2,percent_2,feedback_2\n"
)
HOSTILE_CONTENT = {
    "gift-nul-in-text": ("gift", b"::Q\x001:: Billing day? {=1st ~15th}\n"),
    "gift-nul-in-answer": ("gift", b"::Q1:: Billing day? {=1\x00st ~15th}\n"),
    "gift-control-characters": ("gift", b"::Q1:: Bill\x01ing\x1b day? {=1st ~15th}\n"),
    "gift-nul-in-category": ("gift", b"$CATEGORY: Bill\x00ing\n\n::Q1:: Day? {=1st ~15th}\n"),
    "csv-nul": ("csv", CSV_HEAD + b"Billing,truefalse,TF,Refunds\x00?,,,,true,,,,,,,\n"),
    "moodle-nul": (
        "moodle_xml",
        b'<?xml version="1.0"?><quiz><question type="truefalse"><name><text>Q\x001</text>'
        b"</name><questiontext><text>Refunds?</text></questiontext>"
        b'<answer fraction="100"><text>true</text></answer>'
        b'<answer fraction="0"><text>false</text></answer></question></quiz>',
    ),
    "invalid-utf8": ("gift", b"::Q1:: Billing \xff\xfe day? {=1st ~15th}\n"),
    "surrogate-bytes": ("csv", CSV_HEAD + b"Billing,truefalse,TF,\xed\xa0\x80,,,,true,,,,,,,\n"),
}


@pytest.mark.parametrize("case", list(HOSTILE_CONTENT), ids=list(HOSTILE_CONTENT))
def test_nul_and_control_characters_in_the_file_never_reach_the_database(case, world, client_for):
    """A NUL anywhere in a question (GIFT kept it) was a DataError; now the import lists it
    like any other problem of the file. Other control characters are text the database holds."""
    fmt, content = HOSTILE_CONTENT[case]
    body, content_type = multipart([("format", fmt)], [("file", b"bank.txt", content)])
    response = client_for(world.trainer).generic("POST", IMPORT_URL, body, content_type)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert response.context["errors"] or response.context["form"].errors
        assert not Question.objects.exists() and not QuestionCategory.objects.exists()
    texts = Question.objects.values_list("name", "text", "category__name")
    assert not any("\x00" in value for row in texts for value in row)
    if b"\x00" in content:
        assert response.status_code == 200
        errors = [str(e) for e in response.context["errors"]]
        # Moodle XML refuses it as not well-formed XML before any question is read.
        assert any("NUL" in e or "well-formed" in e for e in errors), errors
