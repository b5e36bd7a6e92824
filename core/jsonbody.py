"""JSON request bodies that can be stored.

``json.loads`` accepts escapes such as ``"\\ud800"`` and returns a string holding a lone
surrogate: valid JSON, but not Unicode text, so no UTF-8 column or jsonb value can hold it and
the database driver fails while encoding (a 500, found with the scheduler API and autosave).
Bodies are checked once after parsing and refused as malformed instead. ``loads`` (the browser's
JSON endpoints: attempt autosave and submit) also refuses ``"\\u0000"``: PostgreSQL text and
jsonb cannot hold a NUL character. The scheduler API's parser lets NUL through, because its
serializers decide per field (dropped from a cancel reason, refused in an employee id).

Nesting is bounded by the interpreter: ``json.loads`` of 100,000 ``[`` raises
``RecursionError``, which is refused here as ``too_deep`` (400), not left to become a 500.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import InvalidInput

# In ASCII text a lone surrogate can only come from a \ud800-\udfff escape, so an ASCII body
# without one needs no walk over its strings (a 10,000-item bulk request holds 100,000 keys and
# strings). Anything else is walked: json.loads decodes bytes with "surrogatepass", so encoded
# surrogates (or UTF-16 input) get through without an escape. A false match costs the walk.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# Likewise a NUL: a raw control character is not valid inside a JSON string.
_NUL_ESCAPE = re.compile(rb"\\u0000")


def _may_match(raw: bytes | str, escape: re.Pattern) -> bool:
    # Non-ASCII text may carry the character itself; ASCII text only as the escape.
    if not raw.isascii():
        return True
    if isinstance(raw, str):
        raw = raw.encode("ascii")
    return escape.search(raw) is not None


def _strings(value: Any):
    """Every string (key or value) inside a decoded JSON value, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def may_hold_surrogates(raw: bytes | str) -> bool:
    """Whether the raw JSON text could decode to a lone surrogate (False only when it cannot)."""
    return _may_match(raw, _SURROGATE_ESCAPE)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unstorable_text(value: Any) -> bool:
    """Whether any string (key or value) inside ``value`` cannot be encoded as UTF-8."""
    return any(not s.isascii() and not _encodable(s) for s in _strings(value))


def unstorable_message() -> str:
    return _(
        "The body contains text that is not valid Unicode (an unpaired surrogate escape such "
        "as \\ud800)."
    )


def may_hold_nul(raw: bytes | str) -> bool:
    """Whether the raw JSON text could decode to a NUL character (False only when it cannot)."""
    return _may_match(raw, _NUL_ESCAPE)


def holds_nul(value: Any) -> bool:
    """Whether any string (key or value) inside ``value`` holds a NUL character."""
    return any("\x00" in s for s in _strings(value))


def too_deep_message() -> str:
    return _("The body is nested too deeply to be read.")


def _parse(parse) -> Any:
    try:
        return parse()
    except RecursionError:
        raise InvalidInput(too_deep_message(), code="too_deep") from None


def loads(raw: bytes | str) -> Any:
    """``json.loads`` (``ValueError`` for malformed JSON) that raises ``InvalidInput``:
    ``malformed_body`` for text a database cannot store (a lone surrogate, a NUL character),
    ``too_deep`` for nesting past the recursion limit."""
    data = _parse(lambda: json.loads(raw))
    if may_hold_surrogates(raw) and unstorable_text(data):
        raise InvalidInput(unstorable_message(), code="malformed_body")
    if may_hold_nul(raw) and holds_nul(data):
        raise InvalidInput(
            _("The body contains a NUL character (\\u0000), which is never valid text."),
            code="malformed_body",
        )
    return data


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing (400) text that cannot be stored and nesting too deep to
    parse (``too_deep``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        parse = super().parse
        data = _parse(lambda: parse(io.BytesIO(raw), media_type, parser_context))
        if may_hold_surrogates(raw) and unstorable_text(data):
            raise ParseError(unstorable_message())
        return data
