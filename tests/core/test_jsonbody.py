"""Request JSON that no database column can hold (a lone surrogate escape) is refused; the quick
pre-check on the raw body must never let one through."""

from __future__ import annotations

import json

import pytest

from core import jsonbody
from core.errors import InvalidInput


def test_every_lone_surrogate_escape_is_refused():
    for code_point in range(0xD800, 0xE000):
        escaped = json.dumps({"text": f"a{chr(code_point)}b"})  # "\udXXX", lower case
        for raw in (escaped, escaped.upper().replace("\\U", "\\u"), escaped.encode()):
            assert jsonbody.may_hold_surrogates(raw), raw
            with pytest.raises(InvalidInput) as caught:
                jsonbody.loads(raw)
            assert caught.value.code == "malformed_body"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"text": "\xed\xa0\x80"}',  # an encoded surrogate: json.loads lets it through
        '{"text": "\ud800"}'.encode("utf-16-le", "surrogatepass"),
        '{"text": "\ud800"}',  # the character itself in a str body
    ],
)
def test_lone_surrogates_without_an_escape_are_refused(raw):
    assert jsonbody.may_hold_surrogates(raw)
    with pytest.raises(InvalidInput):
        jsonbody.loads(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ('{"text": "caf\\u00e9"}', {"text": "café"}),
        ('{"text": "\\ud83d\\ude00"}', {"text": "\U0001f600"}),  # a pair is a real character
        ('{"text": "\\\\ud800"}', {"text": "\\ud800"}),  # an escaped backslash: plain text
        ("[1, 2, 3]", [1, 2, 3]),
    ],
)
def test_storable_bodies_are_parsed(raw, expected):
    assert jsonbody.loads(raw) == expected
    assert jsonbody.loads(raw.encode()) == expected


def test_bodies_without_surrogate_escapes_skip_the_walk():
    assert not jsonbody.may_hold_surrogates(json.dumps([{"employee_id": "E1"}] * 3))
    assert not jsonbody.may_hold_surrogates('{"text": "caf\\u00e9 \\u4e2d"}')


def test_nesting_past_the_recursion_limit_is_refused_as_too_deep():
    for raw in ("[" * 100_000, '{"a":' * 100_000):
        with pytest.raises(InvalidInput) as caught:
            jsonbody.loads(raw)
        assert caught.value.code == "too_deep"


@pytest.mark.parametrize(
    "raw", ['{"text": "a\\u0000"}', '{"a\\u0000": 1}', '["\\u0000"]', '{"t": "\\u0000é"}']
)
def test_nul_characters_are_refused(raw):
    assert jsonbody.may_hold_nul(raw)
    with pytest.raises(InvalidInput) as caught:
        jsonbody.loads(raw.encode())
    assert caught.value.code == "malformed_body"


def test_an_escaped_backslash_before_u0000_is_plain_text():
    assert jsonbody.loads('{"text": "\\\\u0000"}') == {"text": "\\u0000"}
